/**
 * Head-only steps (headOnlyEpochs) and the classifier's place in AGC, on both update paths (the host
 * one of cpu/wasm, tf.train.momentum's of the GPU backends) and through the data-parallel step: a
 * head-only step changes the classifier's weight and bias and leaves every other weight and its
 * momentum bit-identical; AGC never clips the classifier's weight.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { describe, expect, it } from 'vitest';
import { createModel } from '@nf/models';
import { createOptimizer, namedWeights, trainStep, type StepOptimizer, type StepOptions } from './train-step.js';
import { isClassifier, isClassifierWeight } from './param-groups.js';
import { DataParallel } from './data-parallel.js';
import { WeightEma } from './ema.js';

const TINY = { depths: [1, 1, 1, 1], channels: [16, 16, 16, 16], stemChannels: 8, groupSize: 8, numFeatures: 16, dropRate: 0 };
const OPTIONS: StepOptions = { clipping: 0.04, weightDecay: 5e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'stop' };

/** Every weight's values by stable name. */
function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  return new Map(namedWeights(model).map((w) => [w.name, w.variable.dataSync() as Float32Array]));
}

/** The optimizer's momentum by position (its 'iter' dropped), as it checkpoints them. */
async function momenta(optimizer: StepOptimizer): Promise<Float32Array[]> {
  const state = await optimizer.getWeights();
  const out = state.slice(1).map((s) => Float32Array.from(s.tensor.dataSync()));
  tf.dispose(state.map((s) => s.tensor).filter((t) => !(t instanceof tf.Variable)));
  return out;
}

const batch = () => tf.tidy(() => [tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 3) as tf.Tensor4D, tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32')] as const);

describe.each([
  ['cpu', 'host update (HostMomentum)'],
  ['webgpu', "tf.train.momentum (the GPU backends' path, run on cpu)"],
])('head-only steps, optimizer of the %s backend: %s', (optimizerBackend) => {
  it('change head.fc only; every other weight and its momentum stay bit-identical; then everything trains', async () => {
    await tf.setBackend('cpu');
    const model = createModel('nfnet_tiny_mnist', TINY);
    const vars = namedWeights(model).map((w) => w.variable);
    const optimizer = createOptimizer(vars, 0.1, 0.9, true, optimizerBackend);
    const [x, y] = batch();
    // Two ordinary steps first, so that every weight has momentum that a careless head-only step would apply.
    await trainStep(model, optimizer, x, y, 0.1, OPTIONS);
    await trainStep(model, optimizer, x, y, 0.1, OPTIONS);
    const before = snapshot(model);
    const momentumBefore = await momenta(optimizer);
    const live = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const r = await trainStep(model, optimizer, x, y, 0.1, { ...OPTIONS, headOnly: true });
      expect(r.skipped).toBe(false);
      // AGC statistics come from the classifier's bias alone (its weight is never clipped).
      expect(r.clipFraction).toBeGreaterThanOrEqual(0);
    }
    expect(tf.memory().numTensors).toBe(live);
    const after = snapshot(model);
    const momentumAfter = await momenta(optimizer);
    const names = [...before.keys()];
    for (const [k, name] of names.entries()) {
      if (isClassifier(name)) {
        expect(after.get(name), name).not.toEqual(before.get(name));
        expect(momentumAfter[k], name).not.toEqual(momentumBefore[k]);
      } else {
        expect(after.get(name), name).toEqual(before.get(name));
        expect(momentumAfter[k], name).toEqual(momentumBefore[k]);
      }
    }
    expect(names.filter(isClassifier)).toEqual(['head.fc/kernel', 'head.fc/bias']);
    // After the head-only steps, an ordinary step moves the body again.
    await trainStep(model, optimizer, x, y, 0.1, OPTIONS);
    const body = names.find((n) => n.endsWith('conv1/kernel'))!;
    expect(snapshot(model).get(body)).not.toEqual(after.get(body));
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }, 60_000);

  it('AGC never clips the classifier weight: its update is the same with λ = 1e-6 as without AGC, while the body is clipped', async () => {
    await tf.setBackend('cpu');
    const a = createModel('nfnet_tiny_mnist', TINY);
    const b = createModel('nfnet_tiny_mnist', TINY);
    b.setWeights(a.getWeights());
    const [x, y] = batch();
    const oa = createOptimizer(namedWeights(a).map((w) => w.variable), 0.1, 0.9, true, optimizerBackend);
    const ob = createOptimizer(namedWeights(b).map((w) => w.variable), 0.1, 0.9, true, optimizerBackend);
    const clipped = await trainStep(a, oa, x, y, 0.1, { ...OPTIONS, clipping: 1e-6 });
    await trainStep(b, ob, x, y, 0.1, { ...OPTIONS, clipping: 0 });
    // (SkipInit: the residual branches have no gradient yet, so not every unit is clipped.)
    expect(clipped.clipFraction).toBeGreaterThan(0.2);
    const [wa, wb] = [snapshot(a), snapshot(b)];
    for (const name of wa.keys()) {
      if (isClassifierWeight(name)) expect(wa.get(name), name).toEqual(wb.get(name));
    }
    expect(wa.get('head.fc/bias')).not.toEqual(wb.get('head.fc/bias')); // the bias is clipped, as DeepMind does
    expect(wa.get('stem.conv1/kernel')).not.toEqual(wb.get('stem.conv1/kernel'));
    tf.dispose([x, y]);
    oa.dispose();
    ob.dispose();
    a.dispose();
    b.dispose();
  }, 60_000);
});

