import './register.js';

export { standardizeWeight, checkConvention, DEFAULT_WS_EPS, WS_CONVENTIONS, SCALED_WS_KERNEL, SCALED_WS_GRAD_KERNEL, SCALED_WS_GRADIENT, hasFusedScaledWs, type StandardizeOptions, type WsConvention } from './standardize-weight.js';
export {
  groupedConv2d,
  groupedConv2dBias,
  GROUPED_CONV_FILTER_GRAD_KERNEL,
  GROUPED_CONV_GRADIENT,
  GROUPED_CONV_INPUT_GRAD_KERNEL,
  GROUPED_CONV_KERNEL,
  hasGroupedConvKernels,
  type GroupedConv2dOptions,
  type GroupedConvAttrs,
} from './grouped-conv2d.js';
export { samePadding, symmetricPadding, resolvePadding, type Padding, type ExplicitPadding } from './padding.js';
export { groupNorm, type GroupNormOptions } from './group-norm.js';
export {
  ACTIVATION_GAMMA,
  ACTIVATIONS,
  gammaOf,
  computeGamma,
  computeGammaTf,
  scaledActivation,
  scaledActivationFn,
  mulConstant,
  GELU_KERNEL,
  GELU_GRAD_KERNEL,
  GELU_GRADIENT,
  hasFusedGelu,
  type ActivationName,
} from './activation-gamma.js';
export { WSConv2D, wsConv2d, type WSConv2DArgs } from './ws-conv2d-layer.js';
export { GroupedConv2D, groupedConv2dLayer, type GroupedConv2DArgs } from './grouped-conv2d-layer.js';
export { GroupNormalization, groupNormalization, type GroupNormalizationArgs } from './group-norm-layer.js';
export { FanInNormal, type InitializerSpec } from './initializers.js';
export { foldWeightStandardization } from './fold-weights.js';
export { WsConvError, isNfError, type WsConvErrorCode } from './errors.js';
