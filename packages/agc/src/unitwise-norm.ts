/**
 * Unit-wise L2 norm, the measure AGC compares gradients and weights with.
 *
 * Paper: Brock et al. 2021, "High-Performance Large-Scale Image Recognition Without Normalization", Sec. 4.
 * Reference: deepmind-research `nfnets/agc_optax.py` `unitwise_norm`; optax `transforms/_clipping.py`.
 * Layouts are TensorFlow.js ones (= DeepMind's HWIO / IO): one unit per index of the LAST axis.
 * Difference: optax squeezes size-1 axes before choosing the rule; we do not (a [1, C] tensor is a
 * dense kernel with one input, so it has C units). Pass `axes` to choose another reduction.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isTensorLike } from './check-tensors.js';
import { AgcError, formatValue, kindOf } from './errors.js';
import { hasFusedKernel, runFused, SCALE_UNITS, UNIT_SUM_SQUARES } from './fused-kernels.js';

/** Axes to reduce over (negative allowed), or `'all'` for one norm over the whole tensor. */
export type NormAxes = readonly number[] | 'all';

/** The default reduction: whole tensor for rank <= 1, every axis but the last otherwise. */
export function defaultUnitAxes(rank: number): number[] {
  if (rank <= 1) return Array.from({ length: rank }, (_, i) => i);
  return Array.from({ length: rank - 1 }, (_, i) => i);
}

/** Resolves `axes` against a rank: validated, non-negative, sorted, unique. */
export function resolveAxes(rank: number, axes: NormAxes | undefined, what = 'tensor'): number[] {
  if (axes === undefined) return defaultUnitAxes(rank);
  if (axes === 'all') return Array.from({ length: rank }, (_, i) => i);
  if (!Array.isArray(axes)) {
    throw new AgcError('BAD_AXES', `axes for ${what} must be an array of integers or 'all', received ${formatValue(axes)}.`);
  }
  const out = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < -rank || a >= rank) {
      throw new AgcError(
        'BAD_AXES',
        `axes for ${what} of rank ${rank} must be integers in [${-rank}, ${rank - 1}], received ${formatValue(axes)}; ` +
          `pass 'all' for one norm over the whole tensor.`,
      );
    }
    out.add(a < 0 ? a + rank : a);
  }
  return [...out].sort((a, b) => a - b);
}

/** Number of units (norms) a tensor of `shape` has when reduced over `axes`. */
export function unitCount(shape: readonly number[], axes: readonly number[]): number {
  return shape.reduce((n, d, i) => (axes.includes(i) ? n : n * d), 1);
}

/** `shape` with the reduced axes kept as size 1, so unit values broadcast against the tensor. */
export function unitShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Sum of squares per unit as a flat vector of `unitCount` values (row-major over the kept axes).
 * When the reduced axes lead (the default rule: every axis but the last) the tensor is a
 * [rows, units] matrix and the reduction runs down its columns. Reducing a non-last axis with
 * `tf.sum` costs a full transpose first, so instead: the cpu backend runs one fused kernel
 * (see fused-kernels.ts; only when `fused`, since it has no gradient), other backends an average pool over a [1, rows, 1, units] view (one
 * vectorised pass on wasm/XNNPACK and webgpu), times `rows`.
 */
export function unitSumSquares(x: tf.Tensor, axes: readonly number[], options: { fused?: boolean } = {}): tf.Tensor1D {
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const units = unitCount(x.shape, axes);
    const leading = axes.every((a, i) => a === i);
    if (axes.length > 0 && leading && units > 1) {
      const rows = x.size / units;
      if (rows === 0) return tf.zeros([units]) as tf.Tensor1D;
      // One row: its squares are the sums (XNNPACK also rejects a 1×1 pool).
      if (rows === 1) return tf.reshape(tf.square(xf), [units]) as tf.Tensor1D;
      // The fused kernels have no gradient: only AGC itself, never differentiated, uses them.
      if (options.fused && hasFusedKernel(UNIT_SUM_SQUARES)) return runFused(UNIT_SUM_SQUARES, { x: xf }, { units }) as tf.Tensor1D;
      const pooled = tf.avgPool(tf.reshape(tf.square(xf), [1, rows, 1, units]) as tf.Tensor4D, [rows, 1], [rows, 1], 'valid');
      return tf.reshape(tf.mul(pooled, rows), [units]);
    }
    const squares = tf.square(xf);
    if (axes.length === 0) return tf.reshape(squares, [units]);
    return tf.reshape(tf.sum(squares, axes as number[]), [units]);
  });
}

/**
 * Multiplies every unit of `x` by its entry of `scale` (flat, `unitCount` values): the only pass
 * of AGC that writes a full-size tensor.
 */
export function scaleUnits(x: tf.Tensor, scale: tf.Tensor1D, axes: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const units = scale.size;
    const leading = axes.every((a, i) => a === i);
    if (axes.length > 0 && leading && units > 1 && x.dtype === 'float32' && x.size > 0) {
      if (hasFusedKernel(SCALE_UNITS)) return runFused(SCALE_UNITS, { x, scale });
      // Broadcasting a rank-1 vector over a 2-D view is far cheaper than over the original rank.
      return tf.reshape(tf.mul(tf.reshape(x, [x.size / units, units]), scale), x.shape);
    }
    const s = tf.reshape(scale, unitShape(x.shape, axes));
    return tf.mul(x, x.dtype === 'float32' ? s : tf.cast(s, x.dtype));
  });
}

/**
 * L2 norm per unit, `sqrt(sum(x^2))` over `axes`, keeping reduced dimensions so the result
 * broadcasts against `x`. Default: rank <= 1 gives one norm for the whole tensor; rank >= 2 gives
 * one norm per index of the last axis (dense [in, out], conv [kh, kw, in, out], depthwise
 * [kh, kw, in, mult]).
 */
export function unitwiseNorm(x: tf.Tensor, axes?: NormAxes): tf.Tensor {
  if (!isTensorLike(x) || x.isDisposed) {
    throw new AgcError('BAD_INPUT', `unitwiseNorm needs a live tensor, received ${isTensorLike(x) ? 'a disposed tensor' : kindOf(x)}.`);
  }
  if (x.dtype === 'string' || x.dtype === 'complex64') {
    throw new AgcError('BAD_DTYPE', `unitwiseNorm needs a real tensor (float32, int32 or bool, measured in float32), received dtype ${x.dtype}.`);
  }
  const reduce = resolveAxes(x.rank, axes);
  return tf.tidy(() => tf.reshape(tf.sqrt(unitSumSquares(x, reduce)), unitShape(x.shape, reduce)));
}
