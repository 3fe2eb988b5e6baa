/**
 * `withAGC(optimizer)`: any tfjs optimizer, with Adaptive Gradient Clipping applied to the
 * gradients in `applyGradients`, against the current values of the variables being updated.
 * Works with `model.fit` (tfjs-layers calls `minimize`, which calls `applyGradients`), with
 * `optimizer.minimize`, and with custom loops. With `accumulationSteps: k`, k successive calls
 * are summed and the average is clipped once, then applied: gradient accumulation that stays
 * exact for AGC (the references clip the accumulated, averaged gradient, never each micro-batch).
 *
 * Reference order (deepmind-research `nfnets/optim.py`): clip, then the optimizer's own update.
 * Counter-example we avoid: SGD_AGC fusing the clip into SGD; here the clip wraps any optimizer.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A named tensor (tfjs-core's io type, not re-exported at its top level). */
type NamedTensor = { name: string; tensor: tf.Tensor };
import { clipGradients, type AxesResolver, type ClipStat, type NonFinitePolicy } from './clip-gradients.js';
import { resolveClipOptions } from './adaptive-clip.js';
import { checkGradientPair, isTensorLike } from './check-tensors.js';
import { AgcError, AgcRangeError, formatValue, kindOf, quoteName } from './errors.js';
import { toPredicate, type ExcludeSpec } from './exclude.js';
import { entriesOf, hasOwn, setEntry } from './named-map.js';

export interface WithAgcOptions {
  /** lambda, default 0.01. */
  clipping?: number;
  /** Weight-norm floor, default 1e-3. */
  eps?: number;
  /** Parameters left unclipped (names, RegExp or predicate), e.g. the classifier weight. */
  exclude?: ExcludeSpec;
  /** Reduction per parameter (see `clipGradients`). Functions are not serialized. */
  axes?: AxesResolver;
  /** Sum this many `applyGradients` calls, then clip their average once and apply it. Default 1. */
  accumulationSteps?: number;
  /** Called with per-parameter statistics each time gradients are clipped (costs one small read-back). */
  onStats?: (stats: ClipStat[]) => void;
  /**
   * `'pass'` (default) or `'throw'`: with `'throw'`, a NaN or Inf in a gradient or a variable
   * makes `applyGradients` throw an AgcError `NON_FINITE` naming the variables, before the inner
   * optimizer runs, so the update (and any pending accumulated sums) is dropped and the variables
   * are left as they were. Costs one small synchronous read-back per update.
   */
  onNonFinite?: NonFinitePolicy;
}

/**
 * Serialized form of `exclude`. tfjs-layers camel-cases every string of a saved training config
 * on load ('stem_conv0/w' would come back as 'stemConv0/w'), so the spec travels as base64 JSON,
 * whose alphabet has no underscore. Functions cannot be saved.
 */
type SerializedExclude = { encoded: string } | { unserializable: true } | null;

const ACCUMULATOR_SUFFIX = '/agc_accumulator';
const ACCUMULATED_STEPS = 'agc/accumulated_steps';
let instanceCounter = 0;

function toBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(encoded: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
}

function serializeExclude(spec: ExcludeSpec | undefined): SerializedExclude {
  if (spec === undefined) return null;
  if (typeof spec === 'function') return { unserializable: true };
  const plain = spec instanceof RegExp ? { source: spec.source, flags: spec.flags } : { names: [...spec] };
  return { encoded: toBase64(JSON.stringify(plain)) };
}

function deserializeExclude(value: unknown): ExcludeSpec | undefined {
  if (value == null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.encoded === 'string') {
    const plain = JSON.parse(fromBase64(v.encoded)) as { names?: string[]; source?: string; flags?: string };
    if (Array.isArray(plain.names)) return plain.names;
    return new RegExp(plain.source ?? '', plain.flags ?? '');
  }
  if (v.unserializable) {
    console.warn('@nf/agc: this AGC optimizer was saved with an `exclude` function, which cannot be serialized; ' +
      'it is restored without exclusions. Pass names or a RegExp to keep them across save/load.');
  }
  return undefined;
}

/**
 * A name → gradient map without the null entries tfjs uses for variables without gradient (tfjs
 * optimizers skip them; so does AGC). Names are own properties, whatever they are.
 */
function toGradMap(variableGradients: tf.NamedTensorMap | NamedTensor[]): tf.NamedTensorMap {
  if (typeof variableGradients !== 'object' || variableGradients === null || isTensorLike(variableGradients)) {
    throw new AgcError(
      'BAD_INPUT',
      `applyGradients needs a { name: gradient } map or an array of { name, tensor }, received ${isTensorLike(variableGradients) ? 'a single tensor' : kindOf(variableGradients)}.`,
    );
  }
  let entries: Array<[string, tf.Tensor | null | undefined]>;
  if (Array.isArray(variableGradients)) {
    entries = variableGradients.map((entry: unknown, i) => {
      const e = entry as Partial<NamedTensor> | null;
      if (typeof e !== 'object' || e === null || typeof e.name !== 'string') {
        throw new AgcError('BAD_INPUT', `applyGradients: entry ${i} must be { name: string, tensor }, received ${formatValue(entry)}.`);
      }
      return [e.name, e.tensor];
    });
  } else {
    entries = entriesOf(variableGradients as Record<string, tf.Tensor | null | undefined>);
  }
  const map: tf.NamedTensorMap = {};
  for (const [name, tensor] of entries) if (tensor != null) setEntry(map, name, tensor);
  return map;
}

