import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { setSimdFlavour } from '@nf/wasm-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, createModel } from '@nf/models';
import { HostMomentum, updatesOnHost } from './host-momentum.js';
import { createOptimizer, NonFiniteError, trainableVariables, trainStep, type StepOptimizer } from './train-step.js';
import { withSeed } from '../data/seeded-random.js';

// Dropout and stochastic depth on: both runs draw the same masks under the same step seed.
const TINY = configOf('nfnet_tiny_mnist', { depths: [1, 1, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64, dropRate: 0.2, dropPathRate: 0.1 });
// λ = 0.01 at this batch clips a share of the units, so AGC's arithmetic is exercised; decay on.
const options = { clipping: 0.01, weightDecay: 5e-3, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'stop' as const };

function twins(): [tf.LayersModel, tf.LayersModel] {
  const a = withSeed(3, () => createModel(TINY));
  const b = withSeed(3, () => createModel(TINY));
  b.setWeights(a.getWeights());
  return [a, b];
}

function maxRelDiff(a: tf.LayersModel, b: tf.LayersModel): number {
  const wa = a.getWeights();
  const wb = b.getWeights();
  let worst = 0;
  wa.forEach((w, i) => {
    const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(w, wb[i]!))).dataSync()[0]!, tf.max(tf.abs(w)).dataSync()[0]!]);
    worst = Math.max(worst, diff / Math.max(scale, 1e-3));
  });
  return worst;
}

