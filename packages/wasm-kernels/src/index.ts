import './register.js';

export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './register.js';
export { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.js';
