/**
 * Gradient side of signal propagation: per layer and per weight, the gradient norm, the weight
 * norm and their ratio, the quantity Adaptive Gradient Clipping bounds (Brock et al. 2021, Sec. 4;
 * deepmind-research `nfnets/optim.py` / `agc_optax.py`). `maxUnitRatio` is AGC's own unit-wise
 * ratio `‖G_i‖ / max(‖W_i‖, eps)` (one unit per index of the last axis; vectors and scalars are
 * one unit), so a value above your clipping λ means AGC would clip that weight.
 * Differs: nothing is clipped or updated; the model's state (BatchNorm averages) is restored.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SignalPropError } from './errors.js';
import { isContainer, type Layer } from './layer-graph.js';
import { preservingState } from './model-state.js';

/** `(yTrue, yPred) => scalar`, or the name of a common loss. */
export type LossSpec = ((yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar) | LossName;
export type LossName = 'meanSquaredError' | 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy' | 'binaryCrossentropy' | 'softmaxCrossEntropy';

export interface GradientBatch {
  readonly xs: tf.Tensor | readonly tf.Tensor[];
  readonly ys: tf.Tensor;
}

export interface GradientStatsOptions {
  /** Forward in training mode (default true). */
  training?: boolean;
  /** AGC's floor on weight norms in the ratios (zero-initialized biases and gains). Default 1e-3 (the paper's). */
  eps?: number;
}

export interface WeightGradientStats {
  /** Weight name as tfjs reports it (`conv2d_Conv2D1/kernel`). */
  readonly name: string;
  readonly shape: readonly number[];
  /** Frobenius norms; `null` when the loss does not depend on the weight. */
  readonly gradNorm: number | null;
  readonly weightNorm: number;
  /** gradNorm / max(weightNorm, eps): AGC's ratio with the whole tensor as one unit. */
  readonly ratio: number | null;
  /** Largest unit-wise ‖G_i‖ / max(‖W_i‖, eps), as AGC computes it. */
  readonly maxUnitRatio: number | null;
}

export interface LayerGradientStats {
  readonly name: string;
  readonly className: string;
  /** Order of the layer in the model. */
  readonly index: number;
  /** Over all trainable weights of the layer. */
  readonly gradNorm: number | null;
  readonly weightNorm: number;
  readonly ratio: number | null;
  readonly maxUnitRatio: number | null;
  readonly weights: readonly WeightGradientStats[];
}

export interface GradientReport {
  readonly loss: number;
  readonly layers: readonly LayerGradientStats[];
}

const EPSILON_LOG = 1e-7;

function lossFunction(spec: LossSpec): (y: tf.Tensor, p: tf.Tensor) => tf.Scalar {
  if (typeof spec === 'function') return spec;
  switch (spec) {
    case 'meanSquaredError':
      return (y, p) => tf.losses.meanSquaredError(y, p) as tf.Scalar;
    case 'softmaxCrossEntropy':
      return (y, p) => tf.losses.softmaxCrossEntropy(y, p) as tf.Scalar;
    case 'categoricalCrossentropy':
      return (y, p) => tf.neg(tf.mean(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, EPSILON_LOG, 1 - EPSILON_LOG))), -1))) as tf.Scalar;
    case 'sparseCategoricalCrossentropy':
      return (y, p) => {
        const oneHot = tf.oneHot(tf.cast(tf.reshape(y, [-1]), 'int32'), p.shape[p.rank - 1]!);
        return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(p, EPSILON_LOG, 1 - EPSILON_LOG))), -1))) as tf.Scalar;
      };
    case 'binaryCrossentropy':
      return (y, p) => {
        const q = tf.clipByValue(p, EPSILON_LOG, 1 - EPSILON_LOG);
        return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))))) as tf.Scalar;
      };
    default:
      throw new SignalPropError('BAD_OPTION', `unknown loss ${JSON.stringify(spec)}; pass (yTrue, yPred) => scalar or one of meanSquaredError, categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, softmaxCrossEntropy.`);
  }
}

/** Leaf layers of a model (nested models expanded) that own trainable weights, in model order. */
function leafLayers(model: { layers: Layer[] }): Layer[] {
  return model.layers.flatMap((l) => (isContainer(l) ? leafLayers(l) : l.trainableWeights.length > 0 ? [l] : []));
}

