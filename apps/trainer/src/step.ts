/**
 * `@nf/trainer/step`: nf-train's training step, schedule, EMA, presets and in-memory batches, for
 * other hosts of the same training (the browser playground). Browser-safe: nothing here reaches a
 * Node module, so a web bundler takes it as it is; the step is the one `nf-train train` takes.
 */
export { trainStep, createOptimizer, namedWeights, trainableVariables, lossOf, NonFiniteError, type StepOptimizer, type StepOptions, type StepResult, type NamedWeight } from './step/train-step.js';
export { WeightEma } from './step/ema.js';
export { warmupCosine } from './step/lr-schedule.js';
export { isClassifier, isClassifierWeight } from './step/param-groups.js';
export { withSeed, withSeedAsync, stepSeed } from './data/seeded-random.js';
export { fromSource, seededUniform, type Dataset, type RasterDataset, type BatchStream, type StreamBatch, type DataPosition, type TrainBatchOptions, type EvalBatch, type Augment } from './data/raster-dataset.js';
export { PRESETS, resolveConfig, ConfigError, type TrainConfig } from './config/train-config.js';
export { evaluateAsync, evaluate, type EvalResult } from './model/evaluate.js';
