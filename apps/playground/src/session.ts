/**
 * A training session: nf-train's Fashion-MNIST recipe (its preset), step by step, on whatever tfjs
 * backend is current. Host-independent — the page's Web Worker runs it on WebGPU/WebGL/wasm, the
 * tests run it in Node on the cpu backend — so both take exactly the same steps: `@nf/trainer/step`'s
 * `trainStep` (AGC with clip statistics, coupled weight decay, Nesterov momentum) under the step's
 * seed, the warmup + cosine schedule, the weight EMA, and nf-train's in-memory batches (seeded
 * shuffle, flips, shifts).
 */
import * as tf from '@tensorflow/tfjs';
import type { DataSource } from '@nf/data';
import { configOf, createModel, countParams, type NfConfig } from '@nf/models';
import { analyzeSignalPropagation, renderSvg, type SignalReport } from '@nf/signal-prop';
import {
  PRESETS,
  WeightEma,
  createOptimizer,
  evaluateAsync,
  fromSource,
  namedWeights,
  stepSeed,
  trainStep,
  trainableVariables,
  warmupCosine,
  withSeed,
  withSeedAsync,
  type BatchStream,
  type RasterDataset,
  type StepOptimizer,
  type TrainConfig,
} from '@nf/trainer/step';
import { DEFAULT_KNOBS, type Knobs } from './protocol.js';

export { DEFAULT_KNOBS, type Knobs };

export interface SessionOptions {
  /** Seeds the model's initialisation, the batches and every step's random draws. Default 0. */
  seed?: number;
  /** Images per step. Default 64. */
  batchSize?: number;
  /** Steps the schedule plans for (warmup + cosine over them). Default: one epoch. */
  plannedSteps?: number;
  /** Model from @nf/models' table. Default: the trainer's Fashion-MNIST model. */
  model?: string;
  knobs?: Partial<Knobs>;
  /** Peak learning rate. Default: the recipe's, scaled linearly from its batch size to this one. */
  peakLr?: number;
}

export interface StepMetrics {
  step: number;
  loss: number;
  accuracy: number;
  lr: number;
  gradNorm: number;
  clipFraction: number;
  /** Images per second of this step (the first includes kernel compilation). */
  imgPerSec: number;
  /** Live tensors after the step (flat across steps: nothing leaks). */
  numTensors: number;
  /** Bytes the backend holds for them (GPU memory on WebGPU/WebGL; flat across steps too). */
  numBytes: number;
  epoch: number;
  skipped: boolean;
}

export interface EvalMetrics {
  step: number;
  loss: number;
  accuracy: number;
  examples: number;
}

/** The trainer's Fashion-MNIST preset: the recipe the page trains with. */
export const RECIPE: TrainConfig = PRESETS['fashion-mnist']!;


/** The model configuration for `knobs` (α, gamma, WS on/off over the table's model). */
export function modelConfigFor(model: string, knobs: Knobs, numClasses = 10): NfConfig {
  return configOf(model as never, {
    numClasses,
    alpha: knobs.alpha,
    ...(knobs.gamma !== undefined ? { activationGamma: knobs.gamma } : {}),
    ...(knobs.ws ? {} : { weightStandardization: false }),
  });
}

export class TrainingSession {
  readonly knobs: Knobs;
  readonly seed: number;
  readonly batchSize: number;
  readonly plannedSteps: number;
  readonly warmupSteps: number;
  readonly modelConfig: NfConfig;
  readonly params: number;
  readonly peakLr: number;
  step = 0;
  private readonly model: tf.LayersModel;
  private readonly optimizer: StepOptimizer;
  private readonly ema: WeightEma | undefined;
  private readonly stream: BatchStream;
  private epoch = 0;
  private disposed = false;

