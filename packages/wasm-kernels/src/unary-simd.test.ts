import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import { registerWasmTrainingKernels } from './index.js';
import { erf64 } from './test-support/erf64.js';

/** Distance in float32 units in the last place between a float32 result and an exact value. */
function ulps(got: number, exact: number): number {
  if (Number.isNaN(exact)) return Number.isNaN(got) ? 0 : Infinity;
  if (!Number.isFinite(exact) || exact === 0) return Object.is(got, exact) || got === exact ? 0 : Math.abs(got - exact) / 1.4e-45;
  const spacing = Math.max(2 ** (Math.floor(Math.log2(Math.abs(exact))) - 23), 2 ** -149);
  return Math.abs(got - exact) / spacing;
}

function grid(from: number, to: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.fround(from + ((to - from) * i) / (count - 1)));
}

describe('Exp and Erf on wasm: our SIMD kernels', () => {
  useWasmBackend();

  it('are registered on import, wrapping upstream, once', () => {
    for (const name of ['Exp', 'Erf']) expect((tf.getKernel(name, 'wasm') as { nfReplaced?: boolean }).nfReplaced).toBe(true);
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  it('exp is within 2 ulp of Math.exp from −104 to 88.7, subnormal results within 1 of the smallest step', () => {
    const xs = [...grid(-87, 88.7, 40001), ...grid(-2, 2, 10001), ...grid(-104, -87, 1001), 0, -0, 1e-30, -1e-30, 88.72283935546875, -87.33654];
    const got = tf.tidy(() => tf.exp(tf.tensor1d(xs)).dataSync());
    let worst = 0;
    xs.forEach((x, i) => {
      const exact = Math.exp(x);
      const u = !Number.isFinite(Math.fround(exact)) ? (got[i] === Infinity ? 0 : Infinity) : exact < 1.17549435e-38 ? Math.abs(got[i]! - exact) / 1.4e-45 : ulps(got[i]!, exact);
      worst = Math.max(worst, u);
    });
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('exp: overflow to Infinity, underflow to 0, NaN and ±Infinity as Math.exp, on every lane and tail position', () => {
    for (const len of [1, 2, 3, 4, 5, 6, 7, 9]) {
      const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 89, 1000, -105, -1000, 0, 1];
      const xs = Array.from({ length: len }, (_, i) => special[(i * 4 + len) % special.length]!);
      const got = Array.from(tf.tidy(() => tf.exp(tf.tensor1d(xs)).dataSync()));
      expect(got).toEqual(xs.map((x) => Math.fround(Math.exp(x))));
    }
  });

  it('erf is within 6 ulp of a float64 erf over [−5, 5] and tiny arguments, never beyond ±1; odd; NaN stays NaN', () => {
    const xs = [...grid(-5, 5, 40001), ...grid(-0.01, 0.01, 2001), 1e-20, -1e-20, 1e-38, 0, -0, 3.999, 4, 4.001, 10, -10];
    const got = tf.tidy(() => tf.erf(tf.tensor1d(xs)).dataSync());
    const mirrored = tf.tidy(() => tf.erf(tf.tensor1d(xs.map((x) => -x))).dataSync());
    expect(xs.findIndex((_, i) => got[i] !== -mirrored[i]!)).toBe(-1);
    let worst = 0;
    xs.forEach((x, i) => {
      const u = ulps(got[i]!, Math.fround(erf64(x)));
      worst = Math.max(worst, u);
    });
    expect(worst).toBeLessThanOrEqual(6);
    expect(Math.max(...Array.from(got, Math.abs))).toBe(1);
    const special = tf.tidy(() => tf.erf(tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e30, -1e30])).dataSync());
    expect(Array.from(special)).toEqual([Number.NaN, 1, -1, 1, -1]);
  });

  it('agree with float64 references to 1e-6 on random shapes (tails), and through the gradient of erf', () => {
    for (const shape of [[1], [3], [4], [7, 5], [2, 3, 3, 5], [1031]]) {
      const x = tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', shape.length * 7 + shape[0]!), 3));
      const values = x.dataSync();
      const onWasm = tf.tidy(() => [tf.exp(x).dataSync(), tf.erf(x).dataSync(), tf.grad((t: tf.Tensor) => tf.sum(tf.erf(t)))(x).dataSync()]);
      tf.dispose(x);
      const exact = [(v: number) => Math.exp(v), erf64, (v: number) => (2 / Math.sqrt(Math.PI)) * Math.exp(-v * v)];
      exact.forEach((f, k) => {
        values.forEach((v, i) => expect(Math.abs(onWasm[k]![i]! - f(v))).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(f(v)))));
      });
    }
  });

  it('leave int32 and empty tensors to upstream, without leaks', () => {
    const before = tf.memory().numTensors;
    expect(Array.from(tf.tidy(() => tf.exp(tf.tensor1d([0, 1], 'int32')).dataSync()))).toEqual([1, Math.fround(Math.E)]);
    expect(tf.tidy(() => tf.erf(tf.tensor1d([])).shape)).toEqual([0]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
