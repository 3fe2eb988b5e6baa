import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../test/leak-check.js';
import { BACKENDS, useBackend } from '../test/backends.js';
import { closeness, mulberry32, randomNormal, refUnitNorms } from '../test/reference.js';
import { unitwiseNorm } from './index.js';

const SHAPES: number[][] = [[], [7], [5, 3], [4, 3, 6], [3, 3, 4, 5], [1, 1, 8, 16], [2, 5, 3, 1], [1, 6], [1, 1, 1, 4]];

describe.each(BACKENDS)('unitwiseNorm on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  it.each(SHAPES.map((s) => [JSON.stringify(s), s] as const))('default axes, shape %s', (_, shape) => {
    const rand = mulberry32(shape.length * 31 + 7);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = randomNormal(size, rand);
    const x = tf.tensor(Float32Array.from(data), shape);
    const norm = unitwiseNorm(x);
    const reduce = shape.length <= 1 ? shape.map((_, i) => i) : shape.slice(0, -1).map((_, i) => i);
    const expectedShape = shape.map((d, i) => (reduce.includes(i) ? 1 : d));
    expect(norm.shape).toEqual(expectedShape);
    expect(closeness(norm.dataSync(), refUnitNorms(Float32Array.from(data), shape, reduce))).toBeLessThan(1);
    // broadcastable against x
    const ratio = tf.div(x, norm);
    expect(ratio.shape).toEqual(shape);
    ratio.dispose();
    tf.dispose([x, norm]);
  });

  it('explicit axes: timm output-first rule on an OIHW tensor, negative axes, and all', () => {
    const shape = [6, 4, 3, 3];
    const data = randomNormal(216, mulberry32(3));
    const x = tf.tensor(Float32Array.from(data), shape);
    const perOut = unitwiseNorm(x, [1, 2, 3]);
    expect(perOut.shape).toEqual([6, 1, 1, 1]);
    expect(closeness(perOut.dataSync(), refUnitNorms(Float32Array.from(data), shape, [1, 2, 3]))).toBeLessThan(1);
    const neg = unitwiseNorm(x, [-3, -2, -1]);
    expect(Array.from(neg.dataSync())).toEqual(Array.from(perOut.dataSync()));
    const all = unitwiseNorm(x, 'all');
    expect(all.shape).toEqual([1, 1, 1, 1]);
    expect(closeness(all.dataSync(), refUnitNorms(Float32Array.from(data), shape, [0, 1, 2, 3]))).toBeLessThan(1);
    const elementwise = unitwiseNorm(x, []);
    expect(closeness(elementwise.dataSync(), Float32Array.from(data).map(Math.abs))).toBeLessThan(1);
    tf.dispose([x, perOut, neg, all, elementwise]);
  });

  it('is differentiable (d|x|/dx = x/|x| per unit)', () => {
    const x = tf.tensor2d([[3, 1], [4, 1]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(unitwiseNorm(t)))(x);
    expect(closeness(g.dataSync(), [0.6, Math.SQRT1_2, 0.8, Math.SQRT1_2])).toBeLessThan(1);
    tf.dispose([x, g]);
  });

  it('rejects axes out of range with the rank and the fix', () => {
    const x = tf.zeros([2, 3]);
    expect(() => unitwiseNorm(x, [2])).toThrow(/rank 2 must be integers in \[-2, 1\].*'all'/);
    expect(() => unitwiseNorm(x, [0.5])).toThrow(/received \[0.5\]/);
    x.dispose();
  });
});
