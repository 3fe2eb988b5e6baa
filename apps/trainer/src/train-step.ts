/**
 * One optimisation step in the reference order (nfnet-facts.md §2.6, §6.1): gradients averaged over
 * the micro-batches → AGC (classifier weight excluded) → coupled weight decay on weights only →
 * SGD with Nesterov momentum at the scheduled learning rate. Everything runs inside tidy scopes;
 * the number of live tensors is the same after every step.
 */
import * as tf from '@tensorflow/tfjs';
import { clipGradients } from '@nf/agc';
import { decays, isClassifierWeight } from './param-groups.js';

export interface StepOptions {
  clipping: number;
  weightDecay: number;
  labelSmoothing: number;
  accumulation: number;
  numClasses: number;
  onNan: 'stop' | 'skip';
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

export function trainStep(
  model: tf.LayersModel,
  optimizer: tf.MomentumOptimizer,
  images: tf.Tensor4D,
  labels: tf.Tensor,
  lr: number,
  options: StepOptions,
): StepResult {
  const vars = trainableVariables(model);
  const batch = images.shape[0];
  const micro = options.accumulation;
  const size = batch / micro;
  const { grads, loss, correct } = tf.tidy(() => {
    let sum: tf.NamedTensorMap | undefined;
    let lossSum: tf.Tensor = tf.scalar(0);
    let correctSum: tf.Tensor = tf.scalar(0);
    for (let m = 0; m < micro; m++) {
      const x = micro === 1 ? images : tf.slice(images, m * size, size);
      const y = micro === 1 ? labels : tf.slice(labels, m * size, size);
      let correctM: tf.Tensor | undefined;
      const { value, grads: g } = tf.variableGrads(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        // The logits die with the gradient scope; keep only the count of correct predictions.
        const hard = y.rank === 1 ? tf.cast(y, 'int32') : tf.argMax(y, 1);
        correctM = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), hard), 'float32')));
        return lossOf(logits, y, options.numClasses, options.labelSmoothing);
      }, vars);
      correctSum = tf.add(correctSum, correctM!);
      correctM!.dispose();
      lossSum = tf.add(lossSum, value);
      sum = sum === undefined ? g : Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, tf.add(v, g[k]!)]));
    }
    const avg = micro === 1 ? sum! : Object.fromEntries(Object.entries(sum!).map(([k, v]) => [k, tf.div(v, micro)]));
    return { grads: avg, loss: tf.div(lossSum, micro), correct: correctSum };
  });

  try {
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    const clippedResult =
      options.clipping > 0
        ? clipGradients(grads, byName, { clipping: options.clipping, exclude: (name) => isClassifierWeight(name), stats: true })
        : { grads: Object.fromEntries(Object.entries(grads).map(([k, v]) => [k, tf.clone(v)])), stats: undefined };
    const stats = clippedResult.stats;
    const nonFiniteParams = (stats ?? []).filter((s) => s.nonFinite).map((s) => s.name);
    const units = (stats ?? []).filter((s) => !s.excluded).reduce((n, s) => n + s.units, 0);
    const clippedUnits = (stats ?? []).reduce((n, s) => n + s.clippedUnits, 0);
    const [lossValue, gradNorm, correctValue] = tf.tidy(() => {
      const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
      return [loss, tf.sqrt(tf.addN(sq)), correct].map((t) => t.dataSync()[0]!) as [number, number, number];
    });
    const finite = Number.isFinite(lossValue) && Number.isFinite(gradNorm);
    if (!finite && nonFiniteParams.length === 0) {
      for (const [k, g] of Object.entries(grads)) if (!Number.isFinite(tf.tidy(() => tf.sum(g).dataSync()[0]!))) nonFiniteParams.push(k);
    }
    let skipped = false;
    if (!finite) {
      if (options.onNan === 'stop') {
        tf.dispose(clippedResult.grads);
        throw new NonFiniteError(nonFiniteParams, `loss ${lossValue}, gradient norm ${gradNorm}; non-finite gradients in: ${nonFiniteParams.slice(0, 8).join(', ') || '(loss only)'}`);
      }
      skipped = true;
    } else {
      const final = tf.tidy(() => {
        const out: tf.NamedTensorMap = {};
        for (const [name, g] of Object.entries(clippedResult.grads)) {
          out[name] = options.weightDecay > 0 && decays(name) ? tf.add(g, tf.mul(byName[name]!, options.weightDecay)) : tf.clone(g);
        }
        return out;
      });
      optimizer.setLearningRate(lr);
      optimizer.applyGradients(final as never);
      tf.dispose(final);
    }
    tf.dispose(clippedResult.grads);
    return { loss: lossValue, accuracy: correctValue / batch, gradNorm, clipFraction: units ? clippedUnits / units : 0, skipped, nonFiniteParams };
  } finally {
    tf.dispose([grads, loss, correct]);
  }
}
