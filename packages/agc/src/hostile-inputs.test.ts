/**
 * Hostile inputs through every public entry point: null and non-tensor gradients, parameter names
 * that are Object.prototype members or hold control characters, non-float dtypes, NaN and Inf
 * weights, shape mismatches, bad options. Each case either expects an error (its code, a message on
 * one line that names the parameter, properly escaped) or an exact result; every case leaves
 * `tf.memory().numTensors` as it found it, error paths included.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import {
  AgcOptimizer,
  adaptiveClip,
  clipArrayInPlace,
  clipGradients,
  clipGradientsAsync,
  isNfError,
  unitClipScales,
  unitwiseNorm,
  withAGC,
  type AgcErrorCode,
  type ClipGradientsOptions,
  type ClipGradientsResult,
  type ClipStat,
} from './index.js';

const NaN32 = Number.NaN;
const INF = Number.POSITIVE_INFINITY;

/** What a case may allocate: tracked tensors and clean-up steps, all released after the case. */
class Scope {
  readonly tensors: tf.Tensor[] = [];
  readonly cleanups: Array<() => void> = [];
  t<T extends tf.Tensor>(x: T): T {
    this.tensors.push(x);
    return x;
  }
  f32(values: number[], shape?: number[]): tf.Tensor {
    return this.t(tf.tensor(values, shape, 'float32'));
  }
  variable(values: number[], shape: number[], name: string): tf.Variable {
    const init = tf.tensor(values, shape, 'float32');
    const v = tf.variable(init, true, name);
    init.dispose();
    return this.t(v);
  }
  defer(fn: () => void): void {
    this.cleanups.push(fn);
  }
  release(): void {
    for (const fn of this.cleanups.reverse()) fn();
    tf.dispose(this.tensors);
  }
}

/** An own, enumerable entry whatever the name ('__proto__' would otherwise set the prototype). */
function mapOf<T>(entries: Array<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

let variableCounter = 0;
const uniqueName = (base: string) => `${base}_${variableCounter++}`;

/**
 * One case: `run` builds its inputs in the scope and calls an entry point. Either `error` (code and
 * substrings the message must contain, e.g. the quoted, escaped name) or `check` on the result.
 */
interface Case {
  title: string;
  run: (s: Scope) => unknown;
  error?: { code: AgcErrorCode; mentions: string[] };
  check?: (result: never, s: Scope) => void | Promise<void>;
}

/** The clipped values of every returned gradient, by name (own keys only, whatever the name). */
function valuesOf(result: ClipGradientsResult): Array<[string, number[]]> {
  return Object.keys(result.grads).map((k) => [k, Array.from(result.grads[k]!.dataSync())]);
}

const statOf = (r: ClipGradientsResult, name: string): ClipStat => r.stats!.find((st) => st.name === name)!;

/**
 * Scenarios for the two map entry points, `clipGradients` and `clipGradientsAsync`: each is run
 * through both (the async one awaited), and must give the same result or error.
 */
interface MapScenario {
  title: string;
  inputs: (s: Scope) => { grads: unknown; params: unknown; options?: unknown };
  error?: { code: AgcErrorCode; mentions: string[] };
  check?: (result: ClipGradientsResult, s: Scope) => void;
}

// w: [2, 2] with unit (column) norms 5 and 1; g = 10 everywhere → both units clipped at 0.1.
const W = [3, 1, 4, 0];
const G = [10, 10, 10, 10];
// Column 0 of G has norm √200, limit 0.1·5 = 0.5; column 1 norm √200, limit 0.1·1 = 0.1.
const CLIPPED = [0.5 / Math.SQRT2, 0.1 / Math.SQRT2, 0.5 / Math.SQRT2, 0.1 / Math.SQRT2];

function expectClose(got: ArrayLike<number>, want: number[]): void {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => {
    if (Number.isNaN(v)) expect(Number.isNaN(got[i]!)).toBe(true);
    else if (!Number.isFinite(v)) expect(got[i]).toBe(v);
    else expect(got[i]!).toBeCloseTo(v, 6);
  });
}

const PROTO_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

