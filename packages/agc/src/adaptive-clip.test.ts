import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../test/leak-check.js';
import { BACKENDS, useBackend } from '../test/backends.js';
import { closeness, mulberry32, randomNormal, refAdaptiveClip } from '../test/reference.js';
import { adaptiveClip, AgcRangeError, isNfError } from './index.js';

const SHAPES: number[][] = [[], [9], [6, 4], [3, 5, 4], [3, 3, 4, 8], [3, 3, 1, 12], [3, 3, 128, 24], [1, 5], [1, 1, 1, 8], [2, 1]];
/** Gradient scale relative to weights: tiny (never clipped), mixed, large, huge (always clipped). */
const SCALES = [1e-12, 0.01, 1, 1e12];

function defaultReduce(rank: number): number[] {
  return rank <= 1 ? Array.from({ length: rank }, (_, i) => i) : Array.from({ length: rank - 1 }, (_, i) => i);
}

describe.each(BACKENDS)('adaptiveClip on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  for (const shape of SHAPES) {
    it.each(SCALES)(`matches the float64 reference, shape [${shape}], grad scale %s`, (scale) => {
      const rand = mulberry32(shape.length * 1000 + Math.round(Math.log10(scale) + 20));
      const size = shape.reduce((a, b) => a * b, 1);
      const fanIn = shape.length >= 2 ? size / shape[shape.length - 1]! : Math.max(size, 1);
      const p = Float32Array.from(randomNormal(size, rand, 1 / Math.sqrt(fanIn)));
      // Vary the gradient magnitude per element so some units clip and others do not.
      const g = Float32Array.from(randomNormal(size, rand, scale).map((v, i) => v * (1 + (i % 5))));
      const clipping = 0.05;
      const ref = refAdaptiveClip(g, p, shape, defaultReduce(shape.length), clipping);
      const grad = tf.tensor(g, shape);
      const param = tf.tensor(p, shape);
      const out = adaptiveClip(grad, param, { clipping });
      expect(out.shape).toEqual(shape);
      expect(closeness(out.dataSync(), ref.clipped, 1e-5, 1e-30)).toBeLessThan(1);
      if (scale <= 1e-12) expect(ref.clippedUnits).toBe(0);
      if (scale >= 1e12) expect(ref.clippedUnits).toBe(ref.units);
      tf.dispose([grad, param, out]);
    });
  }

  it('clips a unit to exactly clipping * |W| and leaves others untouched', () => {
    // Dense [in=2, out=3]: unit 0 has |W| = 5, |G| = 1 (ratio 0.2 > 0.1 → clipped to 0.5);
    // unit 1 has |G| = 0.01 (kept); unit 2 has zero weights: floor eps = 1e-3 → max 1e-4.
    const param = tf.tensor2d([[3, 0.1, 0], [4, 0.2, 0]]);
    const grad = tf.tensor2d([[0.6, 0.006, 1], [0.8, 0.008, 0]]);
    const out = adaptiveClip(grad, param, { clipping: 0.1 });
    const v = out.arraySync() as number[][];
    expect(v[0]![0]).toBeCloseTo(0.3, 6);
    expect(v[1]![0]).toBeCloseTo(0.4, 6);
    expect(v[0]![1]).toBeCloseTo(0.006, 7);
    expect(v[1]![1]).toBeCloseTo(0.008, 7);
    expect(v[0]![2]).toBeCloseTo(1e-4, 9);
    expect(v[1]![2]).toBe(0);
    tf.dispose([param, grad, out]);
  });

  it('zero-size tensors clip to zero-size tensors', () => {
    const z = tf.zeros([0, 5]);
    const out = adaptiveClip(z, z);
    expect(out.shape).toEqual([0, 5]);
    tf.dispose([z, out]);
  });

  it('all-zero weights and gradients stay zero (no division by zero)', () => {
    const z = tf.zeros([3, 3, 2, 4]);
    const out = adaptiveClip(z, z);
    const data = out.dataSync();
    expect(data.every((x) => x === 0)).toBe(true);
    tf.dispose([z, out]);
  });

  it('NaN and Inf gradients stay NaN and Inf', () => {
    const param = tf.ones([2, 2]);
    const grad = tf.tensor2d([[Number.NaN, 1e9], [1, Number.POSITIVE_INFINITY]]);
    const clipped = adaptiveClip(grad, param);
    const out = clipped.dataSync();
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
    // The units themselves are not rescaled (their norm is not finite).
    expect(out[1]).toBe(1e9);
    expect(out[2]).toBe(1);
    tf.dispose([param, grad, clipped]);
  });

  it('rejects bad options and shapes with a clear error', () => {
    const a = tf.ones([2, 3]);
    const b = tf.ones([3, 2]);
    expect(() => adaptiveClip(a, a, { clipping: 0 })).toThrow(RangeError);
    expect(() => adaptiveClip(a, a, { clipping: -1 })).toThrow(/clipping must be a finite number > 0, received -1/);
    expect(() => adaptiveClip(a, a, { eps: -1e-3 })).toThrow(AgcRangeError);
    expect(() => adaptiveClip(a, b)).toThrow(/shape \[2, 3\] but the parameter has shape \[3, 2\]/);
    const caught = (() => {
      try {
        adaptiveClip(a, a, { eps: Number.NaN });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isNfError(caught)).toBe(true);
    tf.dispose([a, b]);
  });
});
