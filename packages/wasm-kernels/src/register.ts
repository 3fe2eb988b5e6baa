/**
 * Importing @nf/wasm-kernels registers its kernels for the 'wasm' backend (once; a kernel that is
 * already registered — e.g. by a future tfjs release — is left alone).
 */
// The backend's own kernels first, whatever the importer's order: the wrapping kernels below need
// them, and a later import of the backend would overwrite the faster ones (with a console warning).
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMulKernel, fusedMatMulKernel } from './batch-mat-mul.js';
import { sliceKernel, splitVKernel } from './slice.js';
import { simdUnaryKernel } from './unary-simd.js';
import { identityKernel } from './identity.js';
import { reduceMiddleKernel } from './reduce-middle.js';
import { maxPoolGradKernel } from './max-pool-grad.js';
import { avgPoolGradKernel } from './avg-pool-grad.js';
import { reverseKernel } from './reverse.js';
import { conv2dBackpropFilterKernel } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputKernel } from './conv2d-backprop-input.js';
import { depthwiseConv2dBackpropFilterKernel } from './depthwise-conv2d-backprop-filter.js';
import { depthwiseConv2dBackpropInputKernel } from './depthwise-conv2d-backprop-input.js';
import { geluGradKernel, geluKernel } from './gelu.js';
import { scaledWsGradKernel, scaledWsKernel } from './scaled-ws.js';

/** Kernels missing upstream (and @nf/ws-conv's fused GELU and Scaled WS pairs): added only where the backend has none. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterKernel('wasm'),
  depthwiseConv2dBackpropFilterKernel('wasm'),
  depthwiseConv2dBackpropInputKernel('wasm'),
  geluKernel('wasm'),
  geluGradKernel('wasm'),
  scaledWsKernel('wasm'),
  scaledWsGradKernel('wasm'),
];

/** Kernels upstream has but runs slowly: replaced (the previous one is unregistered first). */
export const WASM_FASTER_KERNELS: readonly tf.KernelConfig[] = [conv2dBackpropInputKernel('wasm')];

/** Kernels that take some cases themselves and hand the rest to the upstream kernel they wrap. */
export const WASM_WRAPPING_KERNELS: ReadonlyArray<{ kernelName: string; wrap: (upstream: tf.KernelConfig) => tf.KernelConfig }> = [
  { kernelName: 'BatchMatMul', wrap: (upstream) => batchMatMulKernel('wasm', upstream) },
  { kernelName: '_FusedMatMul', wrap: (upstream) => fusedMatMulKernel('wasm', upstream) },
  { kernelName: 'Slice', wrap: (upstream) => sliceKernel('wasm', upstream) },
  { kernelName: 'SplitV', wrap: (upstream) => splitVKernel('wasm', upstream) },
  { kernelName: 'Exp', wrap: (upstream) => simdUnaryKernel('Exp', 'wasm', upstream) },
  { kernelName: 'Erf', wrap: (upstream) => simdUnaryKernel('Erf', 'wasm', upstream) },
  { kernelName: 'Identity', wrap: (upstream) => identityKernel('wasm', upstream) },
  { kernelName: 'Sum', wrap: (upstream) => reduceMiddleKernel('Sum', 'wasm', upstream) },
  { kernelName: 'Mean', wrap: (upstream) => reduceMiddleKernel('Mean', 'wasm', upstream) },
  { kernelName: 'MaxPoolGrad', wrap: (upstream) => maxPoolGradKernel('wasm', upstream) },
  { kernelName: 'AvgPoolGrad', wrap: (upstream) => avgPoolGradKernel('wasm', upstream) },
  { kernelName: 'Reverse', wrap: (upstream) => reverseKernel('wasm', upstream) },
];

export function registerWasmTrainingKernels(): string[] {
  const added: string[] = [];
  for (const config of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(config.kernelName, config.backendName) === undefined) {
      tf.registerKernel(config);
      added.push(config.kernelName);
    }
  }
  for (const config of WASM_FASTER_KERNELS) {
    const current = tf.getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current !== undefined && (current as { nfReplaced?: boolean }).nfReplaced) continue;
    if (current !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel({ ...config, nfReplaced: true } as tf.KernelConfig);
    added.push(config.kernelName);
  }
  for (const { kernelName, wrap } of WASM_WRAPPING_KERNELS) {
    const current = tf.getKernel(kernelName, 'wasm');
    if (current === undefined || (current as { nfReplaced?: boolean }).nfReplaced) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ ...wrap(current), nfReplaced: true } as tf.KernelConfig);
    added.push(kernelName);
  }
  return added;
}

registerWasmTrainingKernels();
