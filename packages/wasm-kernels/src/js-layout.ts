/**
 * Layout changes done in JavaScript on the backend's memory. The wasm backend's Transpose takes a
 * generic index-by-index path for most 4-D permutations (~125 ns per element for dW's
 * [3, 1, 2, 0] of a small activation: 2 ms, more than the convolution it feeds) and its PadV2 on
 * the 6-D view that zero insertion uses is as slow; these loops run at memory speed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelContext } from './kernel-context.js';
import { simdForBuffer } from './simd-module.js';

/** A rows × cols block whose rows lie srcStride (source) and dstStride (destination) elements apart. */
export interface StridedBlock {
  rows: number;
  cols: number;
  srcStride: number;
  dstStride: number;
}

/** Tile edge of the 2-D transposes: 32 × 32 floats stay in L1 on both sides. */
const TILE = 32;

/**
 * dst[d + c·rows + r] = src[s + r·cols + c]: a rows × cols block transposed, tile by tile. On the
 * wasm backend's memory (both views current) by our SIMD kernel, 4 × 4 blocks in registers
 * (~4× the loop below); elsewhere in JavaScript.
 */
export function transposeBlock(src: Float32Array, s: number, dst: Float32Array, d: number, rows: number, cols: number): void {
  if (transposeOnHeap(src, s, dst, d, { rows, cols, srcStride: cols, dstStride: rows }, 1, 0, 0)) return;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        const out = d + c * rows;
        for (let r = r0; r < r1; r++) dst[out + r] = src[s + r * cols + c]!;
      }
    }
  }
}

/**
 * `count` times, s and d moving by srcStep and dstStep: dst[d + c·dstStride + r] =
 * src[s + r·srcStride + c] for r < rows, c < cols (blocks with strided rows transposed). By our SIMD
 * kernel on the wasm heap, in one call; else in JavaScript.
 */
export function transposeStrided(
  src: Float32Array,
  s: number,
  dst: Float32Array,
  d: number,
  block: StridedBlock,
  count = 1,
  srcStep = 0,
  dstStep = 0,
): void {
  if (transposeOnHeap(src, s, dst, d, block, count, srcStep, dstStep)) return;
  const { rows, cols, srcStride, dstStride } = block;
  for (let k = 0; k < count; k++) {
    const [sk, dk] = [s + k * srcStep, d + k * dstStep];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) dst[dk + c * dstStride + r] = src[sk + r * srcStride + c]!;
    }
  }
}

/** transposeStrided by our SIMD kernel when both views are on the wasm heap (and blocks are ≥ 4 × 4); false otherwise. */
function transposeOnHeap(src: Float32Array, s: number, dst: Float32Array, d: number, block: StridedBlock, count: number, srcStep: number, dstStep: number): boolean {
  const { rows, cols, srcStride, dstStride } = block;
  const simd = src.buffer === dst.buffer && rows >= 4 && cols >= 4 ? simdForBuffer(src.buffer) : null;
  if (!simd) return false;
  simd.transpose_2d(src.byteOffset + 4 * s, dst.byteOffset + 4 * d, rows, cols, srcStride, dstStride, count, srcStep, dstStep);
  return true;
}

/**
 * The permutation with adjacent input axes that stay adjacent merged, and unit axes dropped:
 * [N, H, W, C] by [3, 0, 1, 2] is [N·H·W, C] by [1, 0]. Returns the merged input shape and perm.
 */
export function simplifyPermutation(shape: readonly number[], perm: readonly number[]): { shape: number[]; perm: number[] } {
  // Unit axes dropped first, the rest renumbered, so that axes they separated can merge.
  const keptAxes = shape.flatMap((d, a) => (d === 1 ? [] : [a]));
  const compact = perm.filter((a) => shape[a] !== 1).map((a) => keptAxes.indexOf(a));
  const dims = keptAxes.map((a) => shape[a]!);
  // Groups of input axes, in output order, each a run a, a + 1, … of input axes.
  const groups: number[][] = [];
  for (const a of compact) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] === a - 1) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  const merged = byInput.map((g) => g.reduce((p, a) => p * dims[a]!, 1));
  return { shape: merged, perm: groups.map((g) => byInput.indexOf(g)) };
}

/** out = transpose(x, perm) of a float32 tensor, as a new tensor owned by `ctx`. */
export function transposeJs(ctx: KernelContext, x: tf.TensorInfo, perm: readonly number[]): tf.TensorInfo {
  if (perm.length !== x.shape.length || [...perm].sort((a, b) => a - b).some((a, i) => a !== i)) {
    throw new Error(`@nf/wasm-kernels: perm [${perm.join(', ')}] is not a permutation of the ${x.shape.length} axes of [${x.shape.join(', ')}].`);
  }
  const outShape = perm.map((a) => x.shape[a]!);
  const { info, values: out } = ctx.output(outShape);
  // Views of the wasm heap die when it grows: read the input only after allocating.
  const src = ctx.values(x);
  permuteInto(src, x.shape, perm, out);
  return info;
}

