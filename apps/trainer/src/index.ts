export { train, type TrainResult } from './train.js';
export { resolveConfig, PRESETS, ConfigError, type TrainConfig } from './train-config.js';
export { trainStep, NonFiniteError } from './train-step.js';
export { warmupCosine } from './lr-schedule.js';
export { loadBackend } from './load-backend.js';
export { partialGradients, applyUpdate, splitBatch, type BatchPart, type PartialGradients, type StepOptions, type StepResult } from './train-step.js';
export { DataParallel } from './data-parallel.js';
