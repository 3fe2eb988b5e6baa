import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import { batchMatMulKernel, chooseRoute, productShape, registerWasmTrainingKernels, SIMD_PRODUCT_ROWS, SMALL_PRODUCT_ROWS } from './index.js';
import { simdKernels } from './simd-module.js';

const values = (n: number, f: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f + 0.3) * (1 + (i % 7)));

/** A·B in float64 from the stored values: A [M, K] (or [K, M] with transposeA), B [K, N] (or [N, K]). */
function reference(a: Float32Array, b: Float32Array, c: Case): Float64Array {
  return products(a, b, c).sums;
}

/** A·B in float64 and Σ|a·b| for every output (the magnitude a float32 sum's error is bounded by). */
function products(a: Float32Array, b: Float32Array, c: Case): { sums: Float64Array; magnitudes: Float64Array } {
  const { m, k, n } = c;
  const sums = new Float64Array(m * n);
  const magnitudes = new Float64Array(m * n);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < n; j++) {
      let [s, mag] = [0, 0];
      for (let i = 0; i < k; i++) {
        const p = a[c.transposeA ? i * m + r : r * k + i]! * b[c.transposeB ? j * k + i : i * n + j]!;
        s += p;
        mag += Math.abs(p);
      }
      sums[r * n + j] = s;
      magnitudes[r * n + j] = mag;
    }
  }
  return { sums, magnitudes };
}

/**
 * The worst error as a share of the float32 bound for a K-term sum in any order, fused or not:
 * (K + 1)·2⁻²⁴·Σ|a·b| per output (≤ 1 passes).
 */
function shareOfSumBound(got: ArrayLike<number>, want: { sums: Float64Array; magnitudes: Float64Array }, k: number): number {
  let worst = 0;
  for (let i = 0; i < want.sums.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - want.sums[i]!) / ((k + 1) * 2 ** -24 * Math.max(want.magnitudes[i]!, 1e-30)));
  }
  return worst;
}

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 1e-30;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

interface Case {
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
  rank: 2 | 3;
}
const CASES: Case[] = [];
for (const m of [1, 3, 8, SIMD_PRODUCT_ROWS, SIMD_PRODUCT_ROWS + 1, SMALL_PRODUCT_ROWS, 40]) {
  for (const [k, n] of [[1, 1], [7, 5], [288, 32], [1152, 77], [3, 300]] as const) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) CASES.push({ m, k, n, transposeA, transposeB, rank: 2 });
    }
    CASES.push({ m, k, n, transposeA: false, transposeB: true, rank: 3 });
  }
}

