/**
 * Sum and Mean for the wasm backend when the reduced axes are one block that does not end at the
 * last axis (a bias or gain gradient, [N, H, W, C] → [C]; global average pooling, [N, H, W, C] →
 * [N, C]; Scaled WS's statistics of [kh, kw, in, out] weights). Upstream first transposes the
 * reduced axes innermost — a copy of the whole input through the wasm Transpose — then sums; ours
 * sums the input in place, a vector of columns at a time (simd-kernels.wat `sum_middle`), in the
 * same order. Other reductions, other dtypes and a backend whose memory we cannot reach go to upstream.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackendLike } from './kernel-context.js';
import { heapOffset, simdKernels } from './simd-module.js';
import { wrapKernel } from './wrap-kernel.js';

interface ReduceAttrs {
  axis: number | number[];
  keepDims: boolean;
}

/** x viewed as [outer, rows, cols] with the rows reduced, or null when the axes are not such a block. */
export function middleBlock(shape: readonly number[], axes: readonly number[]): { outer: number; rows: number; cols: number } | null {
  if (axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  if (last - first + 1 !== sorted.length || new Set(sorted).size !== sorted.length || last === shape.length - 1) return null;
  const size = (from: number, to: number) => shape.slice(from, to).reduce((n, d) => n * d, 1);
  const block = { outer: size(0, first), rows: size(first, last + 1), cols: size(last + 1, shape.length) };
  return block.rows > 1 && block.outer * block.cols > 0 ? block : null;
}

export function reduceMiddleKernel(kernelName: 'Sum' | 'Mean', backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return wrapKernel(kernelName, backendName, upstream, (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as ReduceAttrs;
    const simd = simdKernels(args.backend);
    const backend = args.backend as KernelBackendLike;
    if (x.dtype !== 'float32' || simd === null || !backend.makeOutput) return undefined;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const block = middleBlock(x.shape, axes);
    if (block === null) return undefined;
    const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const outShape = keepDims ? kept : x.shape.filter((_, i) => !axes.includes(i));
    const out = backend.makeOutput.call(backend, outShape, 'float32');
    const divisor = kernelName === 'Mean' ? block.rows : 1;
    simd.sum_middle(heapOffset(backend, x), heapOffset(backend, out), block.outer, block.rows, block.cols, divisor);
    return out;
  });
}
