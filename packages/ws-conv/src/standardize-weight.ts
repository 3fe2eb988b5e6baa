/**
 * Weight Standardization of a convolution kernel, per output channel.
 *
 * Papers: Qiao et al. 2019 "Weight Standardization" (plain WS, for Group Norm networks);
 * Brock et al. 2021 "Characterizing signal propagation…" / NFNets Sec. 3 (Scaled WS:
 * W_hat = (W - mean) / (sqrt(N) * std), N = fan-in, with a learnable gain).
 * References: deepmind-research `nfnets/base.py` WSConv2D ('deepmind'); timm
 * `layers/std_conv.py` ScaledStdConv2d ('timm'). Biased variance in every convention (vballoli's
 * port uses the unbiased one; we do not).
 */
import * as tf from '@tensorflow/tfjs-core';
import { WsConvError } from './errors.js';

export type WsConvention = 'deepmind' | 'timm' | 'plain';

export const WS_CONVENTIONS: readonly WsConvention[] = ['deepmind', 'timm', 'plain'];

/** Default eps per convention: DeepMind `max(N·var, 1e-4)`; timm's NFNet configs 1e-5 (added to var); plain WS 1e-5. */
export const DEFAULT_WS_EPS: Readonly<Record<WsConvention, number>> = { deepmind: 1e-4, timm: 1e-5, plain: 1e-5 };

export interface StandardizeOptions {
  /** 'deepmind' (default): gain·(w−mean)·rsqrt(max(N·var, eps)); 'timm': gain·gamma·(w−mean)/sqrt(var+eps)/sqrt(N); 'plain': (w−mean)/sqrt(var+eps). */
  convention?: WsConvention;
  /** Per-output-channel gain [out], or absent (= ones). */
  gain?: tf.Tensor;
  /** Activation gain folded into the weight (timm-native models). Default 1. */
  gamma?: number;
  /** Convention's eps (see DEFAULT_WS_EPS). */
  eps?: number;
}

/** Checks a convention name; `where` names the caller in errors. */
export function checkConvention(convention: unknown, where: string): WsConvention {
  if (!WS_CONVENTIONS.includes(convention as WsConvention)) {
    throw new WsConvError('BAD_CONVENTION', `${where}: unknown weight-standardization convention ${JSON.stringify(convention)}; use one of ${WS_CONVENTIONS.map((c) => `'${c}'`).join(', ')}.`);
  }
  return convention as WsConvention;
}

/**
 * Standardizes a kernel `w` of layout [kh, kw, in/groups, out] per output channel, over
 * (kh, kw, in/groups), fan-in N = kh·kw·in/groups. Differentiable in `w` and `gain`.
 */
export function standardizeWeight(w: tf.Tensor, options: StandardizeOptions = {}): tf.Tensor4D {
  const convention = checkConvention(options.convention ?? 'deepmind', 'standardizeWeight');
  if (w.rank !== 4) {
    throw new WsConvError('BAD_SHAPE', `standardizeWeight: the kernel must have rank 4 [kh, kw, in/groups, out], received shape [${w.shape.join(', ')}].`);
  }
  const out = w.shape[3]!;
  if (options.gain !== undefined && (options.gain.size !== out)) {
    throw new WsConvError('BAD_SHAPE', `standardizeWeight: gain must have ${out} values (one per output channel), received shape [${options.gain.shape.join(', ')}].`);
  }
  const eps = options.eps ?? DEFAULT_WS_EPS[convention];
  if (!(eps >= 0) || !Number.isFinite(eps)) {
    throw new WsConvError('BAD_OPTION', `standardizeWeight: eps must be a finite number >= 0, received ${String(eps)}.`);
  }
  const gamma = options.gamma ?? 1;
  const fanIn = w.shape[0]! * w.shape[1]! * w.shape[2]!;
  return tf.tidy(() => {
    // A [fanIn, out] view: per-output-channel statistics are column reductions, computed as a
    // product with a row of 1/fanIn. Matrix products are fast forward and backward on every
    // backend, where tf.moments over axes (0, 1, 2) transposes the kernel first and an average
    // pool's gradient is slow on cpu.
    const w2 = tf.reshape(w, [fanIn, out]);
    const averager = tf.fill([1, fanIn], 1 / fanIn);
    const columnMean = (t: tf.Tensor) => (fanIn === 1 ? t : tf.matMul(averager, t as tf.Tensor2D));
    // The cpu backend broadcasts element by element with index arithmetic (100 ms for an F0
    // stage-3 kernel); there, a [1, out] row is first expanded by an outer product (30 ms).
    const expandRows = tf.getBackend() === 'cpu' && fanIn > 1 ? (row: tf.Tensor) => tf.matMul(tf.ones([fanIn, 1]), row as tf.Tensor2D) : (row: tf.Tensor) => row;
    const centered = tf.sub(w2, expandRows(columnMean(w2)));
    const variance = columnMean(tf.square(centered));
    let scale: tf.Tensor;
    if (convention === 'deepmind') scale = tf.rsqrt(tf.maximum(tf.mul(variance, fanIn), eps));
    else if (convention === 'timm') scale = tf.div(tf.rsqrt(tf.add(variance, eps)), Math.sqrt(fanIn));
    else scale = tf.rsqrt(tf.add(variance, eps));
    if (gamma !== 1) scale = tf.mul(scale, gamma);
    if (options.gain !== undefined) scale = tf.mul(scale, tf.reshape(options.gain, [1, out]));
    return tf.reshape(tf.mul(centered, expandRows(scale)), w.shape as [number, number, number, number]);
  });
}
