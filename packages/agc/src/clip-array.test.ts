import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { closeness, mulberry32, randomNormal, refAdaptiveClip } from '../test/reference.js';
import { AgcError, AgcRangeError, clipArrayInPlace, clipGradients, unitClipScales } from './index.js';

const SHAPES: number[][] = [[], [9], [6, 4], [3, 5, 4], [3, 3, 4, 8], [3, 3, 1, 12], [3, 3, 32, 24], [1, 5], [1, 1, 1, 8], [2, 1]];
const SCALES = [1e-12, 0.01, 1, 1e12];

function defaultReduce(rank: number): number[] {
  return rank <= 1 ? Array.from({ length: rank }, (_, i) => i) : Array.from({ length: rank - 1 }, (_, i) => i);
}

function sample(shape: number[], scale: number, seed: number): { g: Float32Array; p: Float32Array } {
  const rand = mulberry32(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const fanIn = shape.length >= 2 ? size / shape[shape.length - 1]! : Math.max(size, 1);
  const p = Float32Array.from(randomNormal(size, rand, 1 / Math.sqrt(fanIn)));
  const g = Float32Array.from(randomNormal(size, rand, scale).map((v, i) => v * (1 + (i % 5))));
  return { g, p };
}

describe('clipArrayInPlace', () => {
  for (const shape of SHAPES) {
    it.each(SCALES)(`matches the float64 reference in place, shape [${shape}], grad scale %s`, (scale) => {
      const { g, p } = sample(shape, scale, shape.length * 100 + Math.round(Math.log10(scale) + 20));
      const pBefore = p.slice();
      const ref = refAdaptiveClip(g, p, shape, defaultReduce(shape.length), 0.05);
      const stat = clipArrayInPlace(g, p, shape, { clipping: 0.05 });
      expect(closeness(g, ref.clipped, 1e-6, 1e-30)).toBeLessThan(1);
      expect(p).toEqual(pBefore);
      expect(stat.units).toBe(ref.units);
      expect(stat.clippedUnits).toBe(ref.clippedUnits);
      expect(stat.maxRatio).toBeCloseTo(ref.maxRatio, Math.max(0, 5 - Math.round(Math.log10(Math.max(ref.maxRatio, 1)))));
      expect(stat.nonFinite).toBe(false);
      if (scale <= 1e-12) expect(stat.clippedUnits).toBe(0);
      if (scale >= 1e12) expect(stat.clippedUnits).toBe(stat.units);
    });
  }

  it('agrees with clipGradients (tensors) on gradients and statistics', () => {
    const shape = [3, 3, 8, 16];
    const { g, p } = sample(shape, 0.0008, 7);
    const params = { w: tf.tensor(p, shape) };
    const grads = { w: tf.tensor(g, shape) };
    const viaTensors = clipGradients(grads, params, { clipping: 0.02, stats: true });
    const stat = clipArrayInPlace(g, p, shape, { clipping: 0.02 });
    expect(closeness(g, viaTensors.grads.w!.dataSync(), 1e-5, 1e-12)).toBeLessThan(1);
    const s = viaTensors.stats![0]!;
    expect(stat.clippedUnits).toBe(s.clippedUnits);
    expect(stat.clippedUnits).toBeGreaterThan(0);
    expect(stat.clippedUnits).toBeLessThan(stat.units);
    expect(stat.units).toBe(s.units);
    expect(stat.maxRatio).toBeCloseTo(s.maxRatio, 4);
    tf.dispose([params, grads, viaTensors.grads]);
  });

  it('clips a unit to exactly clipping * |W|, floors zero weights at eps and leaves the others', () => {
    const g = Float32Array.from([0.6, 0.006, 1, 0.8, 0.008, 0]);
    const p = Float32Array.from([3, 0.1, 0, 4, 0.2, 0]);
    const stat = clipArrayInPlace(g, p, [2, 3], { clipping: 0.1 });
    expect(Array.from(g).map((v) => Number(v.toPrecision(6)))).toEqual([0.3, 0.006, 0.0001, 0.4, 0.008, 0]);
    expect(stat).toEqual({ units: 3, clippedUnits: 2, maxRatio: expect.closeTo(10000, 1) as number, nonFinite: false, nonFiniteParam: false });
  });

  it('passes a unit with a non-finite gradient through and reports it', () => {
    const g = Float32Array.from([Number.NaN, 10, 1, 10]);
    const p = Float32Array.from([1, 1, 1, 1]);
    const stat = clipArrayInPlace(g, p, [2, 2], { clipping: 0.01 });
    expect(Number.isNaN(g[0]!)).toBe(true);
    expect(g[2]).toBe(1);
    expect(g[1]).toBeCloseTo((0.01 * Math.SQRT2 * 10) / Math.sqrt(200), 6);
    expect(stat.nonFinite).toBe(true);
    expect(stat.maxRatio).toBeNaN();
    expect(stat.clippedUnits).toBe(1);
  });

  it('all-zero weights and gradients stay zero; empty arrays are fine', () => {
    const g = new Float32Array(6);
    expect(clipArrayInPlace(g, new Float32Array(6), [3, 2]).clippedUnits).toBe(0);
    expect(Array.from(g)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(clipArrayInPlace(new Float32Array(0), new Float32Array(0), [0, 4]).units).toBe(4);
  });

  it('rejects arrays that do not match the shape, and bad options, naming the fix', () => {
    expect(() => clipArrayInPlace(new Float32Array(5), new Float32Array(6), [2, 3])).toThrow(AgcError);
    expect(() => clipArrayInPlace(new Float32Array(6), new Float32Array(6), [2, 4])).toThrow(/has 8 elements but the gradient has 6.*pass the arrays/);
    expect(() => clipArrayInPlace(new Float32Array(1), new Float32Array(1), [1], { clipping: 0 })).toThrow(AgcRangeError);
    expect(() => clipArrayInPlace(new Float32Array(1), new Float32Array(1), [1], { eps: -1 })).toThrow(/eps must be/);
  });
});

describe('unitClipScales', () => {
  it('gives the factors of clipArrayInPlace and statistics from the sums of squares', () => {
    const shape = [3, 3, 4, 8];
    const { g, p } = sample(shape, 0.0009, 11);
    const units = 8;
    const gSq = new Float64Array(units);
    const wSq = new Float64Array(units);
    g.forEach((v, i) => (gSq[i % units]! += v * v));
    p.forEach((v, i) => (wSq[i % units]! += v * v));
    const scales = new Float32Array(units);
    const stat = unitClipScales(gSq, wSq, scales, { clipping: 0.02 });
    const clipped = g.slice();
    expect(clipArrayInPlace(clipped, p, shape, { clipping: 0.02 })).toEqual(stat);
    expect(stat.clippedUnits).toBeGreaterThan(0);
    expect(stat.clippedUnits).toBeLessThan(units);
    expect(Array.from(clipped)).toEqual(Array.from(g, (v, i) => Math.fround(v * scales[i % units]!)));
    scales.forEach((s, u) => {
      const limit = 0.02 * Math.max(Math.sqrt(wSq[u]!), 1e-3);
      if (Math.sqrt(gSq[u]!) > limit) expect(s * Math.sqrt(gSq[u]!)).toBeCloseTo(limit, 9);
      else expect(s).toBe(1);
    });
  });

  it('leaves non-finite units at 1 and reports them; rejects mismatched lengths', () => {
    const scales = new Float32Array(2);
    const stat = unitClipScales(Float64Array.from([Number.POSITIVE_INFINITY, 4]), Float64Array.from([1, 1]), scales, { clipping: 0.5 });
    expect(Array.from(scales)).toEqual([1, 0.25]);
    expect(stat).toEqual({ units: 2, clippedUnits: 1, maxRatio: Number.NaN, nonFinite: true, nonFiniteParam: false });
    expect(() => unitClipScales(new Float64Array(2), new Float64Array(3), new Float32Array(2))).toThrow(/one entry per unit/);
  });
});
