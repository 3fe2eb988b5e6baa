import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { activationGammaRef, closeness, geluExact, geluTanh, numericGrad } from '../test/reference.js';
import { ACTIVATIONS, computeGamma, computeGammaTf, gammaOf, scaledActivation, WsConvError } from './index.js';

/** Exact 1/std(f(z)) from the facts file's quadrature column (nfnet-facts.md section 3). */
const EXACT: Record<string, number> = {
  identity: 1,
  elu: 1.2708434,
  celu: 1.2708434,
  gelu: 1.7009262,
  gelu_tanh: 1.7009166,
  leaky_relu: 1.7048316,
  log_sigmoid: 1.919126,
  relu: 1.7128586,
  relu6: 1.7128586,
  selu: 1.0,
  sigmoid: 4.8013134,
  silu: 1.7871872,
  soft_sign: 2.3375334,
  softplus: 1.919126,
  tanh: 1.5925374,
};

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const SELU_A = 1.6732632423543772;
const SELU_S = 1.0507009873554805;
const SCALAR: Record<string, (x: number) => number> = {
  identity: (x) => x,
  elu: (x) => (x > 0 ? x : Math.expm1(x)),
  celu: (x) => (x > 0 ? x : Math.expm1(x)),
  gelu: geluExact,
  gelu_tanh: geluTanh,
  leaky_relu: (x) => (x > 0 ? x : 0.01 * x),
  log_sigmoid: (x) => -Math.log1p(Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  selu: (x) => SELU_S * (x > 0 ? x : SELU_A * Math.expm1(x)),
  sigmoid,
  silu: (x) => x * sigmoid(x),
  soft_sign: (x) => x / (1 + Math.abs(x)),
  softplus: (x) => Math.log1p(Math.exp(x)),
  tanh: Math.tanh,
};

describe('activation gammas', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('gammaOf returns DeepMind\'s literals (timm has the same numbers)', () => {
    expect(gammaOf('relu')).toBe(1.7139588594436646);
    expect(gammaOf('gelu')).toBe(1.7015043497085571);
    expect(gammaOf('silu')).toBe(1.7881293296813965);
    expect(gammaOf('swish')).toBe(gammaOf('silu'));
    expect(gammaOf('softsign')).toBe(gammaOf('soft_sign'));
    expect(gammaOf('leaky-relu')).toBe(1.70590341091156);
    expect(gammaOf('identity')).toBe(1);
    // DeepMind's constants are empirical, 0.05–0.09 % above the exact integral.
    for (const name of Object.keys(EXACT)) {
      const rel = gammaOf(name) / EXACT[name]! - 1;
      expect(rel, name).toBeGreaterThanOrEqual(-1e-6);
      expect(rel, name).toBeLessThan(1.2e-3);
    }
  });

  it.each(Object.keys(EXACT))('computeGamma(%s) is within 1e-4 of the exact table and of an independent integration', (name) => {
    const g = computeGamma(SCALAR[name]!);
    expect(Math.abs(g - EXACT[name]!)).toBeLessThan(1e-4);
    expect(Math.abs(g - activationGammaRef(SCALAR[name]!))).toBeLessThan(1e-7);
  });

  it.each(Object.keys(EXACT))('computeGammaTf on our tfjs %s matches the scalar integral (float32)', (name) => {
    const fn = ACTIVATIONS[name as keyof typeof ACTIVATIONS];
    expect(Math.abs(computeGammaTf(fn) - computeGamma(SCALAR[name]!))).toBeLessThan(1e-4);
  });

  it('a user activation: gamma of x·tanh(softplus(x)) (mish)', () => {
    const mish = (x: number) => x * Math.tanh(Math.log1p(Math.exp(x)));
    const g = computeGamma(mish);
    expect(Math.abs(g - activationGammaRef(mish))).toBeLessThan(1e-7);
    expect(g).toBeGreaterThan(1.5);
    expect(g).toBeLessThan(1.9);
  });

  it('scaledActivation multiplies by gamma, and the scaled output has unit variance on N(0,1)', () => {
    const z = tf.randomNormal([200000], 0, 1, 'float32', 3);
    for (const name of ['relu', 'gelu', 'silu', 'tanh']) {
      const y = scaledActivation(name)(z);
      const { mean, variance } = tf.moments(y);
      expect(Math.abs(variance.dataSync()[0]! - 1), name).toBeLessThan(0.02);
      tf.dispose([y, mean, variance]);
    }
    const x = tf.tensor1d([-1, 0.5, 2]);
    const r = scaledActivation('relu')(x);
    expect(Array.from(r.dataSync())).toEqual([0, 0.5, 2].map((v) => Math.fround(v * 1.7139588594436646)));
    tf.dispose([z, x, r]);
  });

  it('unknown names fail with the list of known ones and the way out', () => {
    expect(() => gammaOf('mish')).toThrow(WsConvError);
    expect(() => gammaOf('mish')).toThrow(/unknown activation 'mish'; known: .*relu.*computeGamma/);
    expect(() => scaledActivation('glu')).toThrow(/not an elementwise activation/);
    expect(() => computeGamma(() => 3)).toThrow(/zero variance/);
    expect(() => computeGamma((x) => Math.sqrt(x))).toThrow(/returned NaN at z = -12.000; gamma needs finite values/);
  });
});

describe.each(BACKENDS)('GELU with its analytic backward on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  const xs = Float64Array.from({ length: 401 }, (_, i) => -10 + i * 0.05);
  for (const [name, ref] of [['gelu', geluExact], ['gelu_tanh', geluTanh]] as const) {
    it(`${name}: values and d/dx match the float64 function and its central differences on [-10, 10]`, () => {
      const x = tf.tensor1d(Float32Array.from(xs));
      const y = ACTIVATIONS[name](x);
      expect(closeness(y.dataSync(), Array.from(xs, ref), 1e-5, 1e-6)).toBeLessThan(1);
      const dx = tf.grad((t: tf.Tensor) => tf.sum(ACTIVATIONS[name](t)))(x);
      const expected = Array.from(xs, (v) => numericGrad((p) => ref(p[0]!), [v], 1e-5)[0]!);
      expect(closeness(dx.dataSync(), expected, 1e-4, 1e-5)).toBeLessThan(1);
      // Through a chain (upstream gradient ≠ 1) and scaled by gamma, as the models use it.
      const w = tf.tensor1d(Float32Array.from(xs, (v) => Math.cos(v)));
      const dxs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(scaledActivation(name)(tf.mul(t, 2)), w)))(x);
      const gamma = gammaOf(name);
      const expectedScaled = Array.from(xs, (v) => 2 * gamma * Math.cos(v) * numericGrad((p) => ref(p[0]!), [2 * v], 1e-5)[0]!);
      expect(closeness(dxs.dataSync(), expectedScaled, 1e-4, 1e-5)).toBeLessThan(1);
      tf.dispose([x, y, dx, w, dxs]);
    });
  }
});
