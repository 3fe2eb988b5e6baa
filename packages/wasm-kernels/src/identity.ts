/**
 * Identity for the wasm backend without a copy. Upstream allocates a new buffer and copies every
 * value into it; tf.clone, a Variable's read, gradient pass-throughs and Keras layers call it
 * ~1,500 times per NFNet-F0 training step (212 M values copied, ~40 ms). Tensors are immutable and
 * no kernel writes into its inputs, so the output can share the input's data, reference counted —
 * as the cpu backend's Identity and the wasm backend's own Reshape do. Strings go to upstream.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { wrapKernel } from './wrap-kernel.js';

interface RefCountingBackend {
  incRef?(dataId: object): void;
}

export function identityKernel(backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return wrapKernel('Identity', backendName, upstream, (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const backend = args.backend as RefCountingBackend;
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') return undefined;
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  });
}
