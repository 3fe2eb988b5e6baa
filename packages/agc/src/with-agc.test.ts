import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { closeness, mulberry32, randomNormal, refAdaptiveClip, refUnitNorms } from '../test/reference.js';
import { AgcOptimizer, clipGradients, withAGC } from './index.js';

let counter = 0;
function variable(shape: number[], seed: number, name = `wagc_${counter++}`): tf.Variable {
  const init = tf.tensor(Float32Array.from(randomNormal(shape.reduce((a, b) => a * b, 1), mulberry32(seed), 0.5)), shape);
  const v = tf.variable(init, true, name);
  init.dispose();
  return v;
}

function toyLoss(vars: tf.Variable[], x: tf.Tensor): () => tf.Scalar {
  return () =>
    tf.tidy(() => {
      const h = tf.relu(tf.matMul(x, vars[0]!));
      return tf.mean(tf.square(tf.sub(tf.matMul(h, vars[1]!), 3))) as tf.Scalar;
    });
}

function denseModel(seed: number): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed }) }),
      tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotNormal({ seed: seed + 1 }) }),
    ],
  });
  return model;
}

describe.each(BACKENDS)('withAGC on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  afterEach(() => tf.disposeVariables());

  it('minimize applies SGD to the AGC-clipped gradient (float64 reference)', () => {
    const vars = [variable([5, 4], 1), variable([4, 2], 2)];
    const x = tf.tensor(Float32Array.from(randomNormal(15, mulberry32(3))), [3, 5]);
    const f = toyLoss(vars, x);
    const { grads, value } = tf.variableGrads(f, vars);
    const before = vars.map((v) => v.dataSync().slice());
    const g = vars.map((v) => grads[v.name]!.dataSync().slice());
    tf.dispose([grads, value]);
    const opt = withAGC(tf.train.sgd(0.5), { clipping: 0.05 });
    opt.minimize(f, false, vars);
    vars.forEach((v, i) => {
      const ref = refAdaptiveClip(g[i]!, before[i]!, v.shape, [0], 0.05);
      expect(ref.clippedUnits).toBeGreaterThan(0);
      const expected = before[i]!.map((w, j) => w - 0.5 * ref.clipped[j]!);
      expect(closeness(v.dataSync(), expected, 1e-5, 1e-7)).toBeLessThan(1);
    });
    expect(opt.iterations).toBe(1);
    x.dispose();
    opt.dispose();
  });

  it('wraps momentum exactly: same result as clipping by hand, and no tensor leak per step', () => {
    const a = [variable([5, 4], 4), variable([4, 2], 5)];
    const b = [variable([5, 4], 4), variable([4, 2], 5)];
    const x = tf.tensor(Float32Array.from(randomNormal(15, mulberry32(6))), [3, 5]);
    const wrapped = withAGC(tf.train.momentum(0.1, 0.9, true), { clipping: 0.02 });
    const plain = tf.train.momentum(0.1, 0.9, true);
    let live = 0;
    for (let step = 0; step < 5; step++) {
      wrapped.minimize(toyLoss(a, x), false, a);
      tf.tidy(() => {
        const { grads } = tf.variableGrads(toyLoss(b, x), b);
        const clipped = clipGradients(grads, b, { clipping: 0.02 }).grads;
        plain.applyGradients(clipped as tf.NamedTensorMap as never);
      });
      if (step === 1) live = tf.memory().numTensors;
      if (step > 1) expect(tf.memory().numTensors).toBe(live);
    }
    a.forEach((v, i) => expect(closeness(v.dataSync(), b[i]!.dataSync(), 1e-5, 1e-7)).toBeLessThan(1));
    expect(wrapped.iterations).toBe(plain.iterations);
    x.dispose();
    wrapped.dispose();
    plain.dispose();
  });

  it('model.fit with a tiny clipping bounds every unit update by lr * clipping * max(|W|, eps)', async () => {
    const lr = 0.05;
    const clipping = 1e-3;
    const xs = tf.tensor(Float32Array.from(randomNormal(32 * 6, mulberry32(7), 3)), [32, 6]);
    const ys = tf.tensor(Float32Array.from(randomNormal(32 * 3, mulberry32(8), 10)), [32, 3]);

    const maxExcess = async (optimizer: tf.Optimizer) => {
      const model = denseModel(11);
      model.compile({ optimizer, loss: 'meanSquaredError' });
      let worst = 0;
      let snapshot: Array<ArrayLike<number>> = [];
      const kernels = () => model.layers.map((l) => l.getWeights()[0]!);
      await model.fit(xs, ys, {
        epochs: 3,
        batchSize: 8,
        shuffle: false,
        verbose: 0,
        callbacks: {
          onBatchBegin: async () => {
            snapshot = kernels().map((k) => k.dataSync().slice());
          },
          onBatchEnd: async () => {
            kernels().forEach((k, i) => {
              const now = k.dataSync();
              const delta = now.map((w, j) => w - snapshot[i]![j]!);
              const dNorm = refUnitNorms(delta, k.shape, [0]);
              const wNorm = refUnitNorms(snapshot[i]!, k.shape, [0]);
              dNorm.forEach((d, u) => {
                worst = Math.max(worst, d / (lr * clipping * Math.max(wNorm[u]!, 1e-3)));
              });
            });
          },
        },
      });
      model.dispose();
      return worst;
    };

    const clipped = await maxExcess(withAGC(tf.train.sgd(lr), { clipping }));
    expect(clipped).toBeLessThanOrEqual(1 + 1e-3);
    expect(clipped).toBeGreaterThan(0.99); // the bound is reached: clipping is active
    const unclipped = await maxExcess(tf.train.sgd(lr));
    expect(unclipped).toBeGreaterThan(10); // without AGC the same run breaks the bound
    tf.dispose([xs, ys]);
  });

  it('gradient accumulation clips the averaged gradient once', () => {
    const v = variable([4, 3], 12);
    const w = variable([4, 3], 12);
    const gs = [13, 14, 15].map((s) => tf.tensor(Float32Array.from(randomNormal(12, mulberry32(s), 0.2)), [4, 3]));
    const acc = withAGC(tf.train.sgd(1), { clipping: 0.05, accumulationSteps: 3 });
    const before = v.dataSync().slice();
    acc.applyGradients({ [v.name]: gs[0]! });
    acc.applyGradients({ [v.name]: gs[1]! });
    expect(Array.from(v.dataSync())).toEqual(Array.from(before)); // nothing applied yet
    acc.applyGradients({ [v.name]: gs[2]! });
    const mean = tf.tidy(() => tf.div(tf.addN(gs), 3));
    const ref = refAdaptiveClip(mean.dataSync(), before, [4, 3], [0], 0.05);
    expect(ref.clippedUnits).toBeGreaterThan(0);
    expect(closeness(v.dataSync(), before.map((x, i) => x - ref.clipped[i]!), 1e-5, 1e-7)).toBeLessThan(1);
    // Clipping each micro-batch instead gives a different update: the test can tell them apart.
    const single = withAGC(tf.train.sgd(1 / 3), { clipping: 0.05 });
    for (const g of gs) single.applyGradients({ [w.name]: g });
    expect(closeness(w.dataSync(), v.dataSync(), 1e-4, 1e-6)).toBeGreaterThan(1);
    tf.dispose([...gs, mean]);
    acc.dispose();
    single.dispose();
  });

  it('accumulation leaks no tensors per step, checks shapes before summing, and averages every pending sum', () => {
    const a = variable([3, 2], 30);
    const b = variable([2], 31);
    const ga = tf.fill([3, 2], 0.1);
    const gb = tf.fill([2], 0.2);
    const opt = withAGC(tf.train.sgd(1), { clipping: 1, accumulationSteps: 2 });
    const bBefore = b.dataSync().slice();
    opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    opt.applyGradients({ [a.name]: ga }); // b absent from the last call: its pending sum is still averaged
    expect(closeness(b.dataSync(), bBefore.map((v) => v - 0.1), 1e-5, 1e-7)).toBeLessThan(1);
    const live = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) opt.applyGradients({ [a.name]: ga, [b.name]: gb });
    expect(tf.memory().numTensors).toBe(live);
    const wrong = tf.ones([2, 3]);
    expect(() => opt.applyGradients({ [a.name]: wrong })).toThrow(/shape \[2, 3\] but the parameter has shape \[3, 2\]/);
    tf.dispose([ga, gb, wrong]);
    opt.dispose();
  });

  it('skips null gradients (variables without gradient), in map and array form', () => {
    const v = variable([2, 2], 40);
    const before = v.dataSync().slice();
    const g = tf.fill([2, 2], 1e-4);
    const opt = withAGC(tf.train.sgd(1));
    opt.applyGradients({ [v.name]: g, 'not/trained': null as unknown as tf.Tensor });
    opt.applyGradients([{ name: v.name, tensor: g }, { name: 'not/trained', tensor: null as unknown as tf.Tensor }]);
    expect(v.dataSync()[0]).not.toBe(before[0]);
    g.dispose();
    opt.dispose();
  });

  it('exposes the inner weights (and partial sums) through getWeights/setWeights', async () => {
    const v = variable([3, 2], 16);
    const g = tf.fill([3, 2], 0.5);
    const opt = withAGC(tf.train.momentum(0.1, 0.9), { accumulationSteps: 2 });
    opt.applyGradients({ [v.name]: g });
    opt.applyGradients({ [v.name]: g });
    opt.applyGradients({ [v.name]: g }); // one partial sum pending
    const weights = await opt.getWeights();
    const names = weights.map((w) => w.name);
    expect(names[0]).toBe('iter');
    expect(names).toContain(`${v.name}/momentum`);
    expect(names).toContain(`${v.name}/agc_accumulator`);
    expect(names).toContain('agc/accumulated_steps');
    const copy = withAGC(tf.train.momentum(0.1, 0.9), { accumulationSteps: 2 });
    await copy.setWeights(weights);
    expect(copy.iterations).toBe(1);
    const again = await copy.getWeights();
    expect(again.map((w) => w.name)).toEqual(names);
    again.forEach((w, i) => expect(Array.from(w.tensor.dataSync())).toEqual(Array.from(weights[i]!.tensor.dataSync())));
    g.dispose();
    opt.dispose();
    copy.dispose();
  });

  it('saves and loads with a model (includeOptimizer) and keeps its configuration', async () => {
    const model = denseModel(21);
    const optimizer = withAGC(tf.train.momentum(0.05, 0.9, true), { clipping: 0.02, eps: 1e-4, exclude: /^dense_\w+\/kernel$/ });
    model.compile({ optimizer, loss: 'meanSquaredError' });
    const xs = tf.ones([4, 6]);
    const ys = tf.zeros([4, 3]);
    await model.fit(xs, ys, { epochs: 1, batchSize: 4, verbose: 0 });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const restored = loaded.optimizer as AgcOptimizer;
    expect(restored).toBeInstanceOf(AgcOptimizer);
    expect(restored.getClassName()).toBe('AGCOptimizer');
    expect(restored.getConfig()).toEqual(optimizer.getConfig());
    expect(restored.inner.getClassName()).toBe('Momentum');
    // Strings with underscores survive tfjs-layers' camel-casing of saved configs.
    const names = ['stem_conv0/w', 'head_fc/kernel'];
    const byName = withAGC(tf.train.sgd(0.1), { exclude: names });
    const back = AgcOptimizer.fromConfig(AgcOptimizer, JSON.parse(JSON.stringify(byName.getConfig()))) as AgcOptimizer;
    expect(back.getConfig()).toEqual(byName.getConfig());
    model.compile({ optimizer: byName, loss: 'meanSquaredError' });
    let saved2: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved2 = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }), { includeOptimizer: true });
    const loaded2 = await tf.loadLayersModel(tf.io.fromMemory(saved2!));
    expect((loaded2.optimizer as AgcOptimizer).getConfig()).toEqual(byName.getConfig());
    loaded2.dispose();
    const [w0, w1] = [await optimizer.getWeights(), await restored.getWeights()];
    expect(w1.map((w) => w.tensor.shape)).toEqual(w0.map((w) => w.tensor.shape));
    w0.forEach((w, i) => expect(Array.from(w1[i]!.tensor.dataSync())).toEqual(Array.from(w.tensor.dataSync())));
    model.dispose();
    loaded.dispose();
    tf.dispose([xs, ys]);
  });

  it('rejects what is not an optimizer and bad accumulation steps', () => {
    expect(() => withAGC({} as tf.Optimizer)).toThrow(/needs a tfjs optimizer/);
    expect(() => withAGC(tf.train.sgd(1), { accumulationSteps: 0 })).toThrow(RangeError);
    expect(() => withAGC(tf.train.sgd(1), { clipping: -0.1 })).toThrow(RangeError);
    const g = tf.ones([2]);
    expect(() => withAGC(tf.train.sgd(1)).applyGradients({ 'no/such/variable': g })).toThrow(/names no registered variable/);
    g.dispose();
  });
});
