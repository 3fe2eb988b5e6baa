import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { configOf, countParams, createModel, listModels, loadModel, saveModel, ModelsError, NfResidual, stagePlan, type ModelName } from './node.js';

/** Every family, shrunk so building and a forward pass take milliseconds. */
const TINY = { depths: [1, 1, 1, 1], numClasses: 5 };
function tinyOverrides(name: ModelName) {
  if (name.startsWith('nf_regnet')) return { ...TINY, channels: [16, 24, 32, 40] };
  if (name.startsWith('nf_resnet') || name.startsWith('resnet')) return { ...TINY, channels: [32, 64, 96, 128], stemChannels: 16, normGroups: 4 };
  if (name === 'nfnet_tiny_mnist' || name === 'nfnet_small_mnist') return {};
  return { ...TINY, channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64 };
}

describe.each(BACKENDS)('createModel on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(listModels())('%s (shrunk): built params = countParams, forward leaks nothing, output shape', (name) => {
    const overrides = tinyOverrides(name);
    const model = createModel(name, overrides);
    const config = configOf(name, overrides);
    expect(model.countParams()).toBe(countParams(config));
    const x = tf.randomNormal([2, 32, 32, config.inChannels], 0, 1, 'float32', 1);
    const before = tf.memory().numTensors;
    const y = model.predict(x) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(y.shape).toEqual([2, config.numClasses]);
    expect(Array.from(y.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('createModel details (cpu)', () => {
  const dirs: string[] = [];
  beforeAll(() => useBackend('cpu'));
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('builds NFNet-F0 for real: 71,489,284 parameters, layer names as timm', () => {
    const model = createModel('dm_nfnet_f0');
    expect(model.countParams()).toBe(71_489_284);
    const names = model.layers.map((l) => l.name);
    expect(names).toContain('stem.conv1');
    expect(names).toContain('stages.2.5.conv2b');
    expect(names).toContain('stages.3.0.downsample.conv');
    expect(names).toContain('stages.3.2.attn_last');
    expect(names).toContain('head.fc');
    model.dispose();
  }, 60_000);

  it('a tiny NFNet for 28×28 grayscale from the table trains a step without leaking, and stochastic depth only acts in training', () => {
    const model = createModel('nfnet_tiny_mnist', { dropPathRate: 0.5 });
    const residuals = model.layers.filter((l) => l instanceof NfResidual) as NfResidual[];
    expect(residuals.map((r) => r.dropRate)).toEqual([0, 0.125, 0.25, 0.375]); // DM: rate · i / n
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 2);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);
    const opt = tf.train.sgd(0.01);
    const step = () => opt.minimize(() => tf.losses.softmaxCrossEntropy(labels, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
    step();
    const live = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) step();
    expect(tf.memory().numTensors).toBe(live);
    const a = model.predict(x) as tf.Tensor;
    const b = model.predict(x) as tf.Tensor;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync())); // inference is deterministic
    tf.dispose([x, labels, a, b]);
    opt.dispose();
    model.dispose();
  });

  it('at init every block but the transitions is the identity (SkipInit), so the SPP starts flat', () => {
    const plan = stagePlan(configOf('dm_nfnet_f0', { depths: [1, 2, 1, 1] }));
    expect(plan.blocks.map((b) => b.downsample)).toEqual([true, true, false, true, true]);
    const model = createModel('dm_nfnet_f0', { depths: [1, 2, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64, numClasses: 3 });
    const skip = model.getLayer('stages.1.1.residual').getWeights();
    expect(skip.length).toBe(1);
    expect(skip[0]!.dataSync()[0]).toBe(0); // getWeights returns the live variables: not disposed here
    model.dispose();
  });

  it('saves to a directory and loads back bit-identical (atomic write, no temp left behind)', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'nf-models-'));
    dirs.push(root);
    const dir = path.join(root, 'model');
    const model = createModel('nf_regnet_b0', tinyOverrides('nf_regnet_b0'));
    for (const w of model.weights) {
      const t = tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', 3);
      w.write(t);
      t.dispose();
    }
    await saveModel(model, dir);
    await saveModel(model, dir); // replacing an existing save
    expect(readdirSync(root)).toEqual(['model']);
    expect(readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const loaded = await loadModel(dir);
    const x = tf.randomNormal([1, 32, 32, 3], 0, 1, 'float32', 4);
    const [y1, y2] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    const w1 = model.getWeights();
    const w2 = loaded.getWeights();
    w1.forEach((w, i) => expect(Buffer.from(w2[i]!.dataSync().buffer).equals(Buffer.from(w.dataSync().buffer))).toBe(true));
    tf.dispose([x, y1, y2]);
    model.dispose();
    loaded.dispose();
    await expect(loadModel(path.join(root, 'nope'))).rejects.toThrow(/Cannot read a model from .*nope.*model\.json/);
  });

  it('baselines share the NF-ResNet topology; only normalization differs', () => {
    const bn = createModel('resnet26_v2_bn');
    const gn = createModel('resnet26_v2_gnws');
    const nf = createModel('nf_resnet26');
    const convNames = (m: tf.LayersModel) => m.layers.filter((l) => /Conv2D$/.test(l.getClassName())).map((l) => l.name);
    expect(convNames(bn)).toEqual(convNames(nf));
    expect(convNames(gn)).toEqual(convNames(nf));
    expect(bn.layers.filter((l) => l.getClassName() === 'BatchNormalization').length).toBe(8 * 3 + 1);
    expect(gn.layers.filter((l) => l.getClassName() === 'GroupNormalization').length).toBe(8 * 3 + 1);
    expect(bn.countParams()).toBe(countParams('resnet26_v2_bn'));
    expect(gn.countParams()).toBe(countParams('resnet26_v2_gnws'));
    [bn, gn, nf].forEach((m) => m.dispose());
  }, 60_000);

  it('ablation knobs: activationGamma replaces the activation gamma, weightStandardization false builds plain convs', () => {
    const base = { channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64, numClasses: 3 };
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 7);
    const scales = (m: tf.LayersModel) => m.layers.filter((l) => l.getClassName() === 'NfScaledActivation').map((l) => (l as unknown as { scale: number }).scale);
    const nf = createModel('nfnet_tiny_mnist', base);
    const g1 = createModel('nfnet_tiny_mnist', { ...base, activationGamma: 1 });
    // DeepMind's GELU gamma 1.7015043497085571 (nfnet-facts) in every activation, or 1 when overridden.
    expect(scales(nf).length).toBeGreaterThan(4);
    expect(scales(nf)).toContain(1.7015043497085571);
    const ratios = scales(g1).map((s, i) => scales(nf)[i]! / s);
    for (const r of ratios) expect(r).toBeCloseTo(1.7015043497085571, 12);
    const plain = createModel('nfnet_tiny_mnist', { ...base, weightStandardization: false });
    const classes = (m: tf.LayersModel) => m.layers.map((l) => l.getClassName());
    expect(classes(plain).filter((c) => c === 'WSConv2D')).toEqual([]);
    expect(classes(plain).filter((c) => c === 'GroupedConv2D').length).toBe(classes(nf).filter((c) => c === 'WSConv2D').length);
    expect(plain.countParams()).toBe(countParams(configOf('nfnet_tiny_mnist', { ...base, weightStandardization: false })));
    // Same topology, different numbers: the plain net's output differs from the NFNet's at init.
    const y1 = plain.predict(x) as tf.Tensor;
    expect(Array.from(y1.dataSync()).every(Number.isFinite)).toBe(true);
    expect(() => createModel('nfnet_tiny_mnist', { activationGamma: 0 })).toThrow(/activationGamma must be a finite number > 0/);
    expect(() => createModel('nfnet_tiny_mnist', { weightStandardization: 'no' } as never)).toThrow(/weightStandardization must be true, false or undefined/);
    tf.dispose([x, y1]);
    [nf, g1, plain].forEach((m) => m.dispose());
  });

  it('rejects unknown models and bad overrides with the field name', () => {
    expect(() => createModel('resnet_999' as ModelName)).toThrow(ModelsError);
    expect(() => createModel('resnet_999' as ModelName)).toThrow(/Unknown model 'resnet_999'; known: dm_nfnet_f0/);
    expect(() => createModel('nf_resnet26', { depths: [2, 2, 2] })).toThrow(/channels must have one entry per stage \(3\)/);
    expect(() => createModel('nf_resnet26', { nonsense: 1 } as never)).toThrow(/Unknown config field 'nonsense'/);
    expect(() => createModel('nf_resnet26', { dropRate: 1.5 })).toThrow(/dropRate must be in \[0, 1\), received 1.5/);
    expect(() => createModel('nf_resnet26', { stemStride: 2 })).toThrow(/stemStride must be 4 for stemType '7x7_pool', received 2/);
    expect(() => createModel('nfnet_tiny_mnist', { stemStride: 3 })).toThrow(/stemStride must be 2 or 4 for stemType 'deep_quad', received 3/);
    expect(() => createModel('nfnet_tiny_mnist', { stageStrides: [1, 2, 2] })).toThrow(/stageStrides must list 1 or 2 for each of the 4 stages, received \[1,2,2\]/);
    expect(() => createModel('nfnet_tiny_mnist', { stageStrides: [1, 2, 3, 2] })).toThrow(/stageStrides must list 1 or 2/);
  });
});
