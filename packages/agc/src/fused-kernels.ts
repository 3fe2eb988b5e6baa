/**
 * Two fused kernels for the pure-JavaScript `cpu` backend, where every generic op is a separate
 * pass and reducing or broadcasting over a non-last axis goes through slow index arithmetic:
 * - `NfUnitSumSquares`: x viewed as [rows, units] → sum over rows of x², float64 accumulation, one read.
 * - `NfScaleUnits`: x viewed as [rows, units] times a [units] scale, one read and one write.
 * Registered with `tf.registerKernel` (the tfjs mechanism for custom kernels) under names no other
 * package uses. Other backends (wasm, webgpu, tensorflow) have none of these names and take the
 * generic op path, which is fast there.
 */
import * as tf from '@tensorflow/tfjs-core';

export const UNIT_SUM_SQUARES = 'NfUnitSumSquares';
export const SCALE_UNITS = 'NfScaleUnits';

/** Arguments tfjs passes to a kernel function. */
interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: unknown;
  attrs: Record<string, unknown>;
}

/** The parts of the cpu backend used here (public methods of its KernelBackend). */
interface CpuLikeBackend {
  // readSync returns the stored typed array itself on the cpu backend: no copy.
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function unitSumSquaresCpu({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const units = attrs.units as number;
  const b = backend as unknown as CpuLikeBackend;
  const values = b.readSync(x.dataId);
  const acc = new Float64Array(units);
  for (let off = 0; off < values.length; off += units) {
    for (let u = 0; u < units; u++) {
      const v = values[off + u]!;
      acc[u]! += v * v;
    }
  }
  return b.makeTensorInfo([units], 'float32', Float32Array.from(acc));
}

function scaleUnitsCpu({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const scale = inputs.scale as tf.TensorInfo;
  const b = backend as unknown as CpuLikeBackend;
  const values = b.readSync(x.dataId);
  const s = b.readSync(scale.dataId);
  const units = s.length;
  const out = new Float32Array(values.length);
  for (let off = 0; off < values.length; off += units) {
    for (let u = 0; u < units; u++) out[off + u] = values[off + u]! * s[u]!;
  }
  return b.makeTensorInfo(x.shape.slice(), 'float32', out);
}

/** Registers the cpu kernels once (a second copy of this package finds them already there). */
export function registerFusedKernels(): void {
  const kernels: Array<[string, (args: KernelArgs) => tf.TensorInfo]> = [
    [UNIT_SUM_SQUARES, unitSumSquaresCpu],
    [SCALE_UNITS, scaleUnitsCpu],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, 'cpu') === undefined) {
      tf.registerKernel({ kernelName, backendName: 'cpu', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
    }
  }
}

/** True when the active backend has a fused kernel of this name. */
export function hasFusedKernel(kernelName: string): boolean {
  return tf.getKernel(kernelName, tf.getBackend()) !== undefined;
}

/** Runs a fused kernel (no gradient: AGC is never differentiated). */
export function runFused(kernelName: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor {
  return tf.engine().runKernel(kernelName, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor;
}
