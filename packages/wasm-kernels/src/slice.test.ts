import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import './index.js';

const SLICES: Array<[number[], number[], number[]]> = [
  [[10], [3], [4]],
  [[10], [0], [-1]],
  [[6, 7], [2, 0], [3, 7]],
  [[6, 7], [1, 2], [4, 3]],
  [[6, 7], [0, 6], [-1, 1]],
  [[3, 4, 5], [1, 0, 0], [2, 4, 5]],
  [[3, 4, 5], [0, 1, 2], [3, 2, 3]],
  [[2, 5, 6, 40], [0, 1, 1, 0], [2, 3, 4, 40]],
  [[2, 5, 6, 40], [1, 0, 0, 8], [1, -1, -1, 24]],
  [[2, 3, 4, 5, 6], [0, 1, 0, 2, 1], [2, 2, 4, 2, 5]],
  [[1, 8, 8, 3], [0, 2, 2, 0], [1, 4, 4, 3]],
];

const SPLITS: Array<[number[], number | number[], number]> = [
  [[12], 3, 0],
  [[6, 8], [2, -1, 3], 1],
  [[6, 8], 2, 0],
  [[2, 4, 6, 16], 4, 3],
  [[48, 16], 16, 0],
  [[2, 4, 6, 16], [1, 3], 1],
  [[3, 5, 7], [3, 1, 3], -1],
];

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

const data = (shape: number[]) => Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, (_, i) => Math.sin(i * 0.7) * 10);

describe('Slice and SplitV on wasm read the input in place', () => {
  it('are registered on import, wrapping upstream', async () => {
    for (const name of ['Slice', 'SplitV']) expect((tf.getKernel(name, 'wasm') as { nfReplaced?: boolean }).nfReplaced).toBe(true);
  });

  it.each(SLICES.map((c) => [`${JSON.stringify(c[0])} begin ${JSON.stringify(c[1])} size ${JSON.stringify(c[2])}`, c] as const))('slice %s equals cpu', async (_, [shape, begin, size]) => {
    const values = data(shape);
    const cpu = await on('cpu', () => tf.tidy(() => tf.slice(tf.tensor(values, shape), begin, size).arraySync()));
    const wasm = await on('wasm', () => {
      const x = tf.tensor(values, shape);
      const before = tf.memory().numTensors;
      const y = tf.slice(x, begin, size);
      expect(tf.memory().numTensors - before).toBe(1);
      const out = y.arraySync();
      tf.dispose([x, y]);
      return out;
    });
    expect(wasm).toEqual(cpu);
  });

  it.each(SPLITS.map((c) => [`${JSON.stringify(c[0])} into ${JSON.stringify(c[1])} on axis ${c[2]}`, c] as const))('split %s equals cpu', async (_, [shape, splits, axis]) => {
    const values = data(shape);
    const cpu = await on('cpu', () => tf.tidy(() => tf.split(tf.tensor(values, shape), splits, axis).map((t) => t.arraySync())));
    const wasm = await on('wasm', () => {
      const x = tf.tensor(values, shape);
      const parts = tf.split(x, splits, axis);
      const out = parts.map((t) => t.arraySync());
      tf.dispose([x, ...parts]);
      return out;
    });
    expect(wasm).toEqual(cpu);
  });

  it('leaves int32 and empty slices to upstream, correct', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    expect(tf.slice(x, [0, 1], [2, 2]).arraySync()).toEqual([[2, 3], [5, 6]]);
    expect(tf.split(x, 3, 1).map((t) => t.arraySync())).toEqual([[[1], [4]], [[2], [5]], [[3], [6]]]);
    expect(tf.slice(tf.zeros([3, 4]), [1, 0], [0, 4]).shape).toEqual([0, 4]);
    expect(() => tf.slice(tf.zeros([3, 4]), [2, 0], [3, 4])).toThrow();
    await tf.setBackend('cpu');
  });

  it('slices gradients too (tf.grad through slice and split)', async () => {
    const grads = async (backend: string) =>
      on(backend, () => tf.tidy(() => {
        const x = tf.tensor(data([4, 6]), [4, 6]);
        const f = (t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [1, 2], [2, 3]), tf.split(t, 2, 0)[1]!.slice([0, 0], [2, 3])));
        return Array.from(tf.grad(f)(x).dataSync());
      }));
    expect(await grads('wasm')).toEqual(await grads('cpu'));
  });
});
