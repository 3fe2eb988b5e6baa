/**
 * Adaptive Gradient Clipping of one gradient against its parameter.
 *
 * Paper: Brock et al. 2021 (NFNets), Sec. 4: G_i <- lambda * max(|W_i|, eps) / |G_i| * G_i when
 * |G_i| / max(|W_i|, eps) > lambda, per unit i.
 * Reference: deepmind-research `nfnets/optim.py` (SGD_AGC) and `agc_optax.py`; optax
 * `adaptive_grad_clip`; timm `utils/agc.py`. Same defaults (clipping 0.01, eps 1e-3, the 1e-6
 * division guard).
 * Deliberate differences: a unit whose gradient norm is NaN or Inf is passed through unchanged
 * (the references multiply it by max/inf = 0, which turns Inf into NaN and hides where it came
 * from); so is a unit whose parameter norm is NaN or Inf (no threshold exists; the references
 * report nothing). Both stay visible and are reported by `clipGradients(..., {stats: true})`
 * (`nonFinite`, `nonFiniteParam`).
 * Gradients and parameters must be float32 tensors (see check-tensors.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkGradientPair, labelOf } from './check-tensors.js';
import { AgcRangeError, formatValue } from './errors.js';
import { resolveAxes, scaleUnits, unitCount, unitSumSquares, type NormAxes } from './unitwise-norm.js';

/** Guard against dividing by a vanishing gradient norm (the references' 1e-6). */
export const GRAD_NORM_FLOOR = 1e-6;
export const DEFAULT_CLIPPING = 0.01;
export const DEFAULT_EPS = 1e-3;

export interface AdaptiveClipOptions {
  /** lambda: largest allowed ratio of gradient norm to weight norm per unit. Default 0.01. */
  clipping?: number;
  /** Floor of the weight norm, so zero-initialised weights can still move. Default 1e-3. */
  eps?: number;
  /** Reduction axes of the unit norm (default: see `unitwiseNorm`), or `'all'`. */
  axes?: NormAxes;
  /** The parameter's name, used only in error messages. */
  name?: string;
}

/** Checks `clipping` and `eps` and fills in the defaults. */
export function resolveClipOptions(options: { clipping?: number; eps?: number } | null = {}): { clipping: number; eps: number } {
  const clipping = options?.clipping ?? DEFAULT_CLIPPING;
  const eps = options?.eps ?? DEFAULT_EPS;
  if (typeof clipping !== 'number' || !(clipping > 0) || !Number.isFinite(clipping)) {
    throw new AgcRangeError(`clipping must be a finite number > 0, received ${formatValue(clipping)}; the paper uses 0.01 (smaller for larger batches).`);
  }
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps)) {
    throw new AgcRangeError(`eps must be a finite number >= 0, received ${formatValue(eps)}; the paper uses 1e-3.`);
  }
  return { clipping, eps };
}

/** One gradient to clip against its parameter, with the resolved reduction axes. */
export interface ClipItem {
  grad: tf.Tensor;
  param: tf.Tensor;
  axes: number[];
}

/** The clipped gradients and, optionally, every unit's |G| / (clipping * max(|W|, eps)), flat. */
export interface ClipBatch {
  clipped: tf.Tensor[];
  /** Ratios of all items, concatenated in item order; > 1 means clipped. */
  ratio?: tf.Tensor1D;
  /** Gradient norms of all items in the same order (NaN/Inf flags a non-finite gradient). */
  gradNorm?: tf.Tensor1D;
  /** Parameter sums of squares in the same order (NaN/Inf flags a non-finite parameter). */
  paramSq?: tf.Tensor1D;
}

/**
 * Core of AGC for many tensors at once. The large tensors are touched by two squares, two
 * reductions and one multiply each; the per-unit arithmetic runs once on all units together,
 * so its cost does not grow with the number of parameters. Caller owns the outputs.
 */
export function clipMany(items: readonly ClipItem[], clipping: number, eps: number, withRatio = false): ClipBatch {
  if (items.length === 0) return { clipped: [] };
  return tf.tidy(() => {
    const concat = (xs: tf.Tensor1D[]) => (xs.length === 1 ? xs[0]! : tf.concat(xs));
    const paramSq = concat(items.map((it) => unitSumSquares(it.param, it.axes, { fused: true })));
    const gradSq = concat(items.map((it) => unitSumSquares(it.grad, it.axes, { fused: true })));
    const maxNorm = tf.mul(tf.maximum(tf.sqrt(paramSq), eps), clipping);
    const gradNorm = tf.sqrt(gradSq);
    // A unit is clipped only when both norms are finite. NaN comparisons are false on cpu and
    // wasm already, but `maximum(NaN, eps)` is not NaN on every backend, so test explicitly.
    const measurable = tf.logicalAnd(tf.isFinite(gradNorm), tf.isFinite(paramSq));
    const trigger = tf.logicalAnd(tf.greater(gradNorm, maxNorm), measurable);
    const scale = tf.where(trigger, tf.div(maxNorm, tf.maximum(gradNorm, GRAD_NORM_FLOOR)), tf.onesLike(gradNorm));
    const sizes = items.map((it) => unitCount(it.param.shape, it.axes));
    const scales = items.length === 1 ? [scale] : tf.split(scale, sizes);
    const clipped = items.map((it, i) => scaleUnits(it.grad, scales[i]! as tf.Tensor1D, it.axes));
    return withRatio ? { clipped, ratio: tf.div(gradNorm, maxNorm) as tf.Tensor1D, gradNorm, paramSq } : { clipped };
  });
}

/**
 * Clips one gradient unit-wise against its parameter. Units whose gradient norm exceeds
 * `clipping * max(|W|, eps)` are rescaled to exactly that norm; others are returned as they are.
 * All-zero weights and gradients stay zero; nothing is divided by zero. Units whose gradient or
 * parameter norm is NaN or Inf are returned unchanged (use `clipGradients` with `stats` or
 * `onNonFinite: 'throw'` to find them). Throws an AgcError (BAD_INPUT, BAD_DTYPE, SHAPE_MISMATCH,
 * BAD_AXES) unless both are live float32 tensors of one shape; `options.name` names them in it.
 */
export function adaptiveClip(grad: tf.Tensor, param: tf.Tensor, options: AdaptiveClipOptions = {}): tf.Tensor {
  const { clipping, eps } = resolveClipOptions(options);
  const label = labelOf(options?.name, '(adaptiveClip)');
  checkGradientPair(label, grad, param);
  const axes = resolveAxes(param.rank, options?.axes, `parameter ${label}`);
  return clipMany([{ grad, param, axes }], clipping, eps).clipped[0]!;
}
