/**
 * A kernel that takes some calls itself and hands the rest to the upstream kernel it replaces:
 * `run` returns the output, or undefined for "upstream's case". Upstream's setup and dispose
 * functions stay (upstream still runs).
 */
import type * as tf from '@tensorflow/tfjs-core';

export type KernelArgs = Parameters<tf.KernelFunc>[0];

export function wrapKernel(
  kernelName: string,
  backendName: string,
  upstream: tf.KernelConfig,
  run: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined,
): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    setupFunc: upstream.setupFunc,
    disposeFunc: upstream.disposeFunc,
    kernelFunc: (args) => run(args) ?? upstream.kernelFunc(args),
  };
}