const mapScenarios: MapScenario[] = [
  {
    title: 'null and undefined gradients are skipped (no parameter needed), the rest clipped',
    inputs: (s) => ({
      grads: { w: s.f32(G, [2, 2]), frozen: null, gone: undefined, 'no/param': null },
      params: { w: s.f32(W, [2, 2]), frozen: s.f32([1, 2]) },
      options: { clipping: 0.1, stats: true },
    }),
    check: (r) => {
      expect(Object.keys(r.grads)).toEqual(['w']);
      expectClose(r.grads.w!.dataSync(), CLIPPED);
      expect(r.stats!.map((st) => st.name)).toEqual(['w']);
    },
  },
  {
    title: 'every gradient null: nothing to do',
    inputs: (s) => ({ grads: { a: null, b: undefined }, params: { a: s.f32([1]) }, options: { stats: true } }),
    check: (r) => expect(r).toEqual({ grads: {}, stats: [] }),
  },
  {
    title: 'Object.prototype names as parameter names: each kept, clipped and reported',
    inputs: (s) => ({
      grads: mapOf(PROTO_NAMES.map((n) => [n, s.f32(G, [2, 2])])),
      params: mapOf(PROTO_NAMES.map((n) => [n, s.f32(W, [2, 2])])),
      options: { clipping: 0.1, stats: true },
    }),
    check: (r) => {
      expect(valuesOf(r).map(([k]) => k)).toEqual(PROTO_NAMES);
      for (const [, v] of valuesOf(r)) expectClose(v, CLIPPED);
      expect(Object.getPrototypeOf(r.grads)).toBe(Object.prototype); // '__proto__' did not replace it
      expect(r.stats!.map((st) => [st.name, st.clippedUnits])).toEqual(PROTO_NAMES.map((n) => [n, 2]));
    },
  },
  {
    title: "Object.prototype names in exclude: only those pass through, '__proto__' from JSON too",
    inputs: (s) => {
      const params = JSON.parse('{"__proto__": 0, "toString": 0, "w": 0}') as Record<string, unknown>;
      for (const k of Object.keys(params)) params[k] = s.f32(W, [2, 2]);
      return {
        grads: mapOf(['__proto__', 'toString', 'w'].map((n) => [n, s.f32(G, [2, 2])])),
        params,
        options: { clipping: 0.1, exclude: ['__proto__', 'toString'], stats: true },
      };
    },
    check: (r) => {
      const values = valuesOf(r);
      expect(values.map(([k]) => k)).toEqual(['__proto__', 'toString', 'w']);
      expect(values[0]![1]).toEqual(G);
      expect(values[1]![1]).toEqual(G);
      expectClose(values[2]![1], CLIPPED);
      expect(r.stats!.map((st) => [st.name, st.excluded])).toEqual([['w', false], ['__proto__', true], ['toString', true]]);
    },
  },
  {
    title: "a gradient named after an inherited member ('toString') has no parameter",
    inputs: (s) => ({ grads: { toString: s.f32([1, 2]) }, params: { w: s.f32([1, 2]) } }),
    error: { code: 'MISSING_PARAM', mentions: ["Gradient 'toString' (shape [2])", "known parameters: 'w'"] },
  },
  {
    title: 'a null parameter is a missing parameter',
    inputs: (s) => ({ grads: { w: s.f32([1, 2]) }, params: { w: null } }),
    error: { code: 'MISSING_PARAM', mentions: ["Gradient 'w'"] },
  },
  {
    title: 'a gradient that is not a tensor (a number)',
    inputs: (s) => ({ grads: { w: 3 }, params: { w: s.f32([1, 2]) } }),
    error: { code: 'BAD_INPUT', mentions: ["Gradient of 'w' is not a tensor (received number)"] },
  },
  {
    title: 'a gradient that is a Float32Array',
    inputs: (s) => ({ grads: { w: new Float32Array(2) }, params: { w: s.f32([1, 2]) } }),
    error: { code: 'BAD_INPUT', mentions: ["Gradient of 'w' is not a tensor (received Float32Array)"] },
  },
  {
    title: 'a parameter that is a plain array',
    inputs: (s) => ({ grads: { w: s.f32([1, 2]) }, params: { w: [1, 2] } }),
    error: { code: 'BAD_INPUT', mentions: ["Parameter 'w' is not a tensor (received Array)"] },
  },
  {
    title: 'a disposed gradient',
    inputs: (s) => {
      const g = tf.tensor1d([1, 2]);
      g.dispose();
      return { grads: { w: g }, params: { w: s.f32([1, 2]) } };
    },
    error: { code: 'BAD_INPUT', mentions: ["Gradient of 'w' is a disposed tensor"] },
  },
  {
    title: 'a disposed parameter',
    inputs: (s) => {
      const p = tf.tensor1d([1, 2]);
      p.dispose();
      return { grads: { w: s.f32([1, 2]) }, params: { w: p } };
    },
    error: { code: 'BAD_INPUT', mentions: ["Parameter 'w' is a disposed tensor"] },
  },
  {
    title: 'an int32 gradient is refused, never zeroed',
    inputs: (s) => ({ grads: { w: s.t(tf.tensor1d([5, 5], 'int32')) }, params: { w: s.f32([1, 1]) } }),
    error: { code: 'BAD_DTYPE', mentions: ["Gradient of 'w' has dtype int32", "tf.cast(x, 'float32')"] },
  },
  {
    title: 'an int32 parameter',
    inputs: (s) => ({ grads: { w: s.f32([5, 5]) }, params: { w: s.t(tf.tensor1d([1, 1], 'int32')) } }),
    error: { code: 'BAD_DTYPE', mentions: ["Parameter 'w' has dtype int32"] },
  },
  {
    title: 'a bool gradient of an excluded parameter (one rule for every gradient)',
    inputs: (s) => ({ grads: { head: s.t(tf.tensor1d([true, false], 'bool')) }, params: { head: s.f32([1, 1]) }, options: { exclude: ['head'] } }),
    error: { code: 'BAD_DTYPE', mentions: ["Gradient of 'head' has dtype bool"] },
  },
  {
    title: 'shape mismatch names both shapes',
    inputs: (s) => ({ grads: { w: s.f32([1, 2, 3, 4], [4]) }, params: { w: s.f32([1, 2, 3, 4], [1, 4]) } }),
    error: { code: 'SHAPE_MISMATCH', mentions: ["Gradient of 'w' has shape [4] but the parameter has shape [1, 4]"] },
  },
  {
    title: 'a name with a newline stays on one line (shape mismatch)',
    inputs: (s) => ({ grads: { 'a\nb': s.f32([1, 2]) }, params: { 'a\nb': s.f32([1, 2, 3]) } }),
    error: { code: 'SHAPE_MISMATCH', mentions: ["Gradient of 'a\\nb' has shape [2]"] },
  },
  {
    title: 'control characters, quotes and line separators are escaped (missing parameter, known names too)',
    inputs: (s) => ({
      grads: { "x\r\u2028'\u0000\\": s.f32([1]) },
      params: { 'p\nq': s.f32([1]), 'tab\there': s.f32([1]) },
    }),
    error: { code: 'MISSING_PARAM', mentions: ["Gradient 'x\\r\\u2028\\'\\u0000\\\\'", "known parameters: 'p\\nq', 'tab\\there'"] },
  },
  {
    title: 'a very long name is cut in the message',
    inputs: (s) => ({ grads: { ['n'.repeat(5000)]: s.f32([1]) }, params: {} }),
    error: { code: 'MISSING_PARAM', mentions: [`Gradient '${'n'.repeat(200)}…'`, 'known parameters: (none)'] },
  },
  {
    title: 'NaN weight: the unit passes through unchanged and shows in the statistics',
    inputs: (s) => ({
      grads: { w: s.f32(G, [2, 2]) },
      params: { w: s.f32([NaN32, 1, 4, 0], [2, 2]) },
      options: { clipping: 0.1, stats: true },
    }),
    check: (r) => {
      // Column 0 has no threshold (its weight norm is NaN): unchanged. Column 1 clipped as before.
      expectClose(r.grads.w!.dataSync(), [10, CLIPPED[1]!, 10, CLIPPED[3]!]);
      expect(statOf(r, 'w')).toEqual({
        name: 'w', units: 2, clippedUnits: 1, clippedFraction: 0.5, maxRatio: NaN32, nonFinite: false, nonFiniteParam: true, excluded: false,
      });
    },
  },
  {
    title: 'Inf weight, NaN gradient and an excluded NaN weight: each flag on its own parameter',
    inputs: (s) => ({
      grads: { inf: s.f32([1, 1]), nan: s.f32([NaN32, 1]), head: s.f32([1, 1]), ok: s.f32([1, 1]) },
      params: { inf: s.f32([INF, 1]), nan: s.f32([1, 1]), head: s.f32([NaN32, 1]), ok: s.f32([1, 1]) },
      options: { stats: true, exclude: ['head'] },
    }),
    check: (r) => {
      expectClose(r.grads.inf!.dataSync(), [1, 1]);
      expectClose(r.grads.nan!.dataSync(), [NaN32, 1]);
      expectClose(r.grads.head!.dataSync(), [1, 1]);
      const flags = r.stats!.map((st) => [st.name, st.nonFinite, st.nonFiniteParam, st.clippedUnits]);
      expect(flags).toEqual([
        ['inf', false, true, 0],
        ['nan', true, false, 0],
        ['ok', false, false, 1],
        ['head', false, true, 0],
      ]);
      expect(Number.isNaN(statOf(r, 'inf').maxRatio)).toBe(true);
    },
  },
  {
    title: "onNonFinite: 'throw' names the parameters (NaN weight, Inf gradient), without stats",
    inputs: (s) => ({
      grads: { 'conv\n1': s.f32([1, 1]), fc: s.f32([INF, 1]), ok: s.f32([1, 1]) },
      params: { 'conv\n1': s.f32([NaN32, 1]), fc: s.f32([1, 1]), ok: s.f32([1, 1]) },
      options: { onNonFinite: 'throw' },
    }),
    error: { code: 'NON_FINITE', mentions: ["NaN or Inf in 2 parameters: 'conv\\n1' (parameter), 'fc' (gradient)"] },
  },
  {
    title: "onNonFinite: 'throw' with finite values returns the clipped gradients (no stats unless asked)",
    inputs: (s) => ({ grads: { w: s.f32(G, [2, 2]) }, params: { w: s.f32(W, [2, 2]) }, options: { clipping: 0.1, onNonFinite: 'throw' } }),
    check: (r) => {
      expect(r.stats).toBeUndefined();
      expectClose(r.grads.w!.dataSync(), CLIPPED);
    },
  },
  {
    title: 'zero units: clippedFraction is 0, not NaN',
    inputs: (s) => ({ grads: { w: s.t(tf.zeros([3, 0])) }, params: { w: s.t(tf.zeros([3, 0])) }, options: { stats: true } }),
    check: (r) => {
      expect(r.grads.w!.shape).toEqual([3, 0]);
      expect(r.stats).toEqual([{ name: 'w', units: 0, clippedUnits: 0, clippedFraction: 0, maxRatio: 0, nonFinite: false, nonFiniteParam: false, excluded: false }]);
    },
  },
  {
    title: 'null options mean the defaults',
    inputs: (s) => ({ grads: { w: s.f32([1, 1]) }, params: { w: s.f32([3, 4]) }, options: null }),
    check: (r) => expectClose(r.grads.w!.dataSync(), [0.05 / Math.SQRT2, 0.05 / Math.SQRT2]),
  },
  {
    title: 'stats: 1 is stats: true',
    inputs: (s) => ({ grads: { w: s.f32([1, 1]) }, params: { w: s.f32([3, 4]) }, options: { stats: 1 } }),
    check: (r) => expect(r.stats).toEqual([{ name: 'w', units: 1, clippedUnits: 1, clippedFraction: 1, maxRatio: expect.closeTo(Math.SQRT2 / 0.05, 3), nonFinite: false, nonFiniteParam: false, excluded: false }]),
  },
  {
    title: 'grads null',
    inputs: (s) => ({ grads: null, params: { w: s.f32([1]) } }),
    error: { code: 'BAD_INPUT', mentions: ['grads must be a name → tensor object, received null'] },
  },
  {
    title: 'grads a single tensor',
    inputs: (s) => ({ grads: s.f32([1]), params: { w: s.f32([1]) } }),
    error: { code: 'BAD_INPUT', mentions: ['received a single tensor', 'adaptiveClip'] },
  },
  {
    title: 'grads a Map',
    inputs: (s) => ({ grads: new Map([['w', s.f32([1])]]), params: { w: s.f32([1]) } }),
    error: { code: 'BAD_INPUT', mentions: ['grads must be a name → tensor object, received Map'] },
  },
  {
    title: 'params null',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: null }),
    error: { code: 'BAD_INPUT', mentions: ['params must be a name → tensor object, received null'] },
  },
  {
    title: 'params an array holding a tensor that is not a variable',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: [s.f32([1])] }),
    error: { code: 'BAD_INPUT', mentions: ['params[0] is not a tf.Variable (received a tensor without a name)'] },
  },
  {
    title: 'exclude given as one string',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: { w: s.f32([1]) }, options: { exclude: 'classifier' } }),
    error: { code: 'BAD_OPTION', mentions: ["for one name pass ['classifier']"] },
  },
  {
    title: 'exclude holding a non-string',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: { w: s.f32([1]) }, options: { exclude: ['w', 3] } }),
    error: { code: 'BAD_OPTION', mentions: ['exclude[1] must be a parameter name (a string), received 3'] },
  },
  {
    title: 'axes that is not a function',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: { w: s.f32([1]) }, options: { axes: 'all' } }),
    error: { code: 'BAD_OPTION', mentions: ["axes must be a function (name, shape) => axes | undefined, received 'all'"] },
  },
  {
    title: 'an axes resolver returning garbage with a newline',
    inputs: (s) => ({ grads: { 'k\n': s.f32([1, 2], [1, 2]) }, params: { 'k\n': s.f32([1, 2], [1, 2]) }, options: { axes: () => ['x\ny'] } }),
    error: { code: 'BAD_AXES', mentions: ["axes for parameter 'k\\n' of rank 2", "received ['x\\ny']"] },
  },
  {
    title: 'onNonFinite with an unknown value',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: { w: s.f32([1]) }, options: { onNonFinite: 'skip' } }),
    error: { code: 'BAD_OPTION', mentions: ["onNonFinite must be 'pass' or 'throw', received 'skip'"] },
  },
  {
    title: 'clipping given as a string',
    inputs: (s) => ({ grads: { w: s.f32([1]) }, params: { w: s.f32([1]) }, options: { clipping: '0.1\n' } }),
    error: { code: 'BAD_OPTION', mentions: ["clipping must be a finite number > 0, received '0.1\\n'"] },
  },
];

