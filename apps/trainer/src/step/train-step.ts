/**
 * One optimisation step in the reference order (nfnet-facts.md §2.6, §6.1): gradients averaged over
 * the micro-batches → AGC (classifier weight excluded) → coupled weight decay on weights only →
 * SGD with Nesterov momentum at the scheduled learning rate. Everything runs inside tidy scopes;
 * the number of live tensors is the same after every step. The gradient half (`partialGradients`)
 * works on any subset of the batch's micro-batches, so data-parallel workers can share a batch.
 */
import * as tf from '@tensorflow/tfjs';
import { clipGradientsAsync, type ClipGradientsResult } from '@nf/agc';
import { HostMomentum, updatesOnHost } from './host-momentum.js';
import { decays, isClassifier, isClassifierWeight } from './param-groups.js';
import { withSeed } from '../data/seeded-random.js';

export interface StepOptions {
  clipping: number;
  weightDecay: number;
  labelSmoothing: number;
  accumulation: number;
  numClasses: number;
  onNan: 'stop' | 'skip';
  /**
   * Train only the classifier (head.fc's weight and bias; the head-only epochs): gradients are taken
   * for it alone (no backward pass through the body), and the other variables are left exactly as
   * they are — no update, no weight decay, their optimizer state untouched.
   */
  headOnly?: boolean;
}

export interface StepResult {
  loss: number;
  accuracy: number;
  gradNorm: number;
  clipFraction: number;
  skipped: boolean;
  nonFiniteParams: string[];
}

export class NonFiniteError extends Error {
  readonly code = 'NON_FINITE';
  constructor(readonly params: string[], message: string) {
    super(message);
    this.name = 'NonFiniteError';
    Object.defineProperty(this, Symbol.for('@nf/error'), { value: true });
  }
}

export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** A weight with the name it was created with ('stem.conv1/kernel'): stable across processes,
 * unlike the engine's variable name, which tfjs suffixes ('_3') when a model is built twice. */
export interface NamedWeight {
  name: string;
  variable: tf.Variable;
}

export function namedWeights(model: tf.LayersModel): NamedWeight[] {
  return model.trainableWeights.map((w) => ({ name: w.originalName, variable: w.read() as tf.Variable }));
}

export function lossOf(logits: tf.Tensor, labels: tf.Tensor, numClasses: number, smoothing: number): tf.Scalar {
  return tf.tidy(() => {
    const onehot = labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32'), numClasses) : labels;
    return tf.losses.softmaxCrossEntropy(onehot, logits, undefined, smoothing) as tf.Scalar;
  });
}

/** A slice of the batch: one micro-batch, computed by whichever worker holds it. */
export interface BatchPart {
  /** Position of the part among the batch's parts: it seeds the part's random masks, so that the
   * same part draws the same dropout and stochastic-depth masks on any worker. */
  index: number;
  start: number;
  size: number;
}

/** Splits `batch` examples into `parts` contiguous micro-batches whose sizes differ by at most one. */
export function splitBatch(batch: number, parts: number): BatchPart[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > batch) throw new Error(`cannot split a batch of ${batch} into ${parts} parts.`);
  const out: BatchPart[] = [];
  let start = 0;
  for (let index = 0; index < parts; index++) {
    const size = Math.floor(batch / parts) + (index < batch % parts ? 1 : 0);
    out.push({ index, start, size });
    start += size;
  }
  return out;
}

