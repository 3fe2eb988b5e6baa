/**
 * AGC over a whole map of gradients: the transform an optimizer applies before its update.
 * Reference: optax `adaptive_grad_clip` (stateless, needs params); deepmind-research
 * `experiment_nfnets.py` param groups (classifier weight not clipped) expressed as `exclude`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameShape, clipMany, resolveClipOptions } from './adaptive-clip.js';
import { AgcError } from './errors.js';
import { toPredicate, type ExcludeSpec } from './exclude.js';
import { resolveAxes, unitCount, type NormAxes } from './unitwise-norm.js';

/** Chooses the unit-norm reduction per parameter; `undefined` keeps the default rule. */
export type AxesResolver = (name: string, shape: readonly number[]) => NormAxes | undefined;

export interface ClipGradientsOptions {
  /** lambda, default 0.01. */
  clipping?: number;
  /** Weight-norm floor, default 1e-3. */
  eps?: number;
  /** Parameters whose gradients pass through untouched (e.g. the classifier weight). */
  exclude?: ExcludeSpec;
  /** Reduction per parameter, e.g. `(n, s) => n.endsWith('gain') ? [] : undefined` clips gains per element. */
  axes?: AxesResolver;
  /** Also return per-parameter statistics (one small read-back: synchronous in `clipGradients`, asynchronous in `clipGradientsAsync`). */
  stats?: boolean;
}

/** Per-parameter clip statistics. */
export interface ClipStat {
  name: string;
  /** Number of units (norms) in this parameter. */
  units: number;
  /** Units whose gradient was rescaled. */
  clippedUnits: number;
  /** clippedUnits / units. */
  clippedFraction: number;
  /** Largest |G_i| / (clipping * max(|W_i|, eps)); above 1 means clipped. NaN when non-finite. */
  maxRatio: number;
  /** True when the gradient holds a NaN or Inf (its norm is not finite); such units are not clipped. */
  nonFinite: boolean;
  /** True when the parameter was excluded (its gradient passed through). */
  excluded: boolean;
}

export interface ClipGradientsResult {
  /** New gradient tensors, one per input gradient (excluded ones are clones). The caller owns them. */
  grads: tf.NamedTensorMap;
  stats?: ClipStat[];
}

/** Parameters given as a name → tensor map, a list of variables, or a name → variable map. */
export type ParamsInput = tf.NamedTensorMap | readonly tf.Variable[] | Record<string, tf.Variable>;

function toParamMap(params: ParamsInput): Record<string, tf.Tensor> {
  if (Array.isArray(params)) {
    const map: Record<string, tf.Tensor> = {};
    for (const v of params as readonly tf.Variable[]) map[v.name] = v;
    return map;
  }
  return params as Record<string, tf.Tensor>;
}

/** What both entry points share: the clipped gradients and what decoding the statistics needs. */
interface PreparedClip {
  /** New gradient tensors in the caller's key order; the caller owns them. */
  grads: tf.NamedTensorMap;
  clippedPlan: Planned[];
  excludedPlan: Planned[];
  /** Number of units of all of `clippedPlan` together. */
  totalUnits: number;
  /** Unit ratios and gradient norms of `clippedPlan`, flat; only with `stats`. */
  ratio?: tf.Tensor1D;
  gradNorm?: tf.Tensor1D;
}

/** Validates, clips, and (with `stats`) keeps the per-unit tensors the statistics are read from. */
function prepareClip(grads: tf.NamedTensorMap, params: ParamsInput, options: ClipGradientsOptions): PreparedClip {
  const { clipping, eps } = resolveClipOptions(options);
  const isExcluded = toPredicate(options.exclude);
  const paramMap = toParamMap(params);

  // Validate everything before allocating anything.
  const plan = Object.keys(grads).map((name) => {
    const grad = grads[name]!;
    const param = paramMap[name];
    if (param === undefined) {
      const known = Object.keys(paramMap);
      throw new AgcError(
        'MISSING_PARAM',
        `Gradient '${name}' (shape [${grad.shape.join(', ')}]) has no parameter of that name; ` +
          `known parameters: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}. Pass the variables the gradients were computed for.`,
      );
    }
    checkSameShape(name, grad, param);
    const excluded = isExcluded(name, param.shape);
    const axes = excluded ? [] : resolveAxes(param.rank, options.axes?.(name, param.shape), `'${name}'`);
    return { name, grad, param, excluded, axes };
  });

  const clippedPlan = plan.filter((p) => !p.excluded);
  const excludedPlan = plan.filter((p) => p.excluded);
  const { clipped, ratio, gradNorm } = clipMany(clippedPlan, clipping, eps, options.stats === true);
  const out: tf.NamedTensorMap = {};
  clippedPlan.forEach((p, i) => {
    out[p.name] = clipped[i]!;
  });
  // Excluded gradients pass through as new tensors sharing the data (a clone copies nothing).
  for (const p of excludedPlan) out[p.name] = tf.clone(p.grad);
  // Keep the caller's key order.
  const ordered: tf.NamedTensorMap = {};
  for (const p of plan) ordered[p.name] = out[p.name]!;
  const totalUnits = clippedPlan.reduce((n, p) => n + unitCount(p.param.shape, p.axes), 0);
  return { grads: ordered, clippedPlan, excludedPlan, totalUnits, ...(ratio ? { ratio } : {}), ...(gradNorm ? { gradNorm } : {}) };
}

