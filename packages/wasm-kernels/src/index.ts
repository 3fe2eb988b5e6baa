import './register.js';

export { registerWasmTrainingKernels, WASM_FASTER_KERNELS, WASM_TRAINING_KERNELS, WASM_WRAPPING_KERNELS } from './register.js';
export { batchMatMulKernel, fusedMatMulKernel, chooseRoute, productShape, SMALL_PRODUCT_ROWS, SIMD_PRODUCT_ROWS, type MatMulRoute, type ProductShape } from './batch-mat-mul.js';
export { conv2dBackpropFilterKernel, type BackpropFilterOptions } from './conv2d-backprop-filter.js';
export { COL2IM_MAX_CHANNELS, conv2dBackpropInputKernel, PHASE_FORM_MIN_CHANNELS, type BackpropInputOptions } from './conv2d-backprop-input.js';
export { depthwiseConv2dBackpropFilterKernel } from './depthwise-conv2d-backprop-filter.js';
export { depthwiseConv2dBackpropInputKernel } from './depthwise-conv2d-backprop-input.js';
export { GELU_GRAD_KERNEL, GELU_KERNEL, geluGradKernel, geluKernel } from './gelu.js';
export { SCALED_WS_GRAD_KERNEL, SCALED_WS_KERNEL, scaledWsGradKernel, scaledWsKernel, type ScaledWsAttrs } from './scaled-ws.js';
export { copySlice, sliceKernel, splitVKernel } from './slice.js';
export { relaxedSimdSupported, setSimdFlavour, simdFlavour, type SimdFlavour } from './simd-module.js';