function mapCases(): Case[] {
  const out: Case[] = [];
  for (const sc of mapScenarios) {
    for (const [entry, call] of [
      ['clipGradients', clipGradients],
      ['clipGradientsAsync', clipGradientsAsync],
    ] as const) {
      out.push({
        title: `${entry}: ${sc.title}`,
        run: (s) => {
          const { grads, params, options } = sc.inputs(s);
          return (call as (g: unknown, p: unknown, o?: unknown) => unknown)(grads, params, options as ClipGradientsOptions);
        },
        ...(sc.error ? { error: sc.error } : {}),
        ...(sc.check ? { check: sc.check as (r: never, s: Scope) => void } : {}),
      });
    }
  }
  return out;
}

const tensorCases: Case[] = [
  {
    title: 'adaptiveClip: a null gradient',
    run: (s) => adaptiveClip(null as never, s.f32([1])),
    error: { code: 'BAD_INPUT', mentions: ['Gradient of (adaptiveClip) is not a tensor (received null)'] },
  },
  {
    title: 'adaptiveClip: a null parameter, named',
    run: (s) => adaptiveClip(s.f32([1]), undefined as never, { name: 'fc\n/w' }),
    error: { code: 'BAD_INPUT', mentions: ["Parameter 'fc\\n/w' is not a tensor (received undefined)"] },
  },
  {
    title: 'adaptiveClip: an int32 gradient, named',
    run: (s) => adaptiveClip(s.t(tf.tensor1d([5, 5], 'int32')), s.f32([1, 1]), { name: 'w' }),
    error: { code: 'BAD_DTYPE', mentions: ["Gradient of 'w' has dtype int32"] },
  },
  {
    title: 'adaptiveClip: shape mismatch, named with a newline',
    run: (s) => adaptiveClip(s.f32([1, 2]), s.f32([1, 2, 3]), { name: 'a\nb' }),
    error: { code: 'SHAPE_MISMATCH', mentions: ["Gradient of 'a\\nb' has shape [2] but the parameter has shape [3]"] },
  },
  {
    title: 'adaptiveClip: bad axes, named',
    run: (s) => adaptiveClip(s.f32([1, 2]), s.f32([1, 2]), { name: 'w', axes: [3] }),
    error: { code: 'BAD_AXES', mentions: ["axes for parameter 'w' of rank 1"] },
  },
  {
    title: 'adaptiveClip: NaN weight unit unchanged, other unit clipped; NaN gradient stays NaN',
    run: (s) => [
      s.t(adaptiveClip(s.f32(G, [2, 2]), s.f32([NaN32, 1, 4, 0], [2, 2]), { clipping: 0.1 })),
      s.t(adaptiveClip(s.f32([NaN32, 10, 1, 10], [2, 2]), s.f32(W, [2, 2]), { clipping: 0.1 })),
    ],
    check: (r: tf.Tensor[]) => {
      expectClose(r[0]!.dataSync(), [10, CLIPPED[1]!, 10, CLIPPED[3]!]);
      expectClose(r[1]!.dataSync(), [NaN32, 0.1 / Math.SQRT2, 1, 0.1 / Math.SQRT2]);
    },
  },
  {
    title: 'adaptiveClip: null options are the defaults',
    run: (s) => s.t(adaptiveClip(s.f32([1, 1]), s.f32([3, 4]), null as never)),
    check: (r: tf.Tensor) => expectClose(r.dataSync(), [0.05 / Math.SQRT2, 0.05 / Math.SQRT2]),
  },
  {
    title: 'unitwiseNorm: null',
    run: () => unitwiseNorm(null as never),
    error: { code: 'BAD_INPUT', mentions: ['unitwiseNorm needs a live tensor, received null'] },
  },
  {
    title: 'unitwiseNorm: a string tensor',
    run: (s) => unitwiseNorm(s.t(tf.tensor1d(['a', 'b'], 'string'))),
    error: { code: 'BAD_DTYPE', mentions: ['received dtype string'] },
  },
  {
    title: 'unitwiseNorm: an int32 tensor is measured in float32',
    run: (s) => s.t(unitwiseNorm(s.t(tf.tensor2d([[3, 0], [4, 1]], [2, 2], 'int32')))),
    check: (r: tf.Tensor) => expect(Array.from(r.dataSync())).toEqual([5, 1]),
  },
];