/**
 * Clips every gradient in `grads` against the parameter of the same name. Throws (naming the
 * parameter) when a gradient has no parameter or a different shape. Leaks no tensors: the
 * returned gradients are new tensors owned by the caller; the inputs are not disposed.
 * With `stats: true` the statistics are read back synchronously (`dataSync`); on a backend that
 * cannot read synchronously (webgpu in Node) use `clipGradientsAsync`.
 */
export function clipGradients(
  grads: tf.NamedTensorMap,
  params: ParamsInput,
  options: ClipGradientsOptions = {},
): ClipGradientsResult {
  const prepared = prepareClip(grads, params, options);
  if (!options.stats) return { grads: prepared.grads };
  let packed: tf.Tensor1D | undefined;
  try {
    packed = packStats(prepared);
    const values = packed ? (packed.dataSync() as Float32Array) : new Float32Array(0);
    return { grads: prepared.grads, stats: decodeStats(prepared, values) };
  } catch (error) {
    tf.dispose(prepared.grads);
    throw error;
  } finally {
    packed?.dispose();
  }
}

/**
 * `clipGradients` with the statistics read back asynchronously (`await tensor.data()`), so it
 * works on every backend, webgpu in Node included (where `dataSync` is unavailable), and does not
 * block the thread while the device finishes. Same options, same results, same ownership: the
 * returned gradients are new tensors owned by the caller. Every error rejects the promise
 * (validation errors before anything is allocated); a failed read-back leaves no tensor behind.
 * The clipping itself is queued before the function returns; without `stats` nothing is read back.
 */
export async function clipGradientsAsync(
  grads: tf.NamedTensorMap,
  params: ParamsInput,
  options: ClipGradientsOptions = {},
): Promise<ClipGradientsResult> {
  const prepared = prepareClip(grads, params, options);
  if (!options.stats) return { grads: prepared.grads };
  let packed: tf.Tensor1D | undefined;
  try {
    packed = packStats(prepared);
    const values = packed ? ((await packed.data()) as Float32Array) : new Float32Array(0);
    return { grads: prepared.grads, stats: decodeStats(prepared, values) };
  } catch (error) {
    tf.dispose(prepared.grads);
    throw error;
  } finally {
    packed?.dispose();
  }
}

interface Planned {
  name: string;
  grad: tf.Tensor;
  param: tf.Tensor;
  axes: number[];
}

/**
 * Everything the statistics need in one flat tensor, so one read-back serves all parameters:
 * every unit ratio, every unit gradient norm, then a finiteness probe per excluded gradient
 * (0 when finite, NaN when it holds NaN or Inf). Disposes `ratio` and `gradNorm` (consumed);
 * undefined when there is nothing to read. The caller owns the result.
 */
function packStats(prepared: PreparedClip): tf.Tensor1D | undefined {
  const { excludedPlan, ratio, gradNorm } = prepared;
  try {
    return tf.tidy(() => {
      const probes = excludedPlan.map((p) => tf.reshape(tf.mul(tf.sum(tf.abs(p.grad)), 0), [1]));
      const parts = [...(ratio && gradNorm ? [ratio, gradNorm] : []), ...probes];
      return parts.length === 0 ? undefined : (tf.concat(parts) as tf.Tensor1D);
    });
  } finally {
    tf.dispose([ratio, gradNorm].filter((t) => t !== undefined));
  }
}

/** Turns the values read from `packStats`'s tensor into one `ClipStat` per parameter (clipped ones first, then excluded ones). */
function decodeStats(prepared: PreparedClip, values: Float32Array): ClipStat[] {
  const { clippedPlan, excludedPlan } = prepared;
  const { totalUnits } = prepared;
  const stats: ClipStat[] = [];
  let offset = 0;
  for (const p of clippedPlan) {
    const units = unitCount(p.param.shape, p.axes);
    let clippedUnits = 0;
    let maxRatio = 0;
    let nonFinite = false;
    for (let u = offset; u < offset + units; u++) {
      const r = values[u]!;
      // Non-finite gradients are passed through, never clipped. A finite gradient against a
      // zero parameter with eps = 0 has ratio Inf (clipped to zero) or NaN (0/0, untouched).
      if (!Number.isFinite(values[totalUnits + u]!)) nonFinite = true;
      else {
        if (r > 1) clippedUnits++;
        if (r > maxRatio) maxRatio = r;
      }
    }
    offset += units;
    stats.push({
      name: p.name,
      units,
      clippedUnits,
      clippedFraction: clippedUnits / units,
      maxRatio: nonFinite ? Number.NaN : maxRatio,
      nonFinite,
      excluded: false,
    });
  }
  offset = 2 * totalUnits;
  for (const p of excludedPlan) {
    const nonFinite = !Number.isFinite(values[offset++]!);
    stats.push({ name: p.name, units: 1, clippedUnits: 0, clippedFraction: 0, maxRatio: 0, nonFinite, excluded: true });
  }
  const order = new Map(clippedPlan.concat(excludedPlan).map((p, i) => [p.name, i]));
  const byName = new Map(stats.map((s) => [s.name, s]));
  return [...order.keys()].map((n) => byName.get(n)!);
}
