/**
 * AGC on plain Float32Arrays, in place: for optimizers that update parameters on the host (a
 * fused JavaScript update over flat buffers, worker threads sharing memory) instead of through
 * one tensor op per parameter. Same rule, defaults and NaN policy as `adaptiveClip` with the
 * default unit axes: the data is row-major with the tensor's shape, rank <= 1 is one unit, a
 * higher rank has one unit per index of the last axis (dense [in, out], conv HWIO).
 * Sums of squares accumulate in float64, so results agree with the tensor path to float32 rounding.
 * The buffers must be the typed arrays the signatures name (a plain Array or an Int32Array is an
 * AgcError, BAD_DTYPE: writing scaled values into integers would truncate them towards zero).
 */
import { GRAD_NORM_FLOOR, resolveClipOptions } from './adaptive-clip.js';
import { AgcError, formatValue, kindOf, quoteName } from './errors.js';

export interface ClipArrayOptions {
  /** lambda, default 0.01. */
  clipping?: number;
  /** Weight-norm floor, default 1e-3. */
  eps?: number;
  /** The parameter's name, used only in error messages. */
  name?: string;
}

/** What `clipArrayInPlace` did, the same fields as a `ClipStat` of `clipGradients`. */
export interface ClipArrayStat {
  units: number;
  clippedUnits: number;
  /** Largest |G_i| / (clipping * max(|W_i|, eps)); NaN when `nonFinite` or `nonFiniteParam`. */
  maxRatio: number;
  /** True when a unit's gradient norm is NaN or Inf; such units are left unchanged. */
  nonFinite: boolean;
  /** True when a unit's parameter norm is NaN or Inf (or its sum of squares is negative); such units are left unchanged. */
  nonFiniteParam: boolean;
}

/** `fn(name): ` or `fn: `, the start of every message of these functions. */
function where(fn: string, name: string | undefined): string {
  return name === undefined ? `${fn}: ` : `${fn} (parameter ${quoteName(name)}): `;
}

/** Throws BAD_INPUT (not an array) or BAD_DTYPE (another kind of array) unless `value` is a `kind`. */
function checkBuffer(prefix: string, what: string, value: unknown, kind: 'Float32Array' | 'Float64Array'): void {
  const got = kindOf(value);
  if (got === kind) return;
  const isArrayLike = Array.isArray(value) || ArrayBuffer.isView(value);
  throw new AgcError(
    isArrayLike ? 'BAD_DTYPE' : 'BAD_INPUT',
    `${prefix}${what} must be a ${kind}, received ${isArrayLike ? got : formatValue(value)}; ` +
      (isArrayLike ? `copy it with ${kind}.from(values) (results are written back as floats).` : `pass the ${kind} of one parameter.`),
  );
}

/**
 * Clips `grad` unit-wise against `param` (both laid out as `shape`, row-major) and writes the
 * result into `grad`. Units whose gradient norm exceeds `clipping * max(|W|, eps)` are rescaled
 * to that norm; the others, and units with a non-finite gradient or parameter norm, are left as
 * they are (and reported: `nonFinite`, `nonFiniteParam`). Throws an AgcError (BAD_INPUT, BAD_DTYPE,
 * SHAPE_MISMATCH) when the arguments are not Float32Arrays of the shape's size; `options.name`
 * names the parameter in it.
 */
export function clipArrayInPlace(grad: Float32Array, param: Float32Array, shape: readonly number[], options: ClipArrayOptions = {}): ClipArrayStat {
  const { clipping, eps } = resolveClipOptions(options);
  const prefix = where('clipArrayInPlace', options?.name);
  checkBuffer(prefix, 'the gradient', grad, 'Float32Array');
  checkBuffer(prefix, 'the parameter', param, 'Float32Array');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new AgcError('BAD_INPUT', `${prefix}shape must be an array of integers >= 0, received ${formatValue(shape)}.`);
  }
  const size = shape.reduce((n, d) => n * d, 1);
  if (grad.length !== size || param.length !== size) {
    throw new AgcError(
      'SHAPE_MISMATCH',
      `${prefix}shape [${shape.join(', ')}] has ${size} elements but the gradient has ${grad.length} and the parameter ${param.length}; ` +
        `pass the arrays of one parameter with its shape.`,
    );
  }
  const units = shape.length <= 1 ? 1 : shape[shape.length - 1]!;
  if (size === 0) return { units, clippedUnits: 0, maxRatio: 0, nonFinite: false, nonFiniteParam: false };
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
 * (1 for units left alone, including those with a non-finite gradient or parameter norm) and
 * returns the statistics. `clipArrayInPlace` is this after summing the squares row by row; the
 * factors are float32, the product g·scale is what it stores. A negative sum counts as non-finite.
 */
export function unitClipScales(gradSquares: Float64Array, paramSquares: Float64Array, scales: Float32Array, options: ClipArrayOptions = {}): ClipArrayStat {
  const { clipping, eps } = resolveClipOptions(options);
  const prefix = where('unitClipScales', options?.name);
  checkBuffer(prefix, 'gradSquares', gradSquares, 'Float64Array');
  checkBuffer(prefix, 'paramSquares', paramSquares, 'Float64Array');
  checkBuffer(prefix, 'scales', scales, 'Float32Array');
  const units = gradSquares.length;
  if (paramSquares.length !== units || scales.length !== units) {
    throw new AgcError(
      'SHAPE_MISMATCH',
      `${prefix}${units} gradient sums but ${paramSquares.length} parameter sums and ${scales.length} scales; pass one entry per unit in each.`,
    );
  }
  const stat: ClipArrayStat = { units, clippedUnits: 0, maxRatio: 0, nonFinite: false, nonFiniteParam: false };
  for (let u = 0; u < units; u++) {
    const paramNorm = Math.sqrt(paramSquares[u]!);
    const gradNorm = Math.sqrt(gradSquares[u]!);
    scales[u] = 1;
    // sqrt of NaN, Inf or a negative sum is not finite: no threshold or no measure, so no clipping.
    const gradBad = !Number.isFinite(gradNorm);
    const paramBad = !Number.isFinite(paramNorm);
    if (gradBad) stat.nonFinite = true;
    if (paramBad) stat.nonFiniteParam = true;
    if (gradBad || paramBad) continue;
    const maxNorm = Math.max(paramNorm, eps) * clipping;
    const ratio = gradNorm / maxNorm;
    if (ratio > stat.maxRatio) stat.maxRatio = ratio;
    if (gradNorm > maxNorm) {
      scales[u] = maxNorm / Math.max(gradNorm, GRAD_NORM_FLOOR);
      stat.clippedUnits++;
    }
  }
  if (stat.nonFinite || stat.nonFiniteParam) stat.maxRatio = Number.NaN;
  return stat;
}
