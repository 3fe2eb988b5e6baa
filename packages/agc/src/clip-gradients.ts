/**
 * AGC over a whole map of gradients: the transform an optimizer applies before its update.
 * Reference: optax `adaptive_grad_clip` (stateless, needs params); deepmind-research
 * `experiment_nfnets.py` param groups (classifier weight not clipped) expressed as `exclude`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { clipMany, resolveClipOptions } from './adaptive-clip.js';
import { checkGradientPair, isTensorLike } from './check-tensors.js';
import { AgcError, formatValue, kindOf, quoteName } from './errors.js';
import { toPredicate, type ExcludeSpec } from './exclude.js';
import { entriesOf, ownValue, setEntry } from './named-map.js';
import { resolveAxes, unitCount, type NormAxes } from './unitwise-norm.js';

/** Chooses the unit-norm reduction per parameter; `undefined` keeps the default rule. */
export type AxesResolver = (name: string, shape: readonly number[]) => NormAxes | undefined;

/** What to do when a gradient or a parameter holds NaN or Inf. */
export type NonFinitePolicy = 'pass' | 'throw';

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
  /**
   * `'pass'` (default): units with a NaN/Inf gradient or parameter norm pass through unchanged
   * and are reported in the statistics (`nonFinite`, `nonFiniteParam`). `'throw'`: reads the
   * statistics back (even without `stats`) and throws an AgcError with code `NON_FINITE` naming
   * the parameters; no gradient is returned and none is left allocated.
   */
  onNonFinite?: NonFinitePolicy;
}

/** Per-parameter clip statistics. */
export interface ClipStat {
  name: string;
  /** Number of units (norms) in this parameter. */
  units: number;
  /** Units whose gradient was rescaled. */
  clippedUnits: number;
  /** clippedUnits / units (0 when there are no units). */
  clippedFraction: number;
  /** Largest |G_i| / (clipping * max(|W_i|, eps)); above 1 means clipped. NaN when `nonFinite` or `nonFiniteParam`. */
  maxRatio: number;
  /** True when the gradient holds a NaN or Inf (its norm is not finite); such units are not clipped. */
  nonFinite: boolean;
  /** True when the parameter holds a NaN or Inf (its norm is not finite); such units are not clipped. */
  nonFiniteParam: boolean;
  /** True when the parameter was excluded (its gradient passed through). */
  excluded: boolean;
}

export interface ClipGradientsResult {
  /**
   * New gradient tensors, one per input gradient that is not null/undefined (excluded ones are
   * clones), in the input's key order. The caller owns them.
   */
  grads: tf.NamedTensorMap;
  stats?: ClipStat[];
}

/**
 * Gradients by parameter name, as `tf.variableGrads` returns them. A null or undefined entry means
 * "no gradient" (tfjs optimizers skip those too): it needs no parameter and is left out of the result.
 */
export type GradientsInput = { readonly [name: string]: tf.Tensor | null | undefined };

/** Parameters given as a name → tensor map, a list of variables, or a name → variable map. */
export type ParamsInput = tf.NamedTensorMap | readonly tf.Variable[] | Record<string, tf.Variable>;

/** Where to look a parameter up: by own name only, so 'toString' or '__proto__' are ordinary names. */
function toParamMap(params: ParamsInput): Map<string, unknown> {
  if (Array.isArray(params)) {
    const map = new Map<string, unknown>();
    (params as readonly unknown[]).forEach((v, i) => {
      if (!isTensorLike(v) || typeof (v as tf.Variable).name !== 'string') {
        throw new AgcError(
          'BAD_INPUT',
          `params[${i}] is not a tf.Variable (received ${isTensorLike(v) ? 'a tensor without a name' : kindOf(v)}); ` +
            `pass variables, or a name → tensor map.`,
        );
      }
      map.set((v as tf.Variable).name, v);
    });
    return map;
  }
  checkMapArgument('params', params);
  return new Map(entriesOf(params as Record<string, unknown>));
}