describe('head-only through the data-parallel step (wasm, 2 threads)', () => {
  it('freezes the body and matches the one-thread step of the same split', async () => {
    await tf.setBackend('wasm');
    const config = { ...(await import('@nf/models')).configOf('nfnet_tiny_mnist', TINY) };
    const a = createModel(config);
    const b = createModel(config);
    b.setWeights(a.getWeights());
    const before = snapshot(a);
    const [x, y] = batch();
    const oa = createOptimizer(namedWeights(a).map((w) => w.variable), 0.1, 0.9, true);
    const ob = createOptimizer(namedWeights(b).map((w) => w.variable), 0.1, 0.9, true);
    const parallel = await DataParallel.start(a, config, 'wasm', 2);
    try {
      for (let i = 0; i < 2; i++) {
        const ra = await parallel.step(a, oa, x, y, 0.1, { ...OPTIONS, headOnly: true });
        const rb = await trainStep(b, ob, x, y, 0.1, { ...OPTIONS, accumulation: 2, headOnly: true });
        expect(ra.loss).toBeCloseTo(rb.loss, 5);
        expect(ra.gradNorm).toBeCloseTo(rb.gradNorm, 4);
      }
    } finally {
      await parallel.close();
    }
    const [wa, wb] = [snapshot(a), snapshot(b)];
    for (const [name, w] of before) {
      if (isClassifier(name)) {
        expect(wa.get(name), name).not.toEqual(w);
        wa.get(name)!.forEach((v, i) => expect(v).toBeCloseTo(wb.get(name)![i]!, 5));
      } else expect(wa.get(name), name).toEqual(w);
    }
    tf.dispose([x, y]);
    oa.dispose();
    ob.dispose();
    a.dispose();
    b.dispose();
  }, 120_000);
});

describe('EMA with frozen weights', () => {
  it('keeps the average of a frozen weight exactly as it is', async () => {
    await tf.setBackend('cpu');
    const w = { name: 'stem.conv1/kernel', variable: tf.variable(tf.tensor1d([0.1, 0.2, 0.3])) };
    const h = { name: 'head.fc/kernel', variable: tf.variable(tf.tensor1d([1, 2])) };
    const ema = new WeightEma([w, h], 0.999);
    h.variable.assign(tf.tensor1d([3, 4]));
    for (let s = 1; s <= 5; s++) ema.update(s, (n) => !isClassifier(n));
    expect(ema.shadows.get('stem.conv1/kernel')!.dataSync()).toEqual(w.variable.dataSync());
    expect(ema.shadows.get('head.fc/kernel')!.dataSync()).not.toEqual(tf.tensor1d([1, 2]).dataSync());
    ema.dispose();
    tf.dispose([w.variable, h.variable]);
  });
});