/** ‖G‖², ‖W‖², max unit ratio for one weight, as a [3] tensor. */
function weightNumbers(g: tf.Tensor | null, w: tf.Tensor, eps: number): tf.Tensor1D {
  return tf.tidy(() => {
    const axes = w.rank <= 1 ? undefined : Array.from({ length: w.rank - 1 }, (_, i) => i);
    const wSq = tf.sum(tf.square(w));
    if (!g) return tf.stack([tf.scalar(NaN), wSq, tf.scalar(NaN)]) as tf.Tensor1D;
    const gUnits = tf.sqrt(tf.sum(tf.square(g), axes));
    const wUnits = tf.maximum(tf.sqrt(tf.sum(tf.square(w), axes)), eps);
    return tf.stack([tf.sum(tf.square(g)), wSq, tf.max(tf.div(gUnits, wUnits))]) as tf.Tensor1D;
  });
}

/**
 * Gradient statistics of `loss(ys, model(xs))` with respect to every trainable weight, grouped
 * by layer. One read-back; no tensors left behind; the model is not changed.
 */
export async function gradientStats(model: tfl.LayersModel, loss: LossSpec, batch: GradientBatch, options: GradientStatsOptions = {}): Promise<GradientReport> {
  const lossFn = lossFunction(loss);
  const eps = options.eps ?? 1e-3;
  if (!(eps >= 0)) throw new SignalPropError('BAD_OPTION', `eps must be a number >= 0, received ${String(options.eps)}.`);
  if (!batch || !batch.ys || !batch.xs) throw new SignalPropError('BAD_INPUT', 'gradientStats needs a batch { xs, ys } of tensors.');
  if (model.outputs.length !== 1) {
    throw new SignalPropError('BAD_INPUT', `model '${model.name}' has ${model.outputs.length} outputs; gradientStats takes a single-output model (build one with tf.model({ inputs, outputs: [theOutput] })).`);
  }
  const layers = leafLayers(model);
  const vars = layers.flatMap((l) => l.trainableWeights);
  if (vars.length === 0) throw new SignalPropError('BAD_INPUT', `model '${model.name}' has no trainable weights; nothing to differentiate.`);
  const training = options.training ?? true;
  const xs = (Array.isArray(batch.xs) ? [...batch.xs] : batch.xs) as tf.Tensor | tf.Tensor[];

  const compute = () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => {
        const pred = model.apply(xs, { training }) as tf.Tensor;
        return lossFn(batch.ys, pred);
      }, vars.map((v) => v.read() as tf.Variable));
      const rows = vars.map((v) => weightNumbers(grads[(v.read() as tf.Variable).name] ?? null, v.read(), eps));
      return tf.concat([tf.reshape(value, [1]), ...rows]);
    });
  let packed: tf.Tensor;
  try {
    packed = await preservingState(model, compute);
  } catch (error) {
    const missing = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec((error as Error).message ?? '');
    if (!missing) throw error;
    throw new SignalPropError('UNSUPPORTED_LAYER', `gradients of model '${model.name}' need the kernel ${missing[1]}, which the ${missing[2]} backend lacks; compute gradient statistics on the cpu backend (await tf.setBackend('cpu')).`, { cause: error });
  }
  const data = await packed.data();
  packed.dispose();

  let k = 1;
  const result: LayerGradientStats[] = layers.map((layer, index) => {
    let g2 = 0;
    let w2 = 0;
    let anyGrad = false;
    let maxUnit: number | null = null;
    const weights: WeightGradientStats[] = layer.trainableWeights.map((v) => {
      const [gSq, wSq, unit] = [data[k]!, data[k + 1]!, data[k + 2]!];
      k += 3;
      const has = !Number.isNaN(gSq);
      if (has) {
        anyGrad = true;
        g2 += gSq;
        maxUnit = Math.max(maxUnit ?? -Infinity, unit);
      }
      w2 += wSq;
      const gradNorm = has ? Math.sqrt(gSq) : null;
      const weightNorm = Math.sqrt(wSq);
      return { name: v.name, shape: v.shape as number[], gradNorm, weightNorm, ratio: gradNorm === null ? null : gradNorm / Math.max(weightNorm, eps), maxUnitRatio: has ? unit : null };
    });
    const gradNorm = anyGrad ? Math.sqrt(g2) : null;
    const weightNorm = Math.sqrt(w2);
    return {
      name: layer.name,
      className: layer.getClassName(),
      index,
      gradNorm,
      weightNorm,
      ratio: gradNorm === null ? null : gradNorm / Math.max(weightNorm, eps),
      maxUnitRatio: maxUnit,
      weights,
    };
  });
  return { loss: data[0]!, layers: result };
}