/** The seed of part `index` of a step whose parts are seeded from `base`. */
export function partSeed(base: number, index: number): number {
  return (Math.imul(base ^ 0x27d4eb2d, 0x165667b1) + Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

/** Gradients of the batch-mean loss restricted to some parts: Σₚ (sizeₚ / batch)·∇ meanLossₚ, and
 * the matching share of the loss, plus the count of correct predictions. Summing the results of
 * disjoint parts that cover the batch gives the full-batch mean-loss gradient. Keys are the
 * variables' engine names. */
export interface PartialGradients {
  grads: tf.NamedTensorMap;
  loss: tf.Scalar;
  correct: tf.Scalar;
}

export interface GradientOptions {
  labelSmoothing: number;
  numClasses: number;
  /** Gradients of the classifier only (StepOptions.headOnly): the result has no entry for the others. */
  headOnly?: boolean;
}

/** The variables a step differentiates and updates: all, or in the head-only epochs the classifier's. */
export function steppedVariables(vars: tf.Variable[], headOnly: boolean | undefined): tf.Variable[] {
  if (!headOnly) return vars;
  const head = vars.filter((v) => isClassifier(v.name));
  if (head.length === 0) throw new Error(`head-only step: the model has no classifier (head.fc) among its ${vars.length} variables.`);
  return head;
}

export function partialGradients(
  model: tf.LayersModel,
  vars: tf.Variable[],
  images: tf.Tensor4D,
  labels: tf.Tensor,
  parts: readonly BatchPart[],
  batch: number,
  seed: number,
  options: GradientOptions,
): PartialGradients {
  const stepped = steppedVariables(vars, options.headOnly);
  return tf.tidy(() => {
    let sum: tf.NamedTensorMap | undefined;
    let lossSum: tf.Tensor = tf.scalar(0);
    let correctSum: tf.Tensor = tf.scalar(0);
    for (const part of parts) {
      const whole = part.start === 0 && part.size === images.shape[0];
      const x = whole ? images : tf.slice(images, part.start, part.size);
      const y = whole ? labels : tf.slice(labels, part.start, part.size);
      const weight = part.size / batch;
      let correctM: tf.Tensor | undefined;
      const { value, grads: g } = withSeed(partSeed(seed, part.index), () =>
        tf.variableGrads(() => {
          const logits = model.apply(x, { training: true }) as tf.Tensor;
          // The logits die with the gradient scope; keep only the count of correct predictions.
          const hard = y.rank === 1 ? tf.cast(y, 'int32') : tf.argMax(y, 1);
          correctM = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), hard), 'float32')));
          const loss = lossOf(logits, y, options.numClasses, options.labelSmoothing);
          return weight === 1 ? loss : tf.mul(loss, weight);
        }, stepped),
      );
      correctSum = tf.add(correctSum, correctM!);
      correctM!.dispose();
      lossSum = tf.add(lossSum, value);
      sum = sum === undefined ? g : Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, tf.add(v, g[k]!)]));
    }
    return { grads: sum ?? {}, loss: lossSum as tf.Scalar, correct: correctSum as tf.Scalar };
  });
}

/** A base seed for the parts of one step, drawn from Math.random (which the trainer seeds per step). */
export function drawStepSeed(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}

/**
 * One step: gradients of the batch, then `applyUpdate`. Every Math.random draw of the step (its
 * part seed, dropout and stochastic-depth masks) happens synchronously, before the first `await`,
 * so a caller's `withSeed` around the call is still in force for all of them. The values are read
 * back asynchronously (`await tensor.data()`), which every backend supports, webgpu in Node included.
 */
export async function trainStep(
  model: tf.LayersModel,
  optimizer: StepOptimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor,
  lr: number,
  options: StepOptions,
): Promise<StepResult> {
  const vars = trainableVariables(model);
  const batch = images.shape[0];
  const parts = splitBatch(batch, options.accumulation);
  const gradients = partialGradients(model, vars, images, labels, parts, batch, drawStepSeed(), options);
  if (!(optimizer instanceof HostMomentum)) return applyUpdate(vars, optimizer, gradients, batch, lr, options);
  try {
    // Head-only steps have no gradient for the frozen variables: their part of the buffer is zeros.
    const grads = optimizer.readGradients(vars.map((v) => gradients.grads[v.name]));
    const weights = optimizer.readWeights(vars);
    return applyHostUpdate(vars, optimizer, grads, weights, gradients.loss.dataSync()[0]!, gradients.correct.dataSync()[0]!, batch, lr, options);
  } finally {
    tf.dispose([gradients.grads, gradients.loss, gradients.correct]);
  }
}

/** For a non-finite step: throws a NonFiniteError under `onNan: 'stop'`, else returns true (skip it). */
function skipOrStop(lossValue: number, gradNorm: number, nonFiniteParams: string[], onNan: 'stop' | 'skip'): true {
  if (onNan === 'stop') {
    throw new NonFiniteError(nonFiniteParams, `loss ${lossValue}, gradient norm ${gradNorm}; non-finite gradients in: ${nonFiniteParams.slice(0, 8).join(', ') || '(loss only)'}`);
  }
  return true;
}

/**
 * `applyUpdate` on the host (cpu and wasm backends, see host-momentum.ts): `grads` is the flat
 * full-batch gradient and `weights` the flat current weights, both in `optimizer`'s layout; both
 * are overwritten (clipped gradient, new weights). Same checks, order and result as `applyUpdate`.
 */
export function applyHostUpdate(
  vars: tf.Variable[],
  optimizer: HostMomentum,
  grads: Float32Array,
  weights: Float32Array,
  lossValue: number,
  correctValue: number,
  batch: number,
  lr: number,
  options: StepOptions,
): StepResult {
  const { gradNorm, nonFiniteParams } = optimizer.scan(grads);
  const finite = Number.isFinite(lossValue) && nonFiniteParams.length === 0;
  const skipped = !finite && skipOrStop(lossValue, gradNorm, nonFiniteParams, options.onNan);
  const { clipFraction } = skipped ? { clipFraction: 0 } : optimizer.apply(vars, grads, weights, lr, options);
  return { loss: lossValue, accuracy: correctValue / batch, gradNorm, clipFraction, skipped, nonFiniteParams };
}

