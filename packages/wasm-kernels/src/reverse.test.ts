import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import './index.js';
import { useWasmBackend } from './test-support/use-wasm-backend.js';

function subsets(n: number): number[][] {
  return Array.from({ length: 1 << n }, (_, m) => Array.from({ length: n }, (_, a) => a).filter((a) => m & (1 << a)));
}

/** out[i] = x[mirror of i along `axes`], index by index. */
function reference(values: Float32Array, shape: number[], axes: number[]): number[] {
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
  return Array.from(values, (_, flat) => {
    let k = 0;
    shape.forEach((d, a) => {
      const i = Math.floor(flat / strides[a]!) % d;
      k += (axes.includes(a) ? d - 1 - i : i) * strides[a]!;
    });
    return values[k]!;
  });
}

const SHAPES = [[7], [3, 4], [2, 1, 5], [3, 3, 4, 6], [2, 3, 1, 4, 2], [1, 1, 3, 1]];

describe('Reverse on wasm (JavaScript on the heap)', () => {
  useWasmBackend();

  it('is registered on import, wrapping upstream', () => {
    expect((tf.getKernel('Reverse', 'wasm') as { nfReplaced?: boolean }).nfReplaced).toBe(true);
  });

  it.each(SHAPES.map((s) => [JSON.stringify(s), s] as const))('every subset of axes of %s, as the index-by-index reference', (_, shape) => {
    const size = shape.reduce((p, q) => p * q, 1);
    const values = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 4);
    const x = tf.tensor(values, shape);
    for (const axes of subsets(shape.length)) {
      const before = tf.memory().numTensors;
      const got = tf.reverse(x, axes.length === 1 && axes[0] === shape.length - 1 ? -1 : axes);
      expect(Array.from(got.dataSync()), `axes [${axes}]`).toEqual(reference(values, shape, axes));
      got.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    x.dispose();
  });

  it('int32 goes to upstream; gradients flow', () => {
    expect(Array.from(tf.reverse(tf.tensor1d([1, 2, 3], 'int32')).dataSync())).toEqual([3, 2, 1]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.reverse(t, 0), tf.tensor1d([1, 2, 3]))))(tf.tensor1d([5, 6, 7]));
    expect(Array.from(g.dataSync())).toEqual([3, 2, 1]);
  });
});
