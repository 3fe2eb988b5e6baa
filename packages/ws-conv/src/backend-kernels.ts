/** Whether the current backend offers optional kernels (the fused GELU and Scaled WS pairs). */
import * as tf from '@tensorflow/tfjs-core';

/** True when the current backend registers every one of `names`. */
export function backendHasKernels(...names: string[]): boolean {
  const backend = tf.getBackend();
  return names.every((name) => tf.getKernel(name, backend) !== undefined);
}
