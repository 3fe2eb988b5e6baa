import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { expectNoLeaks } from '../test/leak-check.js';
import { BACKENDS, useBackend } from '../test/backends.js';
import { closeness, mulberry32, randomNormal, refAdaptiveClip } from '../test/reference.js';
import { AgcError, clipGradients, clipGradientsAsync, type ClipGradientsOptions } from './index.js';

/** A small network's parameters in tfjs layouts: conv HWIO, gains and biases [out], dense [in, out]. */
const PARAMS: Record<string, number[]> = {
  'stem/conv/kernel': [3, 3, 3, 8],
  'stem/conv/gain': [8],
  'stem/conv/bias': [8],
  'block/conv/kernel': [3, 3, 4, 8], // grouped: in/groups = 4
  'block/skip_gain': [],
  'head/dense/kernel': [8, 10],
  'head/dense/bias': [10],
};

function makeTensors(seed: number, gradScale: number) {
  const rand = mulberry32(seed);
  const params: tf.NamedTensorMap = {};
  const grads: tf.NamedTensorMap = {};
  const raw: Record<string, { p: Float32Array; g: Float32Array; shape: number[] }> = {};
  for (const [name, shape] of Object.entries(PARAMS)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const p = Float32Array.from(randomNormal(size, rand, 0.3));
    const g = Float32Array.from(randomNormal(size, rand, gradScale).map((v, i) => v * (i % 3)));
    params[name] = tf.tensor(p, shape);
    grads[name] = tf.tensor(g, shape);
    raw[name] = { p, g, shape };
  }
  return { params, grads, raw };
}

function defaultReduce(rank: number): number[] {
  return rank <= 1 ? Array.from({ length: rank }, (_, i) => i) : Array.from({ length: rank - 1 }, (_, i) => i);
}