/** Writes `src` (of `shape`) permuted by `perm` into `dst`. */
export function permuteInto(src: Float32Array, shape: readonly number[], perm: readonly number[], dst: Float32Array): void {
  const s = simplifyPermutation(shape, perm);
  const rank = s.shape.length;
  if (rank <= 1) {
    dst.set(src.subarray(0, dst.length));
    return;
  }
  if (rank === 2) {
    transposeBlock(src, 0, dst, 0, s.shape[0]!, s.shape[1]!);
    return;
  }
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let a = rank - 2; a >= 0; a--) strides[a] = strides[a + 1]! * s.shape[a + 1]!;
  const sizes = s.perm.map((a) => s.shape[a]!);
  const steps = s.perm.map((a) => strides[a]!);
  if (s.perm[rank - 1] === rank - 1) {
    // The innermost axis stays innermost: copy runs of it.
    copyRuns(src, dst, sizes, steps);
    return;
  }
  // Batched 2-D transposes when the two innermost output axes swap the two innermost input axes:
  // one call for a single batch axis, else one per batch index.
  if (rank === 3 && s.perm[0] === 0 && s.perm[1] === 2) {
    const [batch, rows, cols] = s.shape as [number, number, number];
    transposeStrided(src, 0, dst, 0, { rows, cols, srcStride: cols, dstStride: rows }, batch, rows * cols, rows * cols);
    return;
  }
  if (s.perm[rank - 1] === rank - 2 && s.perm[rank - 2] === rank - 1) {
    const rows = s.shape[rank - 2]!;
    const cols = s.shape[rank - 1]!;
    strided(sizes.slice(0, -2), steps.slice(0, -2), (base, o) => transposeBlock(src, base, dst, o * rows * cols, rows, cols));
    return;
  }
  // [A, M, B] → [B, M, A] (dW's [N, H·W, C] → [C, H·W, N]): for every m, an A × B block with
  // strided rows transposed into one with strided rows.
  if (rank === 3 && s.perm[0] === 2 && s.perm[1] === 1 && s.perm[2] === 0) {
    const [a, m, b] = s.shape as [number, number, number];
    transposeStrided(src, 0, dst, 0, { rows: a, cols: b, srcStride: m * b, dstStride: m * a }, m, b, a);
    return;
  }
  const n = sizes[rank - 1]!;
  const step = steps[rank - 1]!;
  strided(sizes.slice(0, -1), steps.slice(0, -1), (base, o) => {
    let d = o * n;
    for (let i = 0, k = base; i < n; i++, k += step) dst[d++] = src[k]!;
  });
}

/**
 * dst in row-major order of `sizes`, read from src at `start` + Σ index·step, where the innermost
 * step is 1: runs of the innermost axis copied whole.
 */
export function copyRuns(src: Float32Array, dst: Float32Array, sizes: readonly number[], steps: readonly number[], start = 0): void {
  const run = sizes[sizes.length - 1]!;
  strided(sizes.slice(0, -1), steps.slice(0, -1), (base, o) => {
    const d = o * run;
    const from = start + base;
    if (run >= 16) dst.set(src.subarray(from, from + run), d);
    else for (let i = 0; i < run; i++) dst[d + i] = src[from + i]!;
  });
}

/** Calls body(input offset, output ordinal) for every index of `sizes` in row-major order. */
function strided(sizes: number[], steps: number[], body: (base: number, ordinal: number) => void): void {
  const rank = sizes.length;
  const index = new Array<number>(rank).fill(0);
  const total = sizes.reduce((p, q) => p * q, 1);
  let base = 0;
  for (let o = 0; o < total; o++) {
    body(base, o);
    for (let a = rank - 1; a >= 0; a--) {
      index[a]!++;
      base += steps[a]!;
      if (index[a]! < sizes[a]!) break;
      base -= steps[a]! * sizes[a]!;
      index[a] = 0;
    }
  }
}

/**
 * Zero insertion by the stride, [N, OH, OW, C] → [N, OH·sh, OW·sw, C] with dy[oh, ow] at
 * (oh·sh, ow·sw), as a new tensor owned by `ctx` (dy itself at stride 1).
 */
export function zeroInsert(ctx: KernelContext, dy: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const { info, values: out } = ctx.output([n, oh * sh, ow * sw, c]);
  out.fill(0);
  const src = ctx.values(dy);
  const rowOut = ow * sw * c;
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < oh; h++) {
      const o = (b * oh * sh + h * sh) * rowOut;
      const i = (b * oh + h) * ow * c;
      for (let w = 0; w < ow; w++) {
        const from = i + w * c;
        const to = o + w * sw * c;
        for (let k = 0; k < c; k++) out[to + k] = src[from + k]!;
      }
    }
  }
  return info;
}