describe('BatchMatMul on wasm, routed to XNNPACK or JavaScript', () => {
  useWasmBackend();

  it('is registered on import, wrapping upstream, once', () => {
    expect((tf.getKernel('BatchMatMul', 'wasm') as { nfReplaced?: boolean }).nfReplaced).toBe(true);
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  it.each(CASES.map((c) => [`M=${c.m} K=${c.k} N=${c.n} transposeA=${c.transposeA} transposeB=${c.transposeB} rank ${c.rank}`, c] as const))('%s', (_, c) => {
    const av = values(c.m * c.k, 0.37);
    const bv = values(c.k * c.n, 0.11);
    const lead = c.rank === 3 ? [1] : [];
    const a = tf.tensor(av, [...lead, ...(c.transposeA ? [c.k, c.m] : [c.m, c.k])]);
    const b = tf.tensor(bv, [...lead, ...(c.transposeB ? [c.n, c.k] : [c.k, c.n])]);
    const before = tf.memory().numTensors;
    // A repeated product gives the same bits (its route depends on the shapes alone).
    const first = tf.matMul(a, b, c.transposeA, c.transposeB);
    const second = tf.matMul(a, b, c.transposeA, c.transposeB);
    expect(tf.memory().numTensors - before).toBe(2);
    expect(first.shape).toEqual([...lead, c.m, c.n]);
    expect(second.shape).toEqual(first.shape);
    // Our SIMD rows (plain or relaxed-SIMD FMA), JavaScript and XNNPACK each round differently: every
    // output within the float32 bound of a K-term sum, from its own magnitude.
    expect(shareOfSumBound(first.dataSync(), products(av, bv, c), c.k), 'first').toBeLessThanOrEqual(1);
    expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()));
    tf.dispose([a, b, first, second]);
  });

  it('routes: few rows by an untransposed B → our SIMD kernel, one row by a transposed B → JS, few rows by a transposed B → B streamed, else XNNPACK', () => {
    const shape = (m: number) => ({ m, k: 64, n: 64, out: [m, 64] });
    // By shape only: the same product must give the same bits on every call.
    expect(chooseRoute(shape(1), false, false)).toBe('simd-rows');
    expect(chooseRoute(shape(1), true, false)).toBe('simd-rows');
    expect(chooseRoute(shape(1), true, true)).toBe('row');
    expect(chooseRoute(shape(8), false, false)).toBe('simd-rows');
    expect(chooseRoute(shape(8), true, false)).toBe('simd-rows');
    expect(chooseRoute(shape(SIMD_PRODUCT_ROWS), false, false)).toBe('simd-rows');
    expect(chooseRoute(shape(SIMD_PRODUCT_ROWS + 1), false, false)).toBe('upstream');
    expect(chooseRoute(shape(SIMD_PRODUCT_ROWS + 1), true, false)).toBe('untransposed');
    expect(chooseRoute(shape(8), false, true)).toBe('swapped');
    expect(chooseRoute(shape(8), true, true)).toBe('swapped');
    expect(chooseRoute(shape(SMALL_PRODUCT_ROWS), false, true)).toBe('swapped');
    expect(chooseRoute(shape(SMALL_PRODUCT_ROWS + 1), false, true)).toBe('untransposed');
    // Without our SIMD module (a backend whose memory we cannot reach): XNNPACK.
    expect(chooseRoute(shape(1), false, false, false)).toBe('upstream');
    expect(chooseRoute(shape(8), false, false, false)).toBe('upstream');
    expect(chooseRoute(shape(8), true, false, false)).toBe('untransposed');
  });

  it('sets our SIMD kernels up on the wasm backend (so the cases above run them)', () => {
    expect(simdKernels(tf.backend())).not.toBeNull();
    expect(simdKernels(tf.backend())).toBe(simdKernels(tf.backend()));
    expect(simdKernels({})).toBeNull();
  });

  it('leaves batched products to upstream, correct', () => {
    const a = tf.tensor3d(values(2 * 3 * 4, 0.3), [2, 3, 4]);
    const b = tf.tensor3d(values(2 * 4 * 5, 0.7), [2, 4, 5]);
    expect(productShape(a, b, false, false)).toBeNull();
    const got = tf.matMul(a, b).dataSync();
    const av = a.dataSync() as Float32Array;
    const bv = b.dataSync() as Float32Array;
    for (let s = 0; s < 2; s++) {
      const want = reference(av.subarray(s * 12, s * 12 + 12), bv.subarray(s * 20, s * 20 + 20), { m: 3, k: 4, n: 5, transposeA: false, transposeB: false, rank: 2 });
      expect(maxRel(got.subarray(s * 15, s * 15 + 15), want)).toBeLessThan(1e-6);
    }
    tf.dispose([a, b]);
  });

  it('takes one-row products itself, the same bits every call, and calls upstream once for others', () => {
    const upstream = tf.getKernel('BatchMatMul', 'wasm')!;
    let delegated = 0;
    const spy: tf.KernelConfig = { ...upstream, kernelFunc: (args) => (delegated++, upstream.kernelFunc(args)) };
    const kernel = batchMatMulKernel('wasm', spy);
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel(kernel);
    try {
      const a = tf.tensor2d(values(12, 0.2), [1, 12]);
      const rows = tf.tensor2d(values(36, 0.2), [3, 12]);
      const b = tf.tensor2d(values(60, 0.5), [12, 5]);
      const batched = tf.tensor3d(values(120, 0.5), [2, 12, 5]);
      const once = tf.matMul(a, b);
      const again = tf.matMul(a, b);
      expect(delegated).toBe(0);
      expect(Array.from(again.dataSync())).toEqual(Array.from(once.dataSync()));
      tf.dispose([once, again]);
      // Three rows, B transposed: the transposed product, one call of upstream.
      tf.dispose(tf.matMul(rows, tf.tensor2d(values(60, 0.9), [5, 12]), false, true));
      expect(delegated).toBe(1);
      tf.dispose(tf.matMul(tf.reshape(a, [1, 1, 12]), batched));
      expect(delegated).toBe(2);
      tf.dispose([a, rows, b, batched]);
    } finally {
      tf.unregisterKernel('BatchMatMul', 'wasm');
      tf.registerKernel(upstream);
    }
  });

  it('propagates NaN and Infinity from B (no skipped terms)', () => {
    const a = tf.tensor2d([0, 1, 2], [1, 3]);
    const b = tf.tensor2d([NaN, 1, 1, Infinity, 2, 3], [3, 2]);
    const out = Array.from(tf.matMul(a, b).dataSync());
    expect(out[0]).toBeNaN();
    expect(out[1]).toBe(Infinity);
    tf.dispose([a, b]);
  });

  it('leaves mismatched shapes to upstream, whose error names them', () => {
    const a = tf.tensor2d([1, 2, 3], [1, 3]);
    const b = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    expect(productShape(a, b, false, false)).toBeNull();
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes/);
    tf.dispose([a, b]);
  });
});