  constructor(
    readonly train: RasterDataset,
    readonly test: RasterDataset,
    options: SessionOptions = {},
  ) {
    this.knobs = { ...DEFAULT_KNOBS, ...options.knobs };
    this.seed = options.seed ?? 0;
    this.batchSize = options.batchSize ?? 64;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0 && this.batchSize <= train.size)) {
      throw new Error(`batch size ${this.batchSize} must be a whole number from 1 to the training set's ${train.size} examples.`);
    }
    const stepsPerEpoch = Math.floor(train.size / this.batchSize);
    this.plannedSteps = Math.max(1, options.plannedSteps ?? stepsPerEpoch);
    this.warmupSteps = Math.min(this.plannedSteps - 1, Math.round(RECIPE.warmupEpochs * stepsPerEpoch));
    // The recipe's peak rate, scaled linearly from its batch size to this session's (DeepMind's rule).
    this.peakLr = options.peakLr ?? (RECIPE.lr * this.batchSize) / RECIPE.batchSize;
    this.modelConfig = modelConfigFor(options.model ?? RECIPE.model, this.knobs, train.numClasses);
    this.params = countParams(this.modelConfig);
    this.model = withSeed(this.seed, () => createModel(this.modelConfig));
    this.optimizer = createOptimizer(trainableVariables(this.model), this.peakLr, RECIPE.momentum, RECIPE.nesterov);
    this.ema = RECIPE.emaDecay > 0 ? new WeightEma(namedWeights(this.model), RECIPE.emaDecay) : undefined;
    this.stream = train.trainBatches({ epoch: 0, index: 0 }, { batchSize: this.batchSize, shift: RECIPE.randomShift, seed: this.seed });
  }


  /** One training step, exactly as nf-train takes it. */
  async trainStep(): Promise<StepMetrics> {
    this.assertLive();
    const t0 = performance.now();
    const batch = await this.stream.next(this.step);
    const lr = warmupCosine(this.step + 1, this.peakLr, this.warmupSteps, this.plannedSteps);
    let result;
    try {
      const options = {
        clipping: this.knobs.agc ? this.knobs.clipping : 0,
        weightDecay: RECIPE.weightDecay,
        labelSmoothing: RECIPE.labelSmoothing,
        accumulation: 1,
        numClasses: this.train.numClasses,
        onNan: 'skip' as const,
      };
      result = await withSeed(stepSeed(this.seed, this.step), () => trainStep(this.model, this.optimizer, batch.images, batch.labels, lr, options));
    } finally {
      tf.dispose([batch.images, batch.labels]);
    }
    this.step += 1;
    this.ema?.update(this.step);
    this.epoch = batch.next.epoch;
    return {
      step: this.step,
      loss: result.loss,
      accuracy: result.accuracy,
      lr,
      gradNorm: result.gradNorm,
      clipFraction: result.clipFraction,
      imgPerSec: (batch.size * 1000) / (performance.now() - t0),
      numTensors: tf.memory().numTensors,
      numBytes: tf.memory().numBytes,
      epoch: this.epoch,
      skipped: result.skipped,
    };
  }

  /** Test loss and top-1 of the EMA weights (the live ones when EMA is off) on `limit` examples. */
  async evaluate(limit = 0): Promise<EvalMetrics> {
    this.assertLive();
    const run = () => evaluateAsync(this.model, this.test, 128, limit);
    const r = this.ema ? await this.ema.withAveraged(run) : await run();
    return { step: this.step, loss: r.loss, accuracy: r.accuracy, examples: limit > 0 ? Math.min(limit, this.test.size) : this.test.size };
  }

  /** The signal-propagation statistics of the model now (the EMA weights after training), and its plot. */
  async signalPropagation(label: string): Promise<{ report: SignalReport; svg: string }> {
    this.assertLive();
    const analyze = () =>
      withSeedAsync(this.seed, () => analyzeSignalPropagation(this.model, { batchSize: 8, seed: this.seed, size: this.modelConfig.trainSize, label }));
    const report = this.ema && this.step > 0 ? await this.ema.withAveraged(analyze) : await analyze();
    return { report, svg: renderSvg([report], { panelWidth: 300, panelHeight: 220 }) };
  }

  /** Class probabilities for images already prepared as the model's input [N, H, W, C]. */
  predict(images: tf.Tensor4D): Float32Array {
    this.assertLive();
    return tf.tidy(() => (tf.softmax(this.model.predict(images) as tf.Tensor) as tf.Tensor).dataSync() as Float32Array);
  }

  /** The trained model (EMA weights swapped in while `fn` runs, as nf-train saves them). */
  async withModel<T>(fn: (model: tf.LayersModel) => Promise<T>): Promise<T> {
    this.assertLive();
    return this.ema && this.step > 0 ? this.ema.withAveraged(() => fn(this.model)) : fn(this.model);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    void this.stream.close();
    if ('dispose' in this.optimizer && typeof this.optimizer.dispose === 'function') this.optimizer.dispose();
    this.ema?.dispose();
    this.model.dispose();
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('this training session was disposed; start a new one.');
  }
}

/** Train and test sets from @nf/data sources, as nf-train holds them (normalised, seeded order). */
export function datasetsFrom(train: DataSource, test: DataSource, seed: number, trainLimit = 0): { train: RasterDataset; test: RasterDataset } {
  return { train: fromSource(train, seed, trainLimit), test: fromSource(test, seed) };
}
