/**
 * @nf/models, for any environment tfjs runs in (browsers, workers, Node): no Node module is reached
 * from here. Folders, paths and .npz archives are `@nf/models/node` (node.ts), which re-exports all of this.
 */
import './register.js';

export { modelConfigs, listModels, type ModelName } from './model-configs.js';
export { validateNfConfig, type NfConfig, type StemType } from './nf-config.js';
export { stagePlan, makeDivisible, allConvs, type StagePlan, type BlockPlan, type ConvPlan } from './stage-plan.js';
export { countParams, countMacs, resolveConfig } from './count.js';
export { createModel, configOf, type NfOverrides } from './build-model.js';
export { ScaledActivation } from './scaled-activation.js';
export { SqueezeExcite } from './squeeze-excite.js';
export { NfResidual } from './nf-residual.js';
export { PaddedMaxPool } from './max-pool.js';
export { ModelsError, isNfError, type ModelsErrorCode } from './errors.js';
export { readSafetensors, writeSafetensors, loadSafetensors, type NamedArray, type Safetensors } from './safetensors.js';
export { loadTimmCheckpoint, saveTimmCheckpoint, type LoadReport, type TimmLoadOptions } from './timm-checkpoint.js';
export {
  saveModel,
  loadModel,
  modelLoadHandler,
  type LoadModelOptions,
  type SaveModelOptions,
  type ModelSource,
  type ModelFiles,
} from './model-io.js';
export type { ByteSource, FetchLike } from './byte-source.js';
export {
  modelMetadata,
  MODEL_METADATA_KEY,
  MODEL_METADATA_VERSION,
  type ModelMetadata,
  type ModelMetadataInput,
  type MetadataNormalization,
} from './model-metadata.js';
export { haikuToOurs } from './haiku-names.js';
export { DEFAULT_FILE_LIMITS, type FileLimits } from './file-limits.js';