describe('host update (cpu)', () => {
  const x = () => tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 11) as tf.Tensor4D;
  const y = () => tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('is chosen on cpu and wasm only', () => {
    expect(['cpu', 'wasm', 'webgpu', 'tensorflow', 'webgl'].map(updatesOnHost)).toEqual([true, true, false, false, false]);
    const [a] = twins();
    expect(createOptimizer(trainableVariables(a), 0.1, 0.9, true, 'wasm')).toBeInstanceOf(HostMomentum);
    expect(createOptimizer(trainableVariables(a), 0.1, 0.9, true, 'webgpu')).toBeInstanceOf(tf.MomentumOptimizer);
    a.dispose();
  });

  // Both builds of our SIMD kernels, the host update's and (on wasm) the backend's: relaxed (fused
  // multiply-adds; the backend's default here, as in nf-train) and plain (the host update's default).
  for (const [backend, nesterov, flavour] of [['cpu', true, 'relaxed'], ['cpu', false, 'relaxed'], ['wasm', true, 'relaxed'], ['cpu', false, 'simd'], ['wasm', true, 'simd']] as const) {
    it(`equals tf.train.momentum (nesterov ${nesterov}) after AGC and weight decay, step by step, on ${backend}, ${flavour} kernels; no tensor leak`, async () => {
      await tf.setBackend(backend);
      setSimdFlavour(flavour);
      const [a, b] = twins();
      const oa = tf.train.momentum(0.1, 0.9, nesterov);
      const ob = new HostMomentum(trainableVariables(b), 0.9, nesterov, flavour);
      expect(ob.simdFlavour).toBe(flavour);
      const [xs, ys] = [x(), y()];
      let live = 0;
      for (let s = 0; s < 4; s++) {
        const lr = 0.1 * (s + 1);
        const ra = await withSeed(50 + s, () => trainStep(a, oa, xs, ys, lr, options));
        const rb = await withSeed(50 + s, () => trainStep(b, ob, xs, ys, lr, options));
        expect(Math.abs(ra.loss - rb.loss), `step ${s} loss`).toBeLessThan(1e-5 * Math.max(1, ra.loss));
        expect(Math.abs(ra.gradNorm - rb.gradNorm), `step ${s} gradient norm`).toBeLessThan(1e-5 * ra.gradNorm);
        expect(Math.abs(ra.clipFraction - rb.clipFraction)).toBeLessThan(0.01);
        expect(rb.skipped).toBe(false);
        if (s === 0) expect(rb.clipFraction).toBeGreaterThan(0);
        expect(maxRelDiff(a, b), `step ${s} weights`).toBeLessThan(2e-5);
        if (s === 1) live = tf.memory().numTensors;
        if (s === 3) expect(tf.memory().numTensors).toBe(live);
      }
      tf.dispose([xs, ys]);
      oa.dispose();
      [a, b].forEach((m) => m.dispose());
      setSimdFlavour(undefined);
      await tf.setBackend('cpu');
    }, 60_000);
  }

  it("moves state both ways in tf.train.momentum's format and continues identically", async () => {
    const [a, b] = twins();
    const [xs, ys] = [x(), y()];
    const oa = tf.train.momentum(0.1, 0.9, true);
    for (let s = 0; s < 2; s++) await withSeed(s, () => trainStep(a, oa, xs, ys, 0.1, options));
    b.setWeights(a.getWeights());
    const ob = new HostMomentum(trainableVariables(b), 0.9, true);
    const tfState = await oa.getWeights();
    await ob.setWeights(tfState);
    const hostState = await ob.getWeights();
    expect(hostState.map((w) => w.name)).toEqual(['iter', ...trainableVariables(b).map((v) => `${v.name}/momentum`)]);
    expect(hostState.length).toBe(tfState.length);
    hostState.forEach((w, i) => expect(w.tensor.dataSync()).toEqual(tfState[i]!.tensor.dataSync()));
    expect(hostState[0]!.tensor.dataSync()[0]).toBe(2);
    // Host → tfjs: a fresh tfjs optimizer continues from the host's state.
    const oc = tf.train.momentum(0.1, 0.9, true);
    await oc.setWeights(hostState);
    const c = withSeed(3, () => createModel(TINY));
    c.setWeights(a.getWeights());
    const ra = await withSeed(9, () => trainStep(a, oa, xs, ys, 0.05, options));
    const rb = await withSeed(9, () => trainStep(b, ob, xs, ys, 0.05, options));
    const rc = await withSeed(9, () => trainStep(c, oc, xs, ys, 0.05, options));
    expect(rb.loss).toBeCloseTo(ra.loss, 5);
    expect(rc.loss).toBeCloseTo(ra.loss, 5);
    expect(maxRelDiff(a, b)).toBeLessThan(2e-5);
    expect(maxRelDiff(a, c)).toBeLessThan(2e-5);
    tf.dispose([xs, ys, ...hostState.map((w) => w.tensor), tfState[0]!.tensor]);
    [oa, oc].forEach((o) => o.dispose());
    [a, b, c].forEach((m) => m.dispose());
  }, 60_000);

  it('a NaN gradient stops with the parameter names, or is skipped leaving weights and state untouched', async () => {
    const [a] = twins();
    const vars = trainableVariables(a);
    const opt: StepOptimizer = new HostMomentum(vars, 0.9, true);
    const bad = tf.fill([8, 28, 28, 1], Number.NaN) as tf.Tensor4D;
    const ys = y();
    await expect(trainStep(a, opt, bad, ys, 0.1, options)).rejects.toThrow(NonFiniteError);
    const before = a.getWeights().map((w) => w.dataSync().slice());
    const r = await trainStep(a, opt, bad, ys, 0.1, { ...options, onNan: 'skip' });
    expect(r.skipped).toBe(true);
    a.getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(before[i]));
    const state = await (opt as HostMomentum).getWeights();
    expect(state[0]!.tensor.dataSync()[0]).toBe(0);
    tf.dispose(state.map((s) => s.tensor));

    const host = new HostMomentum(vars, 0.9, true);
    const grads = new Float32Array(host.total);
    grads[host.offsets[2]!] = Number.POSITIVE_INFINITY;
    expect(host.scan(grads).nonFiniteParams).toEqual([vars[2]!.name]);
    tf.dispose([bad, ys]);
    a.dispose();
  }, 60_000);

  it('rejects state or buffers that do not fit the model, naming the mismatch', async () => {
    const [a] = twins();
    const vars = trainableVariables(a);
    const host = new HostMomentum(vars, 0.9, true);
    const iter = { name: 'iter', tensor: tf.scalar(3, 'int32') };
    const wrong = { name: 'x/momentum', tensor: tf.zeros([2, 2]) };
    await expect(host.setWeights([wrong])).rejects.toThrow(/must start with 'iter'/);
    await expect(host.setWeights([iter, wrong])).rejects.toThrow(/holds 1 momentum tensors but the model has \d+ variables/);
    const many = vars.map((v) => ({ name: `${v.name}/momentum`, tensor: tf.zeros(v.shape) }));
    many[1] = { name: many[1]!.name, tensor: tf.zeros([7]) };
    await expect(host.setWeights([iter, ...many])).rejects.toThrow(/has shape \[7\] but variable/);
    expect(() => host.apply(vars, new Float32Array(3), new Float32Array(host.total), 0.1, options)).toThrow(/gradient buffer holds 3 values/);
    expect(() => new HostMomentum(vars, 1, true)).toThrow(/momentum must be in \[0, 1\)/);
    tf.dispose([iter.tensor, wrong.tensor, ...many.map((m) => m.tensor)]);
    a.dispose();
  });
});