/** The registered variable of each name (own entries only); AGC clips against its current value. */
function variablesOf(names: Iterable<string>): Record<string, tf.Variable> {
  const registered = tf.engine().registeredVariables;
  const params: Record<string, tf.Variable> = {};
  for (const name of names) {
    const v = hasOwn(registered, name) ? registered[name] : undefined;
    if (v == null) {
      throw new AgcError('MISSING_PARAM', `Gradient ${quoteName(name)} names no registered variable; AGC needs the variable's current value. ` +
        'Pass gradients keyed by variable name (as tf.variableGrads returns them).');
    }
    setEntry(params, name, v);
  }
  return params;
}

/** An optimizer that clips with AGC, then delegates to `inner`. Create it with `withAGC`. */
export class AgcOptimizer extends tf.Optimizer {
  /** Serialization name: a file format, never rename. */
  static className = 'AGCOptimizer';

  readonly inner: tf.Optimizer;
  readonly clipping: number;
  readonly eps: number;
  readonly accumulationSteps: number;
  private readonly options: WithAgcOptions;
  private readonly accumulators = new Map<string, tf.Variable>();
  private accumulated = 0;
  private readonly id = instanceCounter++;
  private restores = 0;

  constructor(inner: tf.Optimizer, options: WithAgcOptions = {}) {
    super();
    if (inner == null || typeof (inner as tf.Optimizer).applyGradients !== 'function') {
      throw new AgcError('UNKNOWN_OPTIMIZER', `withAGC needs a tfjs optimizer (e.g. tf.train.momentum(0.1, 0.9)), received ${kindOf(inner)}.`);
    }
    options = options ?? {};
    const { clipping, eps } = resolveClipOptions(options);
    toPredicate(options.exclude); // throws BAD_OPTION now rather than at the first update
    for (const key of ['axes', 'onStats'] as const) {
      if (options[key] !== undefined && typeof options[key] !== 'function') {
        throw new AgcError('BAD_OPTION', `${key} must be a function, received ${formatValue(options[key])}.`);
      }
    }
    if (options.onNonFinite !== undefined && options.onNonFinite !== 'pass' && options.onNonFinite !== 'throw') {
      throw new AgcError('BAD_OPTION', `onNonFinite must be 'pass' or 'throw', received ${formatValue(options.onNonFinite)}.`);
    }
    const steps = options.accumulationSteps ?? 1;
    if (!Number.isInteger(steps) || steps < 1) {
      throw new AgcRangeError(`accumulationSteps must be an integer >= 1, received ${formatValue(steps)}.`);
    }
    this.inner = inner;
    this.clipping = clipping;
    this.eps = eps;
    this.accumulationSteps = steps;
    this.options = options;
  }

  /** Steps applied by the inner optimizer (accumulating calls do not count). */
  override get iterations(): number {
    return this.inner.iterations;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const grads = toGradMap(variableGradients);
    const params = variablesOf(Object.keys(grads));
    if (this.accumulationSteps === 1) {
      this.clipAndApply(grads, params);
      return;
    }
    // Everything is checked before summing, so a bad call leaves the pending sums as they were.
    for (const [name, g] of entriesOf(grads)) checkGradientPair(quoteName(name), g, params[name]);
    this.accumulate(grads);
    this.accumulated += 1;
    if (this.accumulated < this.accumulationSteps) return;
    // Average every partial sum, also of variables absent from this last call.
    const names = [...this.accumulators.keys()];
    const averaged = tf.tidy(() => {
      const out: tf.NamedTensorMap = {};
      for (const name of names) setEntry(out, name, tf.div(this.accumulators.get(name)!, this.accumulationSteps));
      return out;
    });
    try {
      this.clipAndApply(averaged, variablesOf(names));
    } finally {
      tf.dispose(averaged);
      tf.tidy(() => {
        for (const acc of this.accumulators.values()) acc.assign(tf.zerosLike(acc));
      });
      this.accumulated = 0;
    }
  }