/** Throws BAD_INPUT unless `value` is a plain name → value object. */
function checkMapArgument(what: 'grads' | 'params', value: unknown): void {
  const fix =
    what === 'grads'
      ? 'pass a { name: gradient } map (as tf.variableGrads returns in .grads); for one tensor use adaptiveClip'
      : 'pass a { name: tensor } map, a { name: variable } map or an array of variables';
  if (typeof value !== 'object' || value === null || Array.isArray(value) || isTensorLike(value) || value instanceof Map) {
    const received = isTensorLike(value) ? 'a single tensor' : Array.isArray(value) ? 'an array' : kindOf(value);
    throw new AgcError('BAD_INPUT', `${what} must be a name → tensor object, received ${received}; ${fix}.`);
  }
}

/** What both entry points share: the clipped gradients and what decoding the statistics needs. */
interface PreparedClip {
  /** New gradient tensors in the caller's key order; the caller owns them. */
  grads: tf.NamedTensorMap;
  clippedPlan: Planned[];
  excludedPlan: Planned[];
  /** Number of units of all of `clippedPlan` together. */
  totalUnits: number;
  /** Read the statistics back: `stats` asked for them, or `onNonFinite: 'throw'` needs them. */
  readBack: boolean;
  wantStats: boolean;
  throwOnNonFinite: boolean;
  /** Unit ratios, gradient norms and parameter sums of squares of `clippedPlan`, flat; only with `readBack`. */
  ratio?: tf.Tensor1D;
  gradNorm?: tf.Tensor1D;
  paramSq?: tf.Tensor1D;
}

/** Validates, clips, and (with `readBack`) keeps the per-unit tensors the statistics are read from. */
function prepareClip(grads: GradientsInput, params: ParamsInput, options: ClipGradientsOptions | null): PreparedClip {
  const opts = options ?? {};
  const { clipping, eps } = resolveClipOptions(opts);
  const isExcluded = toPredicate(opts.exclude);
  if (opts.axes !== undefined && typeof opts.axes !== 'function') {
    throw new AgcError('BAD_OPTION', `axes must be a function (name, shape) => axes | undefined, received ${formatValue(opts.axes)}.`);
  }
  const onNonFinite = opts.onNonFinite ?? 'pass';
  if (onNonFinite !== 'pass' && onNonFinite !== 'throw') {
    throw new AgcError('BAD_OPTION', `onNonFinite must be 'pass' or 'throw', received ${formatValue(onNonFinite)}.`);
  }
  checkMapArgument('grads', grads);
  const paramMap = toParamMap(params);

  // Validate everything before allocating anything.
  const plan: Planned[] = [];
  for (const [name, grad] of entriesOf(grads)) {
    if (grad === null || grad === undefined) continue; // no gradient: nothing to clip
    const label = quoteName(name);
    const param = paramMap.get(name);
    if (param === undefined || param === null) {
      const known = [...paramMap.keys()];
      const shape = isTensorLike(grad) ? ` (shape [${grad.shape.join(', ')}])` : '';
      throw new AgcError(
        'MISSING_PARAM',
        `Gradient ${label}${shape} has no parameter of that name; known parameters: ` +
          `${known.slice(0, 8).map(quoteName).join(', ') || '(none)'}${known.length > 8 ? ', …' : ''}. Pass the variables the gradients were computed for.`,
      );
    }
    checkGradientPair(label, grad, param);
    const p = param as tf.Tensor;
    const excluded = Boolean(isExcluded(name, p.shape));
    const axes = excluded ? [] : resolveAxes(p.rank, opts.axes?.(name, p.shape), `parameter ${label}`);
    plan.push({ name, grad, param: p, excluded, axes });
  }

  const wantStats = Boolean(opts.stats);
  const throwOnNonFinite = onNonFinite === 'throw';
  const readBack = wantStats || throwOnNonFinite;
  const clippedPlan = plan.filter((p) => !p.excluded);
  const excludedPlan = plan.filter((p) => p.excluded);
  const { clipped, ratio, gradNorm, paramSq } = clipMany(clippedPlan, clipping, eps, readBack);
  const byName = new Map<string, tf.Tensor>();
  clippedPlan.forEach((p, i) => byName.set(p.name, clipped[i]!));
  // Excluded gradients pass through as new tensors sharing the data (a clone copies nothing).
  for (const p of excludedPlan) byName.set(p.name, tf.clone(p.grad));
  // Keep the caller's key order; names are defined as own properties, so any name survives.
  const ordered: tf.NamedTensorMap = {};
  for (const p of plan) setEntry(ordered, p.name, byName.get(p.name)!);
  const totalUnits = clippedPlan.reduce((n, p) => n + unitCount(p.param.shape, p.axes), 0);
  return {
    grads: ordered,
    clippedPlan,
    excludedPlan,
    totalUnits,
    readBack,
    wantStats,
    throwOnNonFinite,
    ...(ratio ? { ratio } : {}),
    ...(gradNorm ? { gradNorm } : {}),
    ...(paramSq ? { paramSq } : {}),
  };
}

