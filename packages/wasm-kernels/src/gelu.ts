/**
 * The fused exact GELU kernels for the wasm backend, `NfGelu` and `NfGeluGrad` (the names
 * @nf/ws-conv's `ACTIVATIONS.gelu` looks for, with its registered gradient): one SIMD pass
 * forward, ½x(1 + erf(x/√2)), and one backward, dy·(Φ(x) + x·φ(x)), instead of ~5 and ~11 kernels
 * with an activation-sized intermediate each. Same erf and exp as our Erf and Exp kernels.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { KernelBackendLike } from './kernel-context.js';
import { heapOffset, requireSimdKernels } from './simd-module.js';

export const GELU_KERNEL = 'NfGelu';
export const GELU_GRAD_KERNEL = 'NfGeluGrad';

function elementwise(backendIn: unknown, inputs: tf.TensorInfo[], run: (offsets: number[], out: number, size: number) => void, what: string): tf.TensorInfo {
  const backend = backendIn as KernelBackendLike;
  const x = inputs[inputs.length - 1]!;
  for (const t of inputs) {
    if (t.dtype !== 'float32') throw new Error(`@nf/wasm-kernels: ${what} takes float32 tensors, got ${t.dtype}; cast first.`);
    if (t.shape.length !== x.shape.length || t.shape.some((d, i) => d !== x.shape[i])) {
      throw new Error(`@nf/wasm-kernels: ${what} needs inputs of one shape, got [${inputs.map((u) => u.shape.join(', ')).join('] and [')}].`);
    }
  }
  if (!backend.makeOutput) throw new Error(`@nf/wasm-kernels: ${what} runs on the wasm backend only.`);
  const out = backend.makeOutput.call(backend, [...x.shape], 'float32');
  const size = x.shape.reduce((n, d) => n * d, 1);
  if (size > 0) run(inputs.map((t) => heapOffset(backend, t)), heapOffset(backend, out), size);
  return out;
}

export function geluKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: GELU_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      return elementwise(backend, [x], ([xo], out, n) => requireSimdKernels(backend, 'the fused GELU').gelu_f32(xo!, out, n), GELU_KERNEL);
    },
  };
}

export function geluGradKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: GELU_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      return elementwise(backend, [dy, x], ([dyo, xo], out, n) => requireSimdKernels(backend, 'the fused GELU').gelu_grad_f32(dyo!, xo!, out, n), GELU_GRAD_KERNEL);
    },
  };
}