/** The optimizer a step updates with: tfjs's (any backend) or the host one (cpu, wasm). */
export type StepOptimizer = tf.MomentumOptimizer | HostMomentum;

/** SGD with (Nesterov) momentum for `vars`: on the host where the backend's tensors are JavaScript memory, else tfjs's. */
export function createOptimizer(vars: readonly tf.Variable[], lr: number, momentum: number, nesterov: boolean, backend = tf.getBackend()): StepOptimizer {
  return updatesOnHost(backend) ? new HostMomentum(vars, momentum, nesterov) : tf.train.momentum(lr, momentum, nesterov);
}

/**
 * Applies full-batch gradients: AGC → weight decay → Nesterov SGD; disposes `gradients`. All
 * device work up to the finiteness check is queued before the first `await`; the loss, correct
 * count, gradient norm, each gradient's sum of squares and the AGC statistics come back in two
 * concurrent asynchronous reads (no `dataSync`). The update is applied after them, only when
 * the loss and the gradient norm are finite. No tensor outlives the call.
 */
export async function applyUpdate(
  vars: tf.Variable[],
  optimizer: tf.MomentumOptimizer,
  gradients: PartialGradients,
  batch: number,
  lr: number,
  options: StepOptions,
): Promise<StepResult> {
  const { grads, loss, correct } = gradients;
  let clipped: tf.NamedTensorMap | undefined;
  try {
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    const names = Object.keys(grads);
    // [loss, correct, ‖g‖, Σg² of each gradient in `names` order]: one read-back. A gradient's Σg²
    // is non-finite when it holds a NaN or Inf. The per-gradient sums are reduced with one sum
    // over their concatenation, not tf.addN: webgpu's AddN binds one storage buffer per input and
    // fails (silently, leaving a stale result) above the device's limit, 8 by default, i.e. 7 inputs.
    const scalars = tf.tidy(() => {
      const sq = names.map((k) => tf.reshape(tf.sum(tf.square(grads[k]!)), [1]));
      const perGrad = sq.length > 0 ? tf.concat(sq) : tf.zeros([0]);
      return tf.concat([tf.reshape(loss, [1]), tf.reshape(correct, [1]), tf.reshape(tf.sqrt(tf.sum(perGrad)), [1]), perGrad]);
    });
    const clipping: Promise<ClipGradientsResult> =
      options.clipping > 0
        ? clipGradientsAsync(grads, byName, { clipping: options.clipping, exclude: (name) => isClassifierWeight(name), stats: true })
        : Promise.resolve({ grads: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.clone(v)])) });
    const [read, clip] = await Promise.allSettled([scalars.data(), clipping]);
    scalars.dispose();
    if (clip.status === 'fulfilled') clipped = clip.value.grads;
    if (read.status === 'rejected') throw read.reason;
    if (clip.status === 'rejected') throw clip.reason;
    const values = read.value;
    const stats = clip.value.stats;
    const [lossValue, correctValue, gradNorm] = [values[0]!, values[1]!, values[2]!];
    const nonFiniteParams = (stats ?? []).filter((s) => s.nonFinite).map((s) => s.name);
    const units = (stats ?? []).filter((s) => !s.excluded).reduce((n, s) => n + s.units, 0);
    const clippedUnits = (stats ?? []).reduce((n, s) => n + s.clippedUnits, 0);
    const finite = Number.isFinite(lossValue) && Number.isFinite(gradNorm);
    if (!finite && nonFiniteParams.length === 0) {
      names.forEach((k, i) => {
        if (!Number.isFinite(values[3 + i]!)) nonFiniteParams.push(k);
      });
    }
    const skipped = !finite && skipOrStop(lossValue, gradNorm, nonFiniteParams, options.onNan);
    if (!skipped) {
      const clippedGrads = clipped!;
      const final = tf.tidy(() => {
        const out: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(clippedGrads)) {
          out[name] = options.weightDecay > 0 && decays(name) ? tf.add(g, tf.mul(byName[name]!, options.weightDecay)) : tf.clone(g);
        }
        return out;
      });
      // Every variable in model order: tf.train.momentum keeps its accumulations by position in this
      // map, and skips (no update, accumulation untouched) an entry whose gradient is null — a frozen
      // variable of a head-only step.
      const ordered = Object.fromEntries(vars.map((v) => [v.name, final[v.name] ?? null]));
      optimizer.setLearningRate(lr);
      optimizer.applyGradients(ordered as never);
      tf.dispose(final);
    }
    return { loss: lossValue, accuracy: correctValue / batch, gradNorm, clipFraction: units ? clippedUnits / units : 0, skipped, nonFiniteParams };
  } finally {
    if (clipped) tf.dispose(clipped);
    tf.dispose([grads, loss, correct]);
  }
}
