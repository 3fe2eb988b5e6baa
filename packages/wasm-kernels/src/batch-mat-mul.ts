/**
 * BatchMatMul for the wasm backend, routed so that XNNPACK does the work it is fast at.
 *
 * Upstream (tfjs-backend-wasm 4.22) hands a product to XNNPACK's fully-connected operator only
 * without transposes and without batch; everything else — every matMul in a Dense layer's or an
 * SE block's backward pass — runs a naive scalar loop (~0.6 GFLOP/s). And XNNPACK first packs B,
 * caching the packing under B's tensor id: that pays when B is a layer's weights reused call after
 * call, but for a B met once it costs ~3 ms per million elements of B (training meets every weight
 * once per step: the host update gives it new data), where a product with a few rows does only a
 * few multiply-adds per element. So, for products without batch:
 *  - up to SIMD_PRODUCT_ROWS rows by an untransposed B (Scaled WS's per-channel means,
 *    `[1, K]·[K, N]`, five per conv per training step; SE and Dense layers' forward at small
 *    batch): our SIMD kernel (simd-kernels.wat) straight on the heap, B read once, four rows at a
 *    time, float32 sums in order: [1, 1152]·[1152, 768] 0.22 ms (XNNPACK with a new B: 10.5 ms),
 *    [8, 768]·[768, 1536] 0.82 ms (3.7), [16, 768]·[768, 1536] 1.4 ms (4.0). Always, not only for a
 *    B met the first time: a product must not change in its last bits on the second call with the
 *    same weights (inference would not be reproducible). The price, for a layer whose cached
 *    packing XNNPACK would reuse: 0.22 instead of 0.07 ms at one row, 0.82 instead of 0.47 at 8;
 *  - one row by a transposed B: one JavaScript pass (dot products, float64 sums);
 *  - a few rows (≤ SMALL_PRODUCT_ROWS) and B transposed (a Dense or SE layer's dX, dy·Wᵀ): the
 *    product transposed, (A·B)ᵀ = Bᵀ·Aᵀ, so that XNNPACK streams B — stored as the Bᵀ this needs —
 *    and packs only the small A;
 *  - otherwise transposed operands are transposed explicitly and the product goes to XNNPACK.
 * Larger untransposed products go to upstream as they are: an untransposed B would have to be
 * transposed to be streamed, and the wasm Transpose of a large matrix costs about what packing it does.
 * Batched products go to upstream unchanged, and so do untransposed ones where our SIMD module
 * cannot be set up (a backend whose memory we cannot reach).
 */
import * as tf from '@tensorflow/tfjs-core';
import { transposeJs } from './js-layout.js';
import { withContext, type KernelContext } from './kernel-context.js';
import { wrapKernel } from './wrap-kernel.js';
import { heapOffset, simdKernels, type SimdKernels } from './simd-module.js';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** Rows up to which a product with B transposed streams B through XNNPACK rather than packing it. */
export const SMALL_PRODUCT_ROWS = 32;

/** Rows up to which an untransposed B is streamed by our SIMD kernel rather than packed by XNNPACK. */
export const SIMD_PRODUCT_ROWS = 16;

/** The route a product takes; exported for tests. */
export type MatMulRoute = 'upstream' | 'row' | 'simd-rows' | 'swapped' | 'untransposed';

export interface ProductShape {
  /** Rows of A·B, shared dimension, columns. */
  m: number;
  k: number;
  n: number;
  /** Shape of the result (leading 1s of a batch of one kept). */
  out: number[];
}

export function batchMatMulKernel(backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: 'BatchMatMul',
    backendName,
    setupFunc: upstream.setupFunc,
    disposeFunc: upstream.disposeFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
      const shape = productShape(a, b, transposeA, transposeB);
      const simd = simdKernels(args.backend);
      const route = shape === null ? 'upstream' : chooseRoute(shape, transposeA, transposeB, simd !== null);
      if (route === 'upstream') return upstream.kernelFunc(args);
      return withContext(args.backend, backendName, (ctx) => {
        const { m, k, n, out } = shape!;
        if (route === 'simd-rows') return simdRows(ctx, simd!, a, b, shape!, transposeA, undefined);
        if (route === 'row') return rowProduct(ctx, a, b, k, n, out);
        const a2 = ctx.run('Reshape', { x: a }, { shape: transposeA ? [k, m] : [m, k] });
        const b2 = ctx.run('Reshape', { x: b }, { shape: transposeB ? [n, k] : [k, n] });
        const call = (x: tf.TensorInfo, y: tf.TensorInfo) => {
          const attrs = { transposeA: false, transposeB: false };
          return ctx.adopt(upstream.kernelFunc({ inputs: { a: x, b: y }, backend: args.backend, attrs }) as tf.TensorInfo);
        };
        const t = (x: tf.TensorInfo) => transposeJs(ctx, x, [1, 0]);
        const product =
          route === 'swapped'
            ? t(call(b2, transposeA ? a2 : t(a2)))
            : call(transposeA ? t(a2) : a2, transposeB ? t(b2) : b2);
        return ctx.run('Reshape', { x: product }, { shape: out });
      });
    },
  };
}

/**
 * Which route a product without batch takes (see the module comment): by shape only (and whether
 * our SIMD module could be set up on the backend), so that repeated products agree bit for bit.
 */