const arrayCases: Case[] = [
  {
    title: 'clipArrayInPlace: a null gradient',
    run: () => clipArrayInPlace(null as never, new Float32Array(2), [2]),
    error: { code: 'BAD_INPUT', mentions: ['clipArrayInPlace: the gradient must be a Float32Array, received null'] },
  },
  {
    title: 'clipArrayInPlace: an Int32Array gradient is refused and left untouched',
    run: (s) => {
      const g = new Int32Array([5, 5]);
      s.defer(() => expect(Array.from(g)).toEqual([5, 5]));
      return clipArrayInPlace(g as never, new Float32Array([1, 1]), [2], { name: 'w' });
    },
    error: { code: 'BAD_DTYPE', mentions: ["clipArrayInPlace (parameter 'w'): the gradient must be a Float32Array, received Int32Array"] },
  },
  {
    title: 'clipArrayInPlace: a plain array parameter',
    run: () => clipArrayInPlace(new Float32Array(2), [1, 1] as never, [2]),
    error: { code: 'BAD_DTYPE', mentions: ['the parameter must be a Float32Array, received Array'] },
  },
  {
    title: 'clipArrayInPlace: a shape with negative sizes whose product matches',
    run: () => clipArrayInPlace(new Float32Array(2), new Float32Array(2), [-2, -1]),
    error: { code: 'BAD_INPUT', mentions: ['shape must be an array of integers >= 0, received [-2, -1]'] },
  },
  {
    title: 'clipArrayInPlace: length mismatch, named with a newline',
    run: () => clipArrayInPlace(new Float32Array(3), new Float32Array(3), [2, 2], { name: 'x\ny' }),
    error: { code: 'SHAPE_MISMATCH', mentions: ["clipArrayInPlace (parameter 'x\\ny'): shape [2, 2] has 4 elements"] },
  },
  {
    title: 'clipArrayInPlace: NaN weight unit unchanged and reported, other unit clipped',
    run: () => {
      const g = Float32Array.from(G);
      const stat = clipArrayInPlace(g, Float32Array.from([NaN32, 1, 4, 0]), [2, 2], { clipping: 0.1 });
      return { g, stat };
    },
    check: (r: { g: Float32Array; stat: unknown }) => {
      expectClose(r.g, [10, CLIPPED[1]!, 10, CLIPPED[3]!]);
      expect(r.stat).toEqual({ units: 2, clippedUnits: 1, maxRatio: NaN32, nonFinite: false, nonFiniteParam: true });
    },
  },
  {
    title: 'unitClipScales: NaN, Inf and negative parameter sums leave their units at 1',
    run: () => {
      const scales = new Float32Array(4);
      const stat = unitClipScales(Float64Array.from([100, 100, 100, 100]), Float64Array.from([NaN32, INF, -1, 25]), scales, { clipping: 0.1 });
      return { scales, stat };
    },
    check: (r: { scales: Float32Array; stat: unknown }) => {
      expectClose(r.scales, [1, 1, 1, 0.05]);
      expect(r.stat).toEqual({ units: 4, clippedUnits: 1, maxRatio: NaN32, nonFinite: false, nonFiniteParam: true });
    },
  },
  {
    title: 'unitClipScales: Int32Array scales would truncate factors to 0',
    run: () => unitClipScales(new Float64Array(1), new Float64Array(1), new Int32Array(1) as never, { name: 'w' }),
    error: { code: 'BAD_DTYPE', mentions: ["unitClipScales (parameter 'w'): scales must be a Float32Array, received Int32Array"] },
  },
  {
    title: 'unitClipScales: undefined sums',
    run: () => unitClipScales(undefined as never, new Float64Array(1), new Float32Array(1)),
    error: { code: 'BAD_INPUT', mentions: ['gradSquares must be a Float64Array, received undefined'] },
  },
];

