import './register.js';

export { unitwiseNorm, defaultUnitAxes, type NormAxes } from './unitwise-norm.js';
export {
  adaptiveClip,
  DEFAULT_CLIPPING,
  DEFAULT_EPS,
  GRAD_NORM_FLOOR,
  type AdaptiveClipOptions,
} from './adaptive-clip.js';
export {
  clipGradients,
  clipGradientsAsync,
  type AxesResolver,
  type ClipGradientsOptions,
  type ClipGradientsResult,
  type ClipStat,
  type GradientsInput,
  type NonFinitePolicy,
  type ParamsInput,
} from './clip-gradients.js';
export { clipArrayInPlace, unitClipScales, type ClipArrayOptions, type ClipArrayStat } from './clip-array.js';
export { toPredicate, type ExcludeSpec, type ParamPredicate } from './exclude.js';
export { withAGC, AgcOptimizer, type WithAgcOptions } from './with-agc.js';
export { AgcError, AgcRangeError, isNfError, type AgcErrorCode } from './errors.js';
