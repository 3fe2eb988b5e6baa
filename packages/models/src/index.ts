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
export { readSafetensors, writeSafetensors, type NamedArray, type Safetensors } from './safetensors.js';
export { loadTimmCheckpoint, saveTimmCheckpoint, type LoadReport } from './timm-checkpoint.js';
export { saveModel, loadModel, directorySaveHandler, directoryLoadHandler, type LoadModelOptions, type SaveModelOptions } from './model-io.js';
export {
  modelMetadata,
  MODEL_METADATA_KEY,
  MODEL_METADATA_VERSION,
  type ModelMetadata,
  type ModelMetadataInput,
  type MetadataNormalization,
} from './model-metadata.js';
export { loadHaikuCheckpoint, haikuToOurs } from './haiku-checkpoint.js';
export { readNpz } from './npz.js';
export { DEFAULT_FILE_LIMITS, type FileLimits } from './file-limits.js';
