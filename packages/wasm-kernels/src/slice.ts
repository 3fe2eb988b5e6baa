/**
 * Slice and SplitV for the wasm backend without copying the whole input per slice.
 *
 * Upstream (tfjs-backend-wasm 4.22) starts every slice with `readSync` of the *entire* input — a
 * copy out of the wasm heap — and takes the slice from that copy; SplitV does so once per piece,
 * so splitting a tensor into G parts copies it G + 1 times (a grouped conv's split of NFNet-F0's
 * activations: ~300 ms of a 4 s training step at 64² batch 8). These read the input in place:
 * a contiguous slice is one copy of its values, any other one row by row of its innermost axis.
 * Float32 only; other dtypes (and empty slices) go to upstream.
 */
import * as tf from '@tensorflow/tfjs-core';
import { copyRuns } from './js-layout.js';
import { KernelContext, withContext } from './kernel-context.js';

interface SliceAttrs {
  begin: number | number[];
  size: number | number[];
}

interface SplitVAttrs {
  numOrSizeSplits: number | number[];
  axis: number;
}

export function sliceKernel(backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'Slice',
    backendName,
    setupFunc: upstream.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { begin, size } = args.attrs as unknown as SliceAttrs;
      if (x.dtype !== 'float32') return upstream.kernelFunc(args);
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
      tf.slice_util.assertParamsValid(x as tf.Tensor, b, s);
      if (s.some((d) => d === 0)) return upstream.kernelFunc(args);
      return withContext(args.backend, backendName, (ctx) => sliceOf(ctx, x, b, s));
    },
  };
}

export function splitVKernel(backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'SplitV',
    backendName,
    setupFunc: upstream.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { numOrSizeSplits, axis } = args.attrs as unknown as SplitVAttrs;
      if (x.dtype !== 'float32' || x.shape.some((d) => d === 0)) return upstream.kernelFunc(args);
      const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
      if (sizes.some((d) => d === 0)) return upstream.kernelFunc(args);
      const ctx = new KernelContext(args.backend as never, backendName);
      try {
        const begin = new Array<number>(x.shape.length).fill(0);
        const pieces = sizes.map((d) => {
          const size = [...x.shape];
          size[a] = d;
          const piece = sliceOf(ctx, x, [...begin], size);
          begin[a]! += d;
          return piece;
        });
        return pieces.map((p) => ctx.keep(p));
      } finally {
        ctx.release();
      }
    },
  };
}

/** x[begin : begin + size] as a new tensor owned by `ctx`. */
function sliceOf(ctx: KernelContext, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const { info, values: out } = ctx.output(size);
  // Views of the wasm heap die when it grows: read the input only after allocating.
  const src = ctx.values(x);
  copySlice(src, x.shape, begin, size, out);
  return info;
}

/** Copies the slice of `src` (of `shape`) at `begin` of extent `size` into `out`, in row-major order. */
export function copySlice(src: Float32Array, shape: readonly number[], begin: readonly number[], size: readonly number[], out: Float32Array): void {
  const rank = shape.length;
  const strides = new Array<number>(rank);
  let stride = 1;
  for (let a = rank - 1; a >= 0; a--) {
    strides[a] = stride;
    stride *= shape[a]!;
  }
  const start = begin.reduce((p, b, a) => p + b * strides[a]!, 0);
  if (tf.slice_util.isSliceContinous(shape as number[], begin as number[], size as number[])) {
    out.set(src.subarray(start, start + out.length));
    return;
  }
  // Rows of the innermost axis.
  copyRuns(src, out, size, strides, start);
}
