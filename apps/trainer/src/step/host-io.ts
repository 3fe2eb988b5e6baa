/**
 * Copies between float32 tensors and JavaScript buffers for the host update, with one copy each way.
 * `dataSync()` on wasm allocates a new array per tensor (a slice of the wasm heap) that is then
 * copied again into the flat buffer, and `tf.tensor(buffer.slice())` copies twice on the way in:
 * for NFNet-F0's 71 M parameters that was ~1 s of a 5 s training step at 64² batch 8.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmLike {
  typedArrayFromHeap?(t: tf.TensorInfo): Float32Array;
}

/** Copies `t`'s values (float32) into `out` at `offset`: straight from the wasm heap on wasm, else via dataSync (no copy on cpu). */
export function readFloat32Into(t: tf.Tensor, out: Float32Array, offset: number): void {
  if (t.dtype !== 'float32') throw new Error(`expected a float32 tensor, got ${t.dtype} (shape [${t.shape.join(', ')}]).`);
  const backend = tf.engine().backend as WasmLike;
  // A tensor made on another backend is moved into the heap by the backend's data lookup.
  if (tf.getBackend() === 'wasm' && typeof backend.typedArrayFromHeap === 'function') {
    // A view of the heap: valid until the next allocation, used at once.
    out.set(backend.typedArrayFromHeap(t), offset);
  } else {
    out.set(t.dataSync() as Float32Array, offset);
  }
}

/**
 * A new float32 tensor holding a copy of `values` (a view into a larger buffer is fine). The wasm
 * backend copies into its heap as the tensor is made; the cpu backend keeps the array it is given,
 * so there the values are copied first.
 */
export function float32Tensor(values: Float32Array, shape: number[]): tf.Tensor {
  return tf.tensor(tf.getBackend() === 'wasm' ? values : values.slice(), shape, 'float32');
}

/**
 * Remembers which data a list of tensors held when last copied (their dataIds: `Variable.assign`
 * gives a variable new data, so an unchanged dataId means unchanged values).
 */
export class DataIds {
  private ids: readonly object[] | undefined;

  /** True when every tensor still holds the data recorded last. */
  unchanged(tensors: readonly tf.Tensor[]): boolean {
    const ids = this.ids;
    return ids !== undefined && ids.length === tensors.length && tensors.every((t, k) => t.dataId === ids[k]);
  }

  record(tensors: readonly tf.Tensor[]): void {
    this.ids = tensors.map((t) => t.dataId);
  }

  forget(): void {
    this.ids = undefined;
  }
}
