/**
 * AGC on plain Float32Arrays, in place: for optimizers that update parameters on the host (a
 * fused JavaScript update over flat buffers, worker threads sharing memory) instead of through
 * one tensor op per parameter. Same rule, defaults and NaN policy as `adaptiveClip` with the
 * default unit axes: the data is row-major with the tensor's shape, rank <= 1 is one unit, a
 * higher rank has one unit per index of the last axis (dense [in, out], conv HWIO).
 * Sums of squares accumulate in float64, so results agree with the tensor path to float32 rounding.
 */
import { GRAD_NORM_FLOOR, resolveClipOptions } from './adaptive-clip.js';
import { AgcError } from './errors.js';

export interface ClipArrayOptions {
  /** lambda, default 0.01. */
  clipping?: number;
  /** Weight-norm floor, default 1e-3. */
  eps?: number;
}

/** What `clipArrayInPlace` did, the same fields as a `ClipStat` of `clipGradients`. */
export interface ClipArrayStat {
  units: number;
  clippedUnits: number;
  /** Largest |G_i| / (clipping * max(|W_i|, eps)); NaN when the gradient is non-finite. */
  maxRatio: number;
  /** True when a unit's gradient norm is NaN or Inf; such units are left unchanged. */
  nonFinite: boolean;
}

/**
 * Clips `grad` unit-wise against `param` (both laid out as `shape`, row-major) and writes the
 * result into `grad`. Units whose gradient norm exceeds `clipping * max(|W|, eps)` are rescaled
 * to that norm; the others, and units with a non-finite norm, are left as they are.
 * Throws (AgcError) when the array lengths do not match the shape.
 */
export function clipArrayInPlace(grad: Float32Array, param: Float32Array, shape: readonly number[], options: ClipArrayOptions = {}): ClipArrayStat {
  const { clipping, eps } = resolveClipOptions(options);
  const size = shape.reduce((n, d) => n * d, 1);
  if (grad.length !== size || param.length !== size) {
    throw new AgcError(
      'SHAPE_MISMATCH',
      `clipArrayInPlace: shape [${shape.join(', ')}] has ${size} elements but the gradient has ${grad.length} and the parameter ${param.length}; ` +
        `pass the arrays of one parameter with its shape.`,
    );
  }
  const units = shape.length <= 1 ? 1 : shape[shape.length - 1]!;
  if (size === 0) return { units, clippedUnits: 0, maxRatio: 0, nonFinite: false };
  const rows = size / units;
  const gSq = new Float64Array(units);
  const wSq = new Float64Array(units);
  for (let r = 0, i = 0; r < rows; r++) {
    for (let u = 0; u < units; u++, i++) {
      gSq[u]! += grad[i]! * grad[i]!;
      wSq[u]! += param[i]! * param[i]!;
    }
  }
  const scales = new Float32Array(units);
  const stat = unitClipScales(gSq, wSq, scales, { clipping, eps });
  if (stat.clippedUnits > 0) {
    for (let r = 0, i = 0; r < rows; r++) {
      for (let u = 0; u < units; u++, i++) grad[i] = grad[i]! * scales[u]!;
    }
  }
  return stat;
}

/**
 * AGC's rule per unit, given each unit's Σ g² and Σ w² (float64; computed however the caller
 * likes, e.g. in SIMD code): writes into `scales` the factor each unit's gradient is multiplied by
 * (1 for units left alone, including those with a non-finite norm) and returns the statistics.
 * `clipArrayInPlace` is this after summing the squares row by row; the factors are float32, the
 * product g·scale is what it stores.
 */
export function unitClipScales(gradSquares: Float64Array, paramSquares: Float64Array, scales: Float32Array, options: ClipArrayOptions = {}): ClipArrayStat {
  const { clipping, eps } = resolveClipOptions(options);
  const units = gradSquares.length;
  if (paramSquares.length !== units || scales.length !== units) {
    throw new AgcError(
      'SHAPE_MISMATCH',
      `unitClipScales: ${units} gradient sums but ${paramSquares.length} parameter sums and ${scales.length} scales; pass one entry per unit in each.`,
    );
  }
  const stat: ClipArrayStat = { units, clippedUnits: 0, maxRatio: 0, nonFinite: false };
  for (let u = 0; u < units; u++) {
    const maxNorm = Math.max(Math.sqrt(paramSquares[u]!), eps) * clipping;
    const gradNorm = Math.sqrt(gradSquares[u]!);
    scales[u] = 1;
    if (!Number.isFinite(gradNorm)) {
      stat.nonFinite = true;
      continue;
    }
    const ratio = gradNorm / maxNorm;
    if (ratio > stat.maxRatio) stat.maxRatio = ratio;
    if (gradNorm > maxNorm) {
      scales[u] = maxNorm / Math.max(gradNorm, GRAD_NORM_FLOOR);
      stat.clippedUnits++;
    }
  }
  if (stat.nonFinite) stat.maxRatio = Number.NaN;
  return stat;
}