  private accumulate(grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      for (const [name, g] of entriesOf(grads)) {
        let acc = this.accumulators.get(name);
        if (acc === undefined) {
          acc = tf.variable(tf.zerosLike(g), false, `${name}${ACCUMULATOR_SUFFIX}_${this.id}`);
          this.accumulators.set(name, acc);
        }
        acc.assign(tf.add(acc, g));
      }
    });
  }

  private clipAndApply(grads: tf.NamedTensorMap, params: Record<string, tf.Variable>): void {
    const { grads: clipped, stats } = clipGradients(grads, params, {
      clipping: this.clipping,
      eps: this.eps,
      exclude: this.options.exclude,
      axes: this.options.axes,
      stats: this.options.onStats !== undefined,
      onNonFinite: this.options.onNonFinite ?? 'pass',
    });
    try {
      this.inner.applyGradients(clipped);
    } finally {
      tf.dispose(clipped);
    }
    if (stats) this.options.onStats!(stats);
  }

  override dispose(): void {
    this.inner.dispose();
    for (const acc of this.accumulators.values()) acc.dispose();
    this.accumulators.clear();
  }

  /** The inner optimizer's weights, then (when accumulating) the partial sums and their count. */
  override async getWeights(): Promise<NamedTensor[]> {
    const weights = await this.inner.getWeights();
    if (this.accumulationSteps === 1) return weights;
    const ours: NamedTensor[] = [...this.accumulators].map(([name, v]) => ({ name: name + ACCUMULATOR_SUFFIX, tensor: v }));
    ours.push({ name: ACCUMULATED_STEPS, tensor: tf.scalar(this.accumulated, 'int32') });
    return [...weights, ...ours];
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const innerWeights: NamedTensor[] = [];
    const sums: NamedTensor[] = [];
    let accumulated = 0;
    for (const w of weightValues) {
      if (w.name === ACCUMULATED_STEPS) accumulated = (await w.tensor.data())[0]!;
      else if (w.name.endsWith(ACCUMULATOR_SUFFIX)) sums.push(w);
      else innerWeights.push(w);
    }
    await this.inner.setWeights(innerWeights as never);
    // Partial sums belong to variables by name. If one is not registered here (e.g. a model loaded
    // twice in one process gets '_1' names), the half-accumulated step cannot be completed exactly:
    // drop it and start the next accumulation from zero.
    const registered = tf.engine().registeredVariables;
    const orphan = sums.some((w) => !hasOwn(registered, w.name.slice(0, -ACCUMULATOR_SUFFIX.length)));
    if (orphan && accumulated > 0) {
      console.warn('@nf/agc: pending accumulated gradients refer to variables that do not exist here; they are dropped and accumulation restarts.');
    }
    for (const acc of this.accumulators.values()) acc.dispose();
    this.accumulators.clear();
    this.accumulated = orphan ? 0 : accumulated;
    if (orphan) return;
    for (const w of sums) {
      const name = w.name.slice(0, -ACCUMULATOR_SUFFIX.length);
      this.accumulators.set(name, tf.variable(w.tensor, false, `${name}${ACCUMULATOR_SUFFIX}_${this.id}_${this.restores}`));
    }
    this.restores += 1;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      clipping: this.clipping,
      eps: this.eps,
      accumulationSteps: this.accumulationSteps,
      exclude: serializeExclude(this.options.exclude) as unknown as tf.serialization.ConfigDictValue,
      optimizer: { className: this.inner.getClassName(), config: this.inner.getConfig() },
      // Only when set, so configs saved before this option existed compare equal.
      ...(this.options.onNonFinite === 'throw' ? { onNonFinite: 'throw' } : {}),
    };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    const innerSpec = (config.optimizer ?? {}) as { className?: string; class_name?: string; config: tf.serialization.ConfigDict };
    const innerName = String(innerSpec.className ?? innerSpec.class_name ?? '');
    const classNameMap = tf.serialization.SerializationMap.getMap().classNameMap;
    const entry = hasOwn(classNameMap, innerName) ? classNameMap[innerName] : undefined;
    if (entry === undefined) {
      throw new AgcError('UNKNOWN_OPTIMIZER', `Cannot restore the optimizer inside AGC: class ${quoteName(innerName)} is not registered; ` +
        'import the module that registers it before loading.');
    }
    const [innerCls, innerFromConfig] = entry;
    const inner = innerFromConfig(innerCls, innerSpec.config) as unknown as tf.Optimizer;
    return new (cls as unknown as typeof AgcOptimizer)(inner, {
      clipping: config.clipping as number,
      eps: config.eps as number,
      accumulationSteps: (config.accumulationSteps as number | undefined) ?? 1,
      exclude: deserializeExclude(config.exclude),
      ...(config.onNonFinite === 'throw' ? { onNonFinite: 'throw' as const } : {}),
    }) as unknown as T;
  }
}

/**
 * Wraps any tfjs optimizer so every update is clipped with AGC first:
 * `model.compile({ optimizer: withAGC(tf.train.momentum(0.1, 0.9), { exclude: /classifier/ }), loss })`.
 */
export function withAGC(optimizer: tf.Optimizer, options: WithAgcOptions = {}): AgcOptimizer {
  return new AgcOptimizer(optimizer, options);
}