/** A fresh SGD wrapped with AGC, disposed with the scope. */
function agcSgd(s: Scope, options: Parameters<typeof withAGC>[1] = {}, lr = 1): AgcOptimizer {
  const inner = tf.train.sgd(lr);
  let opt: AgcOptimizer;
  try {
    opt = withAGC(inner, options);
  } catch (e) {
    inner.dispose(); // a refused wrap leaves the caller's optimizer to the caller
    throw e;
  }
  s.defer(() => opt.dispose());
  return opt;
}

const optimizerCases: Case[] = [
  {
    title: 'withAGC: applyGradients(null)',
    run: (s) => agcSgd(s).applyGradients(null as never),
    error: { code: 'BAD_INPUT', mentions: ['applyGradients needs a { name: gradient } map or an array of { name, tensor }, received null'] },
  },
  {
    title: 'withAGC: an array entry without a name',
    run: (s) => agcSgd(s).applyGradients([{ tensor: s.f32([1]) }] as never),
    error: { code: 'BAD_INPUT', mentions: ['applyGradients: entry 0 must be { name: string, tensor }, received object'] },
  },
  {
    title: "withAGC: gradients named 'toString' / '__proto__' name no variable (not Object.prototype's members)",
    run: (s) => agcSgd(s).applyGradients(mapOf([['toString', s.f32([1])], ['__proto__', s.f32([1])]])),
    error: { code: 'MISSING_PARAM', mentions: ["Gradient 'toString' names no registered variable"] },
  },
  {
    title: 'withAGC: a gradient name with a newline and no variable',
    run: (s) => agcSgd(s).applyGradients({ 'no\nsuch': s.f32([1]) }),
    error: { code: 'MISSING_PARAM', mentions: ["Gradient 'no\\nsuch' names no registered variable"] },
  },
  {
    title: 'withAGC: an int32 gradient is refused and the variable is left as it was',
    run: (s) => {
      const name = uniqueName('hostile/int');
      const v = s.variable([1, 2], [2], name);
      s.defer(() => expect(Array.from(v.dataSync())).toEqual([1, 2]));
      agcSgd(s).applyGradients({ [name]: s.t(tf.tensor1d([5, 5], 'int32')) });
    },
    error: { code: 'BAD_DTYPE', mentions: ["Gradient of 'hostile/int_", "' has dtype int32"] },
  },
  {
    title: 'withAGC with accumulation: an int32 gradient is refused before anything is summed',
    run: (s) => {
      const name = uniqueName('hostile/acc');
      const v = s.variable([1, 2], [2], name);
      const opt = agcSgd(s, { accumulationSteps: 2 });
      opt.applyGradients({ [name]: s.t(tf.tensor1d([5, 5], 'int32')) });
      return v;
    },
    error: { code: 'BAD_DTYPE', mentions: ["Gradient of 'hostile/acc_", "' has dtype int32"] },
  },
  {
    title: 'withAGC: a shape mismatch on a variable whose name holds a newline',
    run: (s) => {
      const name = uniqueName('line\nbreak');
      s.variable([1, 2], [2], name);
      agcSgd(s).applyGradients({ [name]: s.f32([1, 2, 3]) });
    },
    error: { code: 'SHAPE_MISMATCH', mentions: ["Gradient of 'line\\nbreak_", "' has shape [3] but the parameter has shape [2]"] },
  },
  {
    title: "withAGC with onNonFinite: 'throw': a NaN variable stops the update and nothing is applied",
    run: (s) => {
      const [a, b] = [uniqueName('hostile/nan'), uniqueName('hostile/fine')];
      s.variable([NaN32, 1], [2], a);
      const fine = s.variable([3, 4], [2], b);
      s.defer(() => expect(Array.from(fine.dataSync())).toEqual([3, 4]));
      agcSgd(s, { onNonFinite: 'throw' }).applyGradients({ [a]: s.f32([1, 1]), [b]: s.f32([1, 1]) });
    },
    error: { code: 'NON_FINITE', mentions: ['NaN or Inf in 1 parameter: ', "(parameter)"] },
  },
  {
    title: 'withAGC with accumulation and onNonFinite: a NaN gradient drops the accumulated step',
    run: (s) => {
      const name = uniqueName('hostile/accnan');
      const v = s.variable([3, 4], [2], name);
      const opt = agcSgd(s, { onNonFinite: 'throw', accumulationSteps: 2 });
      opt.applyGradients({ [name]: s.f32([NaN32, 1]) });
      s.defer(() => {
        expect(Array.from(v.dataSync())).toEqual([3, 4]);
        // The pending sum was reset: the next two finite calls apply their clipped average.
        opt.applyGradients({ [name]: s.f32([0, 1e-4]) });
        opt.applyGradients({ [name]: s.f32([0, 1e-4]) });
        expectClose(v.dataSync(), [3, 4 - 1e-4]);
      });
      opt.applyGradients({ [name]: s.f32([1, 1]) });
    },
    error: { code: 'NON_FINITE', mentions: ['(gradient)'] },
  },
  {
    title: 'withAGC: onStats reports a NaN variable (nonFiniteParam) and its unit is not clipped',
    run: (s) => {
      const name = uniqueName('hostile/stats');
      const v = s.variable([NaN32, 0, 0, 1], [2, 2], name);
      const seen: ClipStat[][] = [];
      agcSgd(s, { clipping: 0.1, onStats: (st) => seen.push(st) }).applyGradients({ [name]: s.f32([0, 10, 0, 10], [2, 2]) });
      return { seen, after: Array.from(v.dataSync()) };
    },
    check: (r: { seen: ClipStat[][]; after: number[] }) => {
      expect(r.seen).toHaveLength(1);
      expect(r.seen[0]![0]).toMatchObject({ units: 2, clippedUnits: 1, nonFinite: false, nonFiniteParam: true });
      expect(Number.isNaN(r.after[0]!)).toBe(true);
      // Column 0 (NaN weight norm): gradient 0 applied as it is. Column 1: norm √200 clipped to 0.1·1.
      expectClose(r.after, [NaN32, -0.1 / Math.SQRT2, 0, 1 - 0.1 / Math.SQRT2]);
    },
  },
  {
    title: 'withAGC: exclude given as one string is refused when wrapping',
    run: (s) => agcSgd(s, { exclude: 'classifier' as never }),
    error: { code: 'BAD_OPTION', mentions: ["for one name pass ['classifier']"] },
  },
  {
    title: 'withAGC: an unknown onNonFinite is refused when wrapping',
    run: (s) => agcSgd(s, { onNonFinite: 'stop' as never }),
    error: { code: 'BAD_OPTION', mentions: ["onNonFinite must be 'pass' or 'throw', received 'stop'"] },
  },
  {
    title: "withAGC: fromConfig with an inner class named 'toString'",
    run: () => AgcOptimizer.fromConfig(AgcOptimizer, { clipping: 0.01, eps: 1e-3, optimizer: { className: 'toString', config: {} } }),
    error: { code: 'UNKNOWN_OPTIMIZER', mentions: ["class 'toString' is not registered"] },
  },
  {
    title: "withAGC: onNonFinite: 'throw' survives getConfig / fromConfig",
    run: (s) => {
      const back = AgcOptimizer.fromConfig(AgcOptimizer, JSON.parse(JSON.stringify(agcSgd(s, { onNonFinite: 'throw' }).getConfig()))) as AgcOptimizer;
      s.defer(() => back.dispose());
      return back.getConfig();
    },
    check: (r: Record<string, unknown>) => expect(r.onNonFinite).toBe('throw'),
  },
];

