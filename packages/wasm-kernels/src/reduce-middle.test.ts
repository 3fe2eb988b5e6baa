import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import './index.js';
import { middleBlock } from './reduce-middle.js';

/** Σ (or mean) over `axes` in float64, index by index. */
function reference(values: Float32Array, shape: number[], axes: number[], mean: boolean): number[] {
  const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(outShape.reduce((n, d) => n * d, 1));
  const counts = axes.reduce((n, a) => n * shape[a]!, 1);
  values.forEach((v, flat) => {
    let rest = flat;
    let o = 0;
    let stride = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      const idx = rest % shape[i]!;
      rest = Math.floor(rest / shape[i]!);
      if (!axes.includes(i)) o += idx * stride;
      stride *= outShape[i]!;
    }
    out[o]! += v;
  });
  return Array.from(out, (s) => (mean ? s / counts : s));
}

const CASES: Array<[number[], number[]]> = [
  [[8, 4, 4, 12], [0, 1, 2]],
  [[8, 4, 4, 13], [1, 2]],
  [[3, 3, 5, 7], [0, 1, 2]],
  [[2, 5, 3], [0]],
  [[2, 5, 3], [1]],
  [[6, 1], [0]],
  [[4, 9, 2, 3, 5], [1, 2]],
  [[7, 6], [-2]],
  [[2, 3, 17, 4], [2, 1]],
];

describe('Sum and Mean on wasm over a middle block of axes: our SIMD kernel', () => {
  useWasmBackend();

  it('finds the block, or declines', () => {
    expect(middleBlock([8, 4, 4, 12], [0, 1, 2])).toEqual({ outer: 1, rows: 128, cols: 12 });
    expect(middleBlock([8, 4, 4, 12], [1, 2])).toEqual({ outer: 8, rows: 16, cols: 12 });
    expect(middleBlock([8, 4, 4, 12], [3])).toBeNull(); // innermost: upstream needs no transpose
    expect(middleBlock([8, 4, 4, 12], [0, 2])).toBeNull(); // not one block
    expect(middleBlock([8, 1, 4, 12], [1])).toBeNull(); // nothing to add
    expect(middleBlock([8, 0, 4], [0])).toBeNull();
    expect(middleBlock([8, 4], [])).toBeNull();
  });

  for (const [shape, axes] of CASES) {
    for (const keepDims of [false, true]) {
      it(`shape [${shape}], axes [${axes}], keepDims ${keepDims}: to 1e-6 of float64, as the cpu backend's shape`, () => {
        const size = shape.reduce((n, d) => n * d, 1);
        const values = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 1.7) * (1 + (i % 7)));
        const x = tf.tensor(values, shape);
        const positive = axes.map((a) => (a < 0 ? a + shape.length : a));
        for (const mean of [false, true]) {
          const before = tf.memory().numTensors;
          const got = mean ? tf.mean(x, axes, keepDims) : tf.sum(x, axes, keepDims);
          const want = reference(values, shape, positive, mean);
          const wantShape = keepDims ? shape.map((d, i) => (positive.includes(i) ? 1 : d)) : shape.filter((_, i) => !positive.includes(i));
          expect(got.shape).toEqual(wantShape);
          const scale = Math.max(1, ...want.map(Math.abs));
          got.dataSync().forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThanOrEqual(1e-6 * scale));
          got.dispose();
          expect(tf.memory().numTensors).toBe(before);
        }
        x.dispose();
      });
    }
  }

  it('propagates NaN and Infinity; int32 goes to upstream; gradients flow', () => {
    const x = tf.tensor3d([1, Number.NaN, 2, 3, Number.POSITIVE_INFINITY, 4], [3, 1, 2]);
    expect(Array.from(tf.sum(x, 0).dataSync())).toEqual([Number.POSITIVE_INFINITY, Number.NaN]);
    expect(Array.from(tf.sum(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), 0).dataSync())).toEqual([4, 6]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.mean(t, [0, 1]))))(tf.ones([2, 2, 3]));
    expect(Array.from(g.dataSync())).toEqual(new Array(12).fill(0.5));
    tf.dispose([x, g]);
  });
});
