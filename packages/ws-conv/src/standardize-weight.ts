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
import { backendHasKernels } from './backend-kernels.js';
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

/**
 * Kernel names of a fused Scaled WS: `NfScaledWS` (inputs `weight`, `gain` [out]; attributes
 * `convention`, `eps`, `gamma`) → the standardized weight, and its backward `NfScaledWSGrad`
 * (inputs `dy`, `weight`, `gain`) → [d weight, d gain]. Any backend may register them
 * (@nf/wasm-kernels does for wasm, in SIMD): where both exist, `standardizeWeight` on float32 is one
 * kernel each way instead of ~12 and ~25, nine of them passes over the whole weight.
 */
export const SCALED_WS_KERNEL = 'NfScaledWS';
export const SCALED_WS_GRAD_KERNEL = 'NfScaledWSGrad';

/** The gradient of the fused kernel (registered once, on import; not differentiable again). */
export const SCALED_WS_GRADIENT: tf.GradConfig = {
  kernelName: SCALED_WS_KERNEL,
  inputsToSave: ['weight', 'gain'],
  gradFunc: (dy, saved, attrs) => {
    const [weight, gain] = saved as [tf.Tensor, tf.Tensor];
    const [dw, dGain] = tf.engine().runKernel(SCALED_WS_GRAD_KERNEL, { dy: dy as tf.Tensor, weight, gain }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    return { weight: () => dw!, gain: () => dGain! };
  },
};

/** True when the current backend has both fused Scaled WS kernels. */
export function hasFusedScaledWs(): boolean {
  return backendHasKernels(SCALED_WS_KERNEL, SCALED_WS_GRAD_KERNEL);
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
  if (w.dtype === 'float32' && hasFusedScaledWs()) {
    // A gain already of shape [out] (every WSConv2D's) goes in as it is: a same-shape tf.reshape is
    // still a Reshape kernel on the tape, a saved clone of its input and a Reshape back (3 calls).
    const gain = options.gain === undefined ? tf.ones([out]) : options.gain.rank === 1 ? options.gain : tf.reshape(options.gain, [out]);
    return tf.engine().runKernel(SCALED_WS_KERNEL, { weight: w, gain }, { convention, eps, gamma }) as tf.Tensor4D;
  }
  const fanIn = w.shape[0]! * w.shape[1]! * w.shape[2]!;
  const shape = w.shape as [number, number, number, number];
  const math = columnMath(fanIn, out);
  // The forward keeps nothing the size of the kernel besides the result; the backward recomputes
  // the centered kernel from w. (Autodiff through the composite kept the centered kernel and its
  // square per conv on the tape, 2 extra kernel copies: 570 MB for NFNet-F0.)
  const hasGain = options.gain !== undefined;
  // tf.customGrad calls f(...inputs, save).
  const forward = (...args: unknown[]) => {
    const wIn = args[0] as tf.Tensor;
    const gainIn = hasGain ? (args[1] as tf.Tensor) : undefined;
    const save = args[args.length - 1] as (tensors: tf.Tensor[]) => void;
    const w2 = tf.reshape(wIn, [fanIn, out]);
    const centered = tf.sub(w2, math.expand(math.mean(w2)));
    const variance = math.mean(tf.square(centered));
    // γ·φ(var), φ the convention's inverse scale; times the gain it is the per-channel scale s.
    const r = inverseScale(convention, variance, fanIn, eps);
    const gammaR = gamma !== 1 ? tf.mul(r, gamma) : r;
    const scale = gainIn !== undefined ? tf.mul(gammaR, tf.reshape(gainIn, [1, out])) : gammaR;
    save([wIn, variance, gammaR, scale]);
    return {
      value: tf.reshape(tf.mul(centered, math.expand(scale)), shape) as tf.Tensor4D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [wSaved, v, gammaRSaved, s] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const ws2 = tf.reshape(wSaved, [fanIn, out]);
        const c = tf.sub(ws2, math.expand(math.mean(ws2)));
        const g2 = tf.reshape(dy, [fanIn, out]);
        // Σᵢ dŴ·c per column; d/dc = s·dŴ + c·(2/N)·(Σ dŴ·c)·s·φ'/φ; d/dw = d/dc − its column mean.
        const dotDc = tf.mul(math.mean(tf.mul(g2, c)), fanIn);
        const slope = tf.mul(tf.mul(s, logSlope(convention, v, fanIn, eps)), tf.mul(dotDc, 2 / fanIn));
        const dc = tf.add(tf.mul(g2, math.expand(s)), tf.mul(c, math.expand(slope)));
        const dw = tf.reshape(tf.sub(dc, math.expand(math.mean(dc))), shape);
        if (gainIn === undefined) return [dw];
        const dGain = tf.reshape(tf.mul(gammaRSaved, dotDc), gainIn.shape);
        return [dw, dGain];
      },
    };
  };
  const f = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return (hasGain ? f(w, options.gain!) : f(w)) as tf.Tensor4D;
}

/**
 * Column statistics of a [fanIn, out] view. Per-output-channel means are column reductions,
 * computed as a product with a row of 1/fanIn: matrix products are fast on every backend, where
 * tf.moments over axes (0, 1, 2) transposes the kernel first and an average pool is slow on cpu.
 * The cpu backend broadcasts element by element with index arithmetic (100 ms for an F0 stage-3
 * kernel); there a [1, out] row is first expanded by an outer product (30 ms).
 */
function columnMath(fanIn: number, out: number): { mean: (t: tf.Tensor) => tf.Tensor; expand: (row: tf.Tensor) => tf.Tensor } {
  const mean = (t: tf.Tensor) => (fanIn === 1 ? t : tf.matMul(tf.fill([1, fanIn], 1 / fanIn), t as tf.Tensor2D));
  const expand = tf.getBackend() === 'cpu' && fanIn > 1 ? (row: tf.Tensor) => tf.matMul(tf.ones([fanIn, 1]), tf.reshape(row, [1, out]) as tf.Tensor2D) : (row: tf.Tensor) => row;
  return { mean, expand };
}

/** φ(var): deepmind rsqrt(max(N·var, eps)); timm rsqrt(var + eps)/√N; plain rsqrt(var + eps). */
function inverseScale(convention: WsConvention, variance: tf.Tensor, fanIn: number, eps: number): tf.Tensor {
  if (convention === 'deepmind') return tf.rsqrt(tf.maximum(tf.mul(variance, fanIn), eps));
  if (convention === 'timm') return tf.div(tf.rsqrt(tf.add(variance, eps)), Math.sqrt(fanIn));
  return tf.rsqrt(tf.add(variance, eps));
}

/** φ'(var)/φ(var): −½·N/(N·var) where N·var > eps for deepmind (0 on the floor, as tf.maximum's gradient), −½/(var + eps) otherwise. */
function logSlope(convention: WsConvention, variance: tf.Tensor, fanIn: number, eps: number): tf.Tensor {
  if (convention === 'deepmind') {
    const nv = tf.mul(variance, fanIn);
    return tf.where(tf.greater(nv, eps), tf.div(-0.5 * fanIn, tf.maximum(nv, eps)), tf.zerosLike(nv));
  }
  return tf.div(-0.5, tf.add(variance, eps));
}