const ALL_CASES: Case[] = [...mapCases(), ...tensorCases, ...arrayCases, ...optimizerCases];

/** The error's code, and a one-line message holding every expected substring. */
function expectAgcError(error: unknown, expected: { code: AgcErrorCode; mentions: string[] }): void {
  if (!isNfError(error)) throw new Error(`expected an @nf error with code ${expected.code}, got ${String(error)}`, { cause: error });
  expect(error.code).toBe(expected.code);
  expect(error.message).not.toMatch(/[\n\r\u2028\u2029\u0000]/);
  for (const m of expected.mentions) expect(error.message).toContain(m);
}

describe.each(BACKENDS)('hostile inputs on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(ALL_CASES.map((c) => [c.title, c] as const))('%s', async (_, c) => {
    const before = tf.memory().numTensors;
    const s = new Scope();
    let result: unknown;
    let error: unknown;
    let threw = false;
    try {
      result = await c.run(s);
    } catch (e) {
      threw = true;
      error = e;
    }
    try {
      if (c.error) {
        expect(threw, 'expected an error').toBe(true);
        expectAgcError(error, c.error);
      } else {
        if (threw) throw error;
        await c.check!(result as never, s);
      }
    } finally {
      // Clean-up steps may assert (e.g. "the variable was left as it was").
      s.release();
      const r = result as Partial<ClipGradientsResult> | undefined;
      if (r && typeof r === 'object' && 'grads' in r) tf.dispose(r.grads);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
