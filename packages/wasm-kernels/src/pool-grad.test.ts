import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import './index.js';

type Case = { shape: [number, number, number, number]; filter: [number, number]; strides: [number, number]; pad: 'valid' | 'same' | number };
const CASES: Case[] = [
  { shape: [2, 8, 8, 5], filter: [2, 2], strides: [2, 2], pad: 'valid' },
  { shape: [2, 9, 7, 6], filter: [3, 3], strides: [2, 2], pad: 'same' },
  { shape: [1, 6, 6, 3], filter: [3, 3], strides: [1, 1], pad: 'same' },
  { shape: [3, 7, 9, 4], filter: [3, 2], strides: [2, 1], pad: 'valid' },
  { shape: [2, 10, 10, 8], filter: [3, 3], strides: [2, 2], pad: 1 },
  { shape: [1, 5, 5, 1], filter: [5, 5], strides: [1, 1], pad: 'valid' },
];

/** The gradient of Σ pool(x)·weights on `backend`. */
async function gradOn(backend: string, c: Case, xs: Float32Array, integerTies: boolean, pool: 'max' | 'avg' = 'max'): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.tensor4d(integerTies ? xs.map((v) => Math.round(v * 2)) : xs, c.shape);
    const f = (t: tf.Tensor) => {
      const y = (pool === 'max' ? tf.maxPool : tf.avgPool)(t as tf.Tensor4D, c.filter, c.strides, c.pad);
      return tf.sum(tf.mul(y, tf.add(tf.range(0, y.size).reshape(y.shape), 1)));
    };
    return tf.grad(f)(x).dataSync() as Float32Array;
  });
}

describe('MaxPoolGrad and AvgPoolGrad on wasm (JavaScript on the heap) against the cpu backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of CASES) {
    for (const ties of [false, true]) {
      it(`x [${c.shape}], filter [${c.filter}], strides [${c.strides}], pad ${c.pad}${ties ? ', many ties' : ''}`, async () => {
        const size = c.shape.reduce((p, q) => p * q, 1);
        const xs = Float32Array.from({ length: size }, (_, i) => Math.sin(i * 12.9898) * 3);
        const want = await gradOn('cpu', c, xs, ties);
        const got = await gradOn('wasm', c, xs, ties);
        expect(Array.from(got)).toEqual(Array.from(want));
      });
    }
  }

  for (const c of CASES) {
    it(`AvgPoolGrad, bit for bit: x [${c.shape}], filter [${c.filter}], strides [${c.strides}], pad ${c.pad}`, async () => {
      const size = c.shape.reduce((p, q) => p * q, 1);
      const xs = Float32Array.from({ length: size }, (_, i) => Math.cos(i * 7.31) * 2);
      expect(Array.from(await gradOn('wasm', c, xs, false, 'avg'))).toEqual(Array.from(await gradOn('cpu', c, xs, false, 'avg')));
    });
  }

  it('is registered on import and leaks nothing', async () => {
    await tf.setBackend('wasm');
    for (const name of ['MaxPoolGrad', 'AvgPoolGrad']) expect((tf.getKernel(name, 'wasm') as { nfReplaced?: boolean }).nfReplaced).toBe(true);
    const x = tf.randomNormal([2, 8, 8, 4]);
    const before = tf.memory().numTensors;
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 3, 2, 'same')))(x).dataSync());
    tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.avgPool(t as tf.Tensor4D, 2, 2, 'same')))(x).dataSync());
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