export function chooseRoute(shape: ProductShape, transposeA: boolean, transposeB: boolean, simd = true): MatMulRoute {
  if (simd && !transposeB && shape.m <= SIMD_PRODUCT_ROWS) return 'simd-rows';
  if (shape.m === 1 && transposeB) return 'row';
  if (shape.m <= SMALL_PRODUCT_ROWS && transposeB) return 'swapped';
  if (transposeA || transposeB) return 'untransposed';
  return 'upstream';
}

/** The product's dimensions when it is float32 without batch and its shapes agree, else null. */
export function productShape(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): ProductShape | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (a.shape.slice(0, -2).some((d) => d !== 1) || b.shape.slice(0, -2).some((d) => d !== 1)) return null;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const innerB = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  // Mismatched shapes go to upstream, whose error message names them.
  if (k !== innerB || k === 0 || m === 0) return null;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (n === 0) return null;
  return { m, k, n, out: [...new Array<number>(Math.max(ra, rb) - 2).fill(1), m, n] };
}

/** A copy of `t` as a rank-1 tensor (upstream reads a bias's rank from its buffer, which a Reshape shares). */
function rankOneCopy(ctx: KernelContext, t: tf.TensorInfo): tf.TensorInfo {
  const { info, values } = ctx.output([t.shape.reduce((p, d) => p * d, 1)]);
  values.set(ctx.values(t));
  return info;
}

/** A·B (+ bias) by our SIMD kernel, straight on the heap: B streamed once, four rows at a time (float32 sums in order). */
function simdRows(ctx: KernelContext, kernels: SimdKernels, a: tf.TensorInfo, b: tf.TensorInfo, shape: ProductShape, transposeA: boolean, bias: tf.TensorInfo | undefined): tf.TensorInfo {
  const { m, k, n, out } = shape;
  const { info } = ctx.output(out);
  const backend = ctx.backend;
  const biasAt = bias ? heapOffset(backend, bias) : 0;
  kernels.matmul_rows(heapOffset(backend, a), transposeA ? 1 : k, transposeA ? m : 1, heapOffset(backend, b), heapOffset(backend, info), m, k, n, biasAt);
  return info;
}

interface FusedMatMulAttrs extends MatMulAttrs {
  activation?: string;
}

/**
 * _FusedMatMul (a Dense layer's forward: A·B + bias, then an activation) for the wasm backend: the
 * products BatchMatMul gives our SIMD kernel (≤ SIMD_PRODUCT_ROWS rows by an untransposed B), with
 * a bias of one value per column and no activation, run there — the bias added to the finished
 * products; everything else goes to upstream (which packs B first: a classifier's [2048, 1000]
 * weight, new every training step, ~9 ms), with transposed operands transposed explicitly (upstream's
 * own transposeA/transposeB give wrong rows) and a [1, …, N] bias flattened (upstream takes rank 1 only).
 */
export function fusedMatMulKernel(backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return wrapKernel('_FusedMatMul', backendName, upstream, (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
    const { transposeA, transposeB, activation } = args.attrs as unknown as FusedMatMulAttrs;
    const shape = productShape(a, b, transposeA, transposeB);
    const simd = simdKernels(args.backend);
    const plain = (activation === undefined || activation === 'linear') && preluActivationWeights === undefined;
    const rowBias = bias === undefined || (bias.dtype === 'float32' && bias.shape.length >= 1 && bias.shape[bias.shape.length - 1] === shape?.n && bias.shape.every((d, i) => d === 1 || i === bias.shape.length - 1));
    if (shape !== null && simd !== null && plain && rowBias && chooseRoute(shape, transposeA, transposeB) === 'simd-rows') {
      return withContext(args.backend, backendName, (ctx) => simdRows(ctx, simd, a, b, shape, transposeA, bias));
    }
    // Upstream gets transposed operands wrong (tfjs-backend-wasm 4.22: rows after the first come
    // out shifted) and takes only a rank-1 bias: transposes done explicitly, a row bias flattened.
    const flatBias = bias !== undefined && bias.shape.length !== 1 && rowBias;
    if (!transposeA && !transposeB && !flatBias) return undefined;
    return withContext(args.backend, backendName, (ctx) => {
      const swapLast = (t: tf.TensorInfo) => {
        const rank = t.shape.length;
        return transposeJs(ctx, t, [...t.shape.keys()].map((i) => (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2)));
      };
      const inputs = {
        ...args.inputs,
        a: transposeA ? swapLast(a) : a,
        b: transposeB ? swapLast(b) : b,
        ...(flatBias ? { bias: rankOneCopy(ctx, bias!) } : {}),
      };
      const attrs = { ...args.attrs, transposeA: false, transposeB: false };
      return ctx.adopt(upstream.kernelFunc({ inputs, backend: args.backend, attrs }) as tf.TensorInfo);
    });
  });
}

/** A row times a transposed B ([1, K]·[N, K]ᵀ) in one JavaScript pass. */
function rowProduct(ctx: KernelContext, a: tf.TensorInfo, b: tf.TensorInfo, k: number, n: number, shape: number[]): tf.TensorInfo {
  const { info, values: out } = ctx.output(shape);
  // Views of the wasm heap die when it grows: read the inputs only after allocating.
  const av = ctx.values(a);
  const bv = ctx.values(b);
  rowTimesTransposed(av, bv, out, k, n);
  return info;
}

/** out[j] = Σᵢ a[i]·B[j, i], B [N, K] row-major. */
function rowTimesTransposed(a: Float32Array, b: Float32Array, out: Float32Array, k: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const row = j * k;
    let s = 0;
    for (let i = 0; i < k; i++) s += a[i]! * b[row + i]!;
    out[j] = s;
  }
}