describe('_FusedMatMul on wasm: small products with a row bias in our SIMD kernel, the rest upstream', () => {
  useWasmBackend();

  const cases: Array<{ m: number; k: number; n: number; transposeA: boolean; transposeB: boolean; bias: 'row' | 'keepdims' | 'none'; activation: 'linear' | 'relu' }> = [];
  for (const m of [1, 3, SIMD_PRODUCT_ROWS, SIMD_PRODUCT_ROWS + 4]) {
    for (const [k, n] of [[7, 5], [288, 33], [1152, 77]] as const) {
      cases.push({ m, k, n, transposeA: false, transposeB: false, bias: 'row', activation: 'linear' });
      cases.push({ m, k, n, transposeA: true, transposeB: false, bias: 'keepdims', activation: 'linear' });
      cases.push({ m, k, n, transposeA: false, transposeB: true, bias: 'row', activation: 'linear' });
      cases.push({ m, k, n, transposeA: false, transposeB: false, bias: 'none', activation: 'linear' });
      cases.push({ m, k, n, transposeA: false, transposeB: false, bias: 'row', activation: 'relu' });
      cases.push({ m, k, n, transposeA: true, transposeB: true, bias: 'row', activation: 'relu' });
    }
  }

  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s equals A·B + bias (then relu) in float64 to 1e-5', (_, c) => {
    const av = values(c.m * c.k, 0.29);
    const bv = values(c.k * c.n, 0.13);
    const biasShape = { row: [c.n], keepdims: [1, c.n], none: [] }[c.bias];
    const biasValues = values(biasShape.reduce((p, q) => p * q, 1), 0.7);
    const a = tf.tensor(av, c.transposeA ? [c.k, c.m] : [c.m, c.k]);
    const b = tf.tensor(bv, c.transposeB ? [c.n, c.k] : [c.k, c.n]);
    const bias = c.bias === 'none' ? undefined : tf.tensor(biasValues, biasShape);
    const before = tf.memory().numTensors;
    const got = tf.fused.matMul({ a, b, transposeA: c.transposeA, transposeB: c.transposeB, bias, activation: c.activation });
    expect(tf.memory().numTensors).toBe(before + 1);
    const want = Array.from(reference(av, bv, { ...c, rank: 2 }), (v, i) => {
      const j = i % c.n;
      const withBias = v + (c.bias === 'none' ? 0 : biasValues[j]!);
      return c.activation === 'relu' ? Math.max(0, withBias) : withBias;
    });
    expect(maxRel(got.dataSync(), want)).toBeLessThan(1e-5);
    tf.dispose([a, b, got, ...(bias ? [bias] : [])]);
  });

  it('fixes upstream transposeA/transposeB (its rows after the first came out shifted)', () => {
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const b = tf.tensor2d([1, 0, 0, 1, 1, 1, 2, 2], [4, 2]);
    const bias = tf.tensor1d([10, 20, 30, 40]);
    const rows = tf.tensor2d(values(20 * 2, 0.3), [20, 2]); // above SIMD_PRODUCT_ROWS: upstream's route
    expect(Array.from(tf.fused.matMul({ a, b, transposeB: true, bias }).dataSync())).toEqual([11, 22, 33, 46, 13, 24, 37, 54, 15, 26, 41, 62]);
    const big = tf.fused.matMul({ a: rows, b, transposeB: true, bias, activation: 'relu' });
    const want = tf.relu(tf.add(tf.matMul(rows, b, false, true), bias));
    expect(maxRel(big.dataSync(), want.dataSync())).toBeLessThan(1e-6);
    tf.dispose([a, b, bias, rows, big, want]);
  });

  it('gradients through a fused Dense product on the SIMD route equal those of matMul + add', () => {
    const a = tf.tensor2d(values(4 * 9, 0.5), [4, 9]);
    const b = tf.tensor2d(values(9 * 6, 0.2), [9, 6]);
    const bias = tf.tensor1d(values(6, 0.9));
    const loss = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c })));
    const plain = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), c)));
    const got = tf.grads(loss)([a, b, bias]);
    const want = tf.grads(plain)([a, b, bias]);
    got.forEach((g, i) => expect(maxRel(g.dataSync(), want[i]!.dataSync())).toBeLessThan(1e-5));
    tf.dispose([a, b, bias, ...got, ...want]);
  });
});