describe.each(BACKENDS)('clipGradients on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  const cases: Array<[string, ClipGradientsOptions, (name: string) => boolean, (name: string, rank: number) => number[]]> = [
    ['defaults', {}, () => false, (_, r) => defaultReduce(r)],
    ['exclude by names', { exclude: ['head/dense/kernel'] }, (n) => n === 'head/dense/kernel', (_, r) => defaultReduce(r)],
    ['exclude by RegExp', { exclude: /^head\//g }, (n) => n.startsWith('head/'), (_, r) => defaultReduce(r)],
    ['exclude by predicate', { exclude: (_n, s) => s.length === 0 }, (n) => PARAMS[n]!.length === 0, (_, r) => defaultReduce(r)],
    [
      'axes resolver: gains element-wise (timm), kernels whole',
      { axes: (n) => (n.endsWith('gain') ? [] : n.endsWith('kernel') ? 'all' : undefined) },
      () => false,
      (n, r) => (n.endsWith('gain') ? [] : n.endsWith('kernel') ? Array.from({ length: r }, (_, i) => i) : defaultReduce(r)),
    ],
  ];

  it.each(cases)('%s', (_, options, excluded, reduceOf) => {
    for (const [seed, scale] of [[1, 0.003], [2, 1], [3, 1e-9]] as const) {
      const { params, grads, raw } = makeTensors(seed, scale);
      const { grads: out, stats } = clipGradients(grads, params, { ...options, clipping: 0.02, stats: true });
      expect(Object.keys(out).sort()).toEqual(Object.keys(PARAMS).sort());
      for (const [name, { p, g, shape }] of Object.entries(raw)) {
        const stat = stats!.find((s) => s.name === name)!;
        if (excluded(name)) {
          expect(Array.from(out[name]!.dataSync())).toEqual(Array.from(g));
          expect(out[name]).not.toBe(grads[name]); // a new tensor the caller owns
          expect(stat).toMatchObject({ excluded: true, clippedUnits: 0, nonFinite: false });
          continue;
        }
        const ref = refAdaptiveClip(g, p, shape, reduceOf(name, shape.length), 0.02);
        expect(closeness(out[name]!.dataSync(), ref.clipped, 1e-5, 1e-30), name).toBeLessThan(1);
        expect(stat.units).toBe(ref.units);
        expect(stat.clippedUnits).toBe(ref.clippedUnits);
        expect(stat.clippedFraction).toBeCloseTo(ref.clippedUnits / ref.units, 6);
        expect(Math.abs(stat.maxRatio - ref.maxRatio) / (ref.maxRatio + 1e-30)).toBeLessThan(1e-4);
        expect(stat.nonFinite).toBe(false);
      }
      tf.dispose([params, grads, out]);
    }
  });

  it('accepts the variables themselves, and an array of them', () => {
    const init = tf.ones([2, 2]);
    const w = tf.variable(init, true, 'cg_test/w');
    init.dispose();
    const g = { 'cg_test/w': tf.fill([2, 2], 10) };
    const a = clipGradients(g, [w]).grads;
    const b = clipGradients(g, { 'cg_test/w': w }).grads;
    // |W_unit| = sqrt(2), clip to 0.01 * sqrt(2) → each element 0.01.
    expect(closeness(a['cg_test/w']!.dataSync(), [0.01, 0.01, 0.01, 0.01])).toBeLessThan(1);
    expect(Array.from(b['cg_test/w']!.dataSync())).toEqual(Array.from(a['cg_test/w']!.dataSync()));
    tf.dispose([a, b, g, w]);
  });

  it('reports NaN and Inf in stats and does not hide them', () => {
    const params = { a: tf.ones([3, 2]), b: tf.ones([4]), c: tf.ones([2]) };
    const grads = {
      a: tf.tensor2d([[Number.NaN, 1], [0, 1], [0, 1]]),
      b: tf.tensor1d([1, Number.POSITIVE_INFINITY, 0, 0]),
      c: tf.tensor1d([Number.NEGATIVE_INFINITY, 0]),
    };
    const { grads: out, stats } = clipGradients(grads, params, { stats: true, exclude: ['c'] });
    const byName = Object.fromEntries(stats!.map((s) => [s.name, s]));
    expect(byName.a).toMatchObject({ nonFinite: true, units: 2, clippedUnits: 1 });
    expect(Number.isNaN(byName.a!.maxRatio)).toBe(true);
    expect(byName.b).toMatchObject({ nonFinite: true, units: 1, clippedUnits: 0 });
    expect(byName.c).toMatchObject({ nonFinite: true, excluded: true });
    expect(Number.isNaN(out.a!.dataSync()[0])).toBe(true);
    expect(out.b!.dataSync()[1]).toBe(Number.POSITIVE_INFINITY);
    expect(out.c!.dataSync()[0]).toBe(Number.NEGATIVE_INFINITY);
    tf.dispose([params, grads, out]);
  });

  it('stats when every parameter is excluded, or none is given', () => {
    const params = { head: tf.ones([4, 2]) };
    const grads = { head: tf.fill([4, 2], 5) };
    const { grads: out, stats } = clipGradients(grads, params, { exclude: ['head'], stats: true });
    expect(stats).toEqual([{ name: 'head', units: 1, clippedUnits: 0, clippedFraction: 0, maxRatio: 0, nonFinite: false, nonFiniteParam: false, excluded: true }]);
    expect(Array.from(out.head!.dataSync())).toEqual(Array(8).fill(5));
    const empty = clipGradients({}, params, { stats: true });
    expect(empty).toEqual({ grads: {}, stats: [] });
    tf.dispose([params, grads, out]);
  });

  it('eps = 0 against a zero parameter: finite gradients are clipped to zero and not reported as non-finite', () => {
    const params = { skip_gain: tf.scalar(0), b: tf.zeros([3]) };
    const grads = { skip_gain: tf.scalar(0.5), b: tf.zeros([3]) };
    const { grads: out, stats } = clipGradients(grads, params, { eps: 0, stats: true });
    expect(out.skip_gain!.dataSync()[0]).toBe(0);
    expect(stats![0]).toMatchObject({ name: 'skip_gain', clippedUnits: 1, nonFinite: false, maxRatio: Number.POSITIVE_INFINITY });
    expect(stats![1]).toMatchObject({ name: 'b', clippedUnits: 0, nonFinite: false, maxRatio: 0 });
    tf.dispose([params, grads, out]);
  });

  it('depthwise recipe: axes [0, 1] gives one unit per output channel of a tfjs [kh, kw, in, mult] kernel', () => {
    const shape = [3, 3, 4, 2];
    const p = Float32Array.from(randomNormal(72, mulberry32(9), 0.3));
    const g = Float32Array.from(randomNormal(72, mulberry32(10), 0.05));
    const params = { dw: tf.tensor(p, shape) };
    const grads = { dw: tf.tensor(g, shape) };
    const { grads: out, stats } = clipGradients(grads, params, { axes: () => [0, 1], stats: true });
    expect(stats![0]!.units).toBe(8);
    const ref = refAdaptiveClip(g, p, shape, [0, 1]);
    expect(closeness(out.dw!.dataSync(), ref.clipped, 1e-5, 1e-30)).toBeLessThan(1);
    tf.dispose([params, grads, out]);
  });

  it('names the parameter and both shapes on bad input, and allocates nothing', () => {
    const params = { w: tf.zeros([3, 4]) };
    const wrong = { w: tf.zeros([4, 3]) };
    const missing = { v: tf.zeros([2]) };
    const count = tf.memory().numTensors;
    expect(() => clipGradients(wrong, params)).toThrow(/Gradient of 'w' has shape \[4, 3\] but the parameter has shape \[3, 4\]/);
    expect(() => clipGradients(missing, params)).toThrow(AgcError);
    expect(() => clipGradients(missing, params)).toThrow(/Gradient 'v' .*no parameter of that name; known parameters: 'w'/);
    expect(() => clipGradients(wrong, params, { clipping: 0 })).toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(count);
    const caught = (() => {
      try {
        clipGradients(missing, params);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect((caught as AgcError).code).toBe('MISSING_PARAM');
    tf.dispose([params, wrong, missing]);
  });
});

describe.each(BACKENDS)('clipGradientsAsync on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  /** Values of every tensor of a map, by name. */
  const valuesOf = (m: tf.NamedTensorMap) => Object.fromEntries(Object.entries(m).map(([k, t]) => [k, Array.from(t.dataSync())]));

  const optionSets: Array<[string, ClipGradientsOptions]> = [
    ['defaults', {}],
    ['classifier excluded', { exclude: ['head/dense/kernel'] }],
    ['head excluded by RegExp', { exclude: /^head\//g }],
    ['axes resolver', { axes: (n) => (n.endsWith('gain') ? [] : n.endsWith('kernel') ? 'all' : undefined) }],
    ['depthwise axes [0, 1] on rank 4, whole tensor otherwise', { axes: (_n, s) => (s.length === 4 ? [0, 1] : 'all'), eps: 0 }],
  ];

  it.each(optionSets)('gives the same gradients and statistics as clipGradients: %s', async (_, options) => {
    for (const [seed, scale] of [[1, 0.003], [2, 1], [3, 1e-9], [4, 30]] as const) {
      const { params, grads } = makeTensors(seed, scale);
      const before = tf.memory().numTensors;
      const sync = clipGradients(grads, params, { ...options, clipping: 0.02, stats: true });
      const pending = clipGradientsAsync(grads, params, { ...options, clipping: 0.02, stats: true });
      expect(pending).toBeInstanceOf(Promise);
      const got = await pending;
      // Only the returned gradients are new: the packed statistics tensor is gone.
      expect(tf.memory().numTensors).toBe(before + 2 * Object.keys(PARAMS).length);
      expect(Object.keys(got.grads)).toEqual(Object.keys(sync.grads));
      expect(valuesOf(got.grads)).toEqual(valuesOf(sync.grads));
      expect(got.stats).toEqual(sync.stats);
      // The seeds cover nothing clipped, some units clipped, and most units clipped.
      if (scale >= 1) expect(got.stats!.some((s) => s.clippedUnits > 0)).toBe(true);
      if (scale < 1e-6) expect(got.stats!.every((s) => s.clippedUnits === 0)).toBe(true);
      tf.dispose([params, grads, sync.grads, got.grads]);
    }
  });

  it('without stats: the same gradients, no stats, nothing read back', async () => {
    const { params, grads } = makeTensors(5, 1);
    const spy = vi.spyOn(tf.Tensor.prototype, 'data');
    try {
      const got = await clipGradientsAsync(grads, params, { exclude: ['head/dense/kernel'] });
      expect(spy).not.toHaveBeenCalled();
      expect(got.stats).toBeUndefined();
      const sync = clipGradients(grads, params, { exclude: ['head/dense/kernel'] });
      expect(valuesOf(got.grads)).toEqual(valuesOf(sync.grads));
      tf.dispose([sync.grads, got.grads]);
    } finally {
      spy.mockRestore();
    }
    tf.dispose([params, grads]);
  });

  it('NaN and Inf, every parameter excluded, and no parameter at all: as clipGradients', async () => {
    const params = { a: tf.ones([3, 2]), b: tf.ones([4]), c: tf.ones([2]) };
    const grads = {
      a: tf.tensor2d([[Number.NaN, 1], [0, 1], [0, 1]]),
      b: tf.tensor1d([1, Number.POSITIVE_INFINITY, 0, 0]),
      c: tf.tensor1d([Number.NEGATIVE_INFINITY, 0]),
    };
    for (const options of [{ stats: true, exclude: ['c'] }, { stats: true, exclude: () => true }]) {
      const sync = clipGradients(grads, params, options);
      const got = await clipGradientsAsync(grads, params, options);
      expect(got.stats).toEqual(sync.stats);
      expect(valuesOf(got.grads)).toEqual(valuesOf(sync.grads));
      tf.dispose([sync.grads, got.grads]);
    }
    expect(await clipGradientsAsync({}, params, { stats: true })).toEqual({ grads: {}, stats: [] });
    tf.dispose([params, grads]);
  });

  it('bad input rejects (naming the parameter) and allocates nothing', async () => {
    const params = { w: tf.zeros([3, 4]) };
    const wrong = { w: tf.zeros([4, 3]) };
    const missing = { v: tf.zeros([2]) };
    const count = tf.memory().numTensors;
    await expect(clipGradientsAsync(wrong, params, { stats: true })).rejects.toThrow(/Gradient of 'w' has shape \[4, 3\]/);
    await expect(clipGradientsAsync(missing, params)).rejects.toThrow(AgcError);
    await expect(clipGradientsAsync(wrong, params, { clipping: 0 })).rejects.toThrow(RangeError);
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([params, wrong, missing]);
  });

  it('a failed read-back rejects and leaves no tensor behind', async () => {
    const { params, grads } = makeTensors(6, 1);
    const count = tf.memory().numTensors;
    const spy = vi.spyOn(tf.Tensor.prototype, 'data').mockRejectedValueOnce(new Error('device lost'));
    try {
      await expect(clipGradientsAsync(grads, params, { stats: true })).rejects.toThrow('device lost');
    } finally {
      spy.mockRestore();
    }
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([params, grads]);
  });
});
