/**
 * Running other wasm kernels from inside a kernel, as the backends' own modular kernels do:
 * each call returns a TensorInfo owned by the caller; `intermediate` ones are released when the
 * kernel finishes (a failing kernel releases them too).
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelBackendLike {
  disposeData(dataId: object): boolean;
  /** The wasm backend's: a new output tensor, and a view of a tensor's values in the wasm heap. */
  makeOutput?(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array;
}

export class KernelContext {
  private readonly owned: tf.TensorInfo[] = [];

  constructor(readonly backend: KernelBackendLike, readonly backendName: string) {}

  /** Runs kernel `name` and keeps its output for release at the end. */
  run(name: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown> = {}): tf.TensorInfo {
    const kernel = tf.getKernel(name, this.backendName);
    if (!kernel) throw new Error(`@nf/wasm-kernels: kernel '${name}' is not registered for backend '${this.backendName}'.`);
    const out = kernel.kernelFunc({ inputs: inputs as tf.NamedTensorInfoMap, backend: this.backend as never, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    this.owned.push(out);
    return out;
  }

  /** Takes ownership of `t`, a tensor made by a kernel called directly: released at the end unless kept. */
  adopt(t: tf.TensorInfo): tf.TensorInfo {
    this.owned.push(t);
    return t;
  }

  /** A new float32 tensor (released at the end unless kept) and a view of its values to fill. */
  output(shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
    const { makeOutput, typedArrayFromHeap } = this.backend;
    if (!makeOutput || !typedArrayFromHeap) throw new Error(`@nf/wasm-kernels: backend '${this.backendName}' cannot allocate outputs from a kernel.`);
    const info = makeOutput.call(this.backend, shape, 'float32');
    this.owned.push(info);
    return { info, values: typedArrayFromHeap.call(this.backend, info) };
  }

  /** The values of a float32 tensor (a view of the backend's memory: read, do not keep). */
  values(t: tf.TensorInfo): Float32Array {
    const { typedArrayFromHeap } = this.backend;
    if (!typedArrayFromHeap) throw new Error(`@nf/wasm-kernels: backend '${this.backendName}' cannot expose tensor values to a kernel.`);
    return typedArrayFromHeap.call(this.backend, t);
  }

  /** Hands `result` to the caller: it is not released with the intermediates. */
  keep(result: tf.TensorInfo): tf.TensorInfo {
    const i = this.owned.indexOf(result);
    if (i >= 0) this.owned.splice(i, 1);
    return result;
  }

  release(): void {
    for (const t of this.owned) this.backend.disposeData(t.dataId);
    this.owned.length = 0;
  }
}

/** Runs `body` with a context whose intermediates are always released. */
export function withContext(backend: unknown, backendName: string, body: (ctx: KernelContext) => tf.TensorInfo): tf.TensorInfo {
  const ctx = new KernelContext(backend as KernelBackendLike, backendName);
  try {
    return ctx.keep(body(ctx));
  } finally {
    ctx.release();
  }
}