/** The result once the statistics are read: throws NON_FINITE when asked to (the caller disposes the gradients). */
function finish(prepared: PreparedClip, values: Float32Array): ClipGradientsResult {
  const stats = decodeStats(prepared, values);
  if (prepared.throwOnNonFinite) throwIfNonFinite(stats);
  return prepared.wantStats ? { grads: prepared.grads, stats } : { grads: prepared.grads };
}

/**
 * Clips every gradient in `grads` against the parameter of the same name. Throws an AgcError
 * (naming the parameter, on one line) when a gradient has no parameter, is not a live float32
 * tensor, or has another shape; null/undefined gradients are skipped. Leaks no tensors: the
 * returned gradients are new tensors owned by the caller; the inputs are not disposed.
 * With `stats: true` (or `onNonFinite: 'throw'`) the statistics are read back synchronously
 * (`dataSync`); on a backend that cannot read synchronously (webgpu in Node) use `clipGradientsAsync`.
 */
export function clipGradients(
  grads: GradientsInput,
  params: ParamsInput,
  options: ClipGradientsOptions = {},
): ClipGradientsResult {
  const prepared = prepareClip(grads, params, options);
  if (!prepared.readBack) return { grads: prepared.grads };
  let packed: tf.Tensor1D | undefined;
  try {
    packed = packStats(prepared);
    const values = packed ? (packed.dataSync() as Float32Array) : new Float32Array(0);
    return finish(prepared, values);
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
 * (validation errors before anything is allocated); a failed read-back or a `NON_FINITE` rejection
 * leaves no tensor behind. The clipping itself is queued before the function returns; without
 * `stats` (and `onNonFinite: 'throw'`) nothing is read back.
 */
export async function clipGradientsAsync(
  grads: GradientsInput,
  params: ParamsInput,
  options: ClipGradientsOptions = {},
): Promise<ClipGradientsResult> {
  const prepared = prepareClip(grads, params, options);
  if (!prepared.readBack) return { grads: prepared.grads };
  let packed: tf.Tensor1D | undefined;
  try {
    packed = packStats(prepared);
    const values = packed ? ((await packed.data()) as Float32Array) : new Float32Array(0);
    return finish(prepared, values);
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
  excluded: boolean;
  axes: number[];
}

/**
 * Everything the statistics need in one flat tensor, so one read-back serves all parameters:
 * every unit ratio, every unit gradient norm, every unit parameter sum of squares, then two
 * finiteness probes per excluded parameter, gradient then parameter (0 when finite, NaN when it
 * holds NaN or Inf). Disposes `ratio`, `gradNorm` and `paramSq` (consumed); undefined when there is
 * nothing to read. The caller owns the result.
 */
function packStats(prepared: PreparedClip): tf.Tensor1D | undefined {
  const { excludedPlan, ratio, gradNorm, paramSq } = prepared;
  try {
    return tf.tidy(() => {
      const probe = (t: tf.Tensor) => tf.reshape(tf.mul(tf.sum(tf.abs(t)), 0), [1]);
      const probes = excludedPlan.flatMap((p) => [probe(p.grad), probe(p.param)]);
      const parts = [...(ratio && gradNorm && paramSq ? [ratio, gradNorm, paramSq] : []), ...probes];
      return parts.length === 0 ? undefined : (tf.concat(parts) as tf.Tensor1D);
    });
  } finally {
    tf.dispose([ratio, gradNorm, paramSq].filter((t) => t !== undefined));
  }
}

/** Turns the values read from `packStats`'s tensor into one `ClipStat` per parameter (clipped ones first, then excluded ones). */
function decodeStats(prepared: PreparedClip, values: Float32Array): ClipStat[] {
  const { clippedPlan, excludedPlan, totalUnits } = prepared;
  const byName = new Map<string, ClipStat>();
  let offset = 0;
  for (const p of clippedPlan) {
    const units = unitCount(p.param.shape, p.axes);
    let clippedUnits = 0;
    let maxRatio = 0;
    let nonFinite = false;
    let nonFiniteParam = false;
    for (let u = offset; u < offset + units; u++) {
      const r = values[u]!;
      // Units with a non-finite gradient or parameter norm are passed through, never clipped. A
      // finite gradient against a zero parameter with eps = 0 has ratio Inf (clipped to zero) or
      // NaN (0/0, untouched).
      const gradBad = !Number.isFinite(values[totalUnits + u]!);
      const paramBad = !Number.isFinite(values[2 * totalUnits + u]!);
      if (gradBad) nonFinite = true;
      if (paramBad) nonFiniteParam = true;
      if (!gradBad && !paramBad) {
        if (r > 1) clippedUnits++;
        if (r > maxRatio) maxRatio = r;
      }
    }
    offset += units;
    byName.set(p.name, {
      name: p.name,
      units,
      clippedUnits,
      clippedFraction: units > 0 ? clippedUnits / units : 0,
      maxRatio: nonFinite || nonFiniteParam ? Number.NaN : maxRatio,
      nonFinite,
      nonFiniteParam,
      excluded: false,
    });
  }
  offset = 3 * totalUnits;
  for (const p of excludedPlan) {
    const nonFinite = !Number.isFinite(values[offset++]!);
    const nonFiniteParam = !Number.isFinite(values[offset++]!);
    byName.set(p.name, { name: p.name, units: 1, clippedUnits: 0, clippedFraction: 0, maxRatio: 0, nonFinite, nonFiniteParam, excluded: true });
  }
  return [...clippedPlan, ...excludedPlan].map((p) => byName.get(p.name)!);
}

/** Throws NON_FINITE naming every parameter whose gradient or value holds NaN or Inf. */
function throwIfNonFinite(stats: readonly ClipStat[]): void {
  const bad = stats.filter((s) => s.nonFinite || s.nonFiniteParam);
  if (bad.length === 0) return;
  const shown = bad.slice(0, 8).map((s) => {
    const what = s.nonFinite && s.nonFiniteParam ? 'gradient and parameter' : s.nonFinite ? 'gradient' : 'parameter';
    return `${quoteName(s.name)} (${what})`;
  });
  throw new AgcError(
    'NON_FINITE',
    `NaN or Inf in ${bad.length} parameter${bad.length === 1 ? '' : 's'}: ${shown.join(', ')}${bad.length > 8 ? ', …' : ''}; ` +
      `nothing was clipped or returned. Find where the values come from (learning rate, loss, data), or pass onNonFinite: 'pass' to clip the rest and read stats.`,
  );
}
