import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '@nf/models';
import { resolveConfig, ConfigError } from '../config/train-config.js';
import { warmupCosine } from './lr-schedule.js';
import { decays, isClassifierWeight } from './param-groups.js';
import { trainStep, namedWeights, NonFiniteError } from './train-step.js';
import { WeightEma } from './ema.js';
import { latestCheckpoint, listCheckpoints, readCheckpoint, writeCheckpoint } from '../checkpoints/checkpoint.js';

const TINY = { depths: [1, 1, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64 };
const options = { clipping: 0.01, weightDecay: 5e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'stop' as const };

describe('config', () => {
  it('presets, then file, then flags; one line naming the bad key', () => {
    const c = resolveConfig('fashion-mnist', [{ epochs: 2 }, 'file.json'], [{ lr: 0.05 }, 'flags']);
    expect([c.epochs, c.lr, c.model]).toEqual([2, 0.05, 'nfnet_base_mnist']);
    expect(() => resolveConfig('fashion-mnist', [{ epoch: 2 }, 'file.json'])).toThrow(/file.json: unknown key 'epoch'; known keys: model/);
    expect(() => resolveConfig('fashion-mnist', [{ lr: '0.1' }, 'flags'])).toThrow(/flags: 'lr' must be a number, received "0.1"/);
    expect(() => resolveConfig('fashion-mnist', [{ batchSize: 30, accumulation: 4 }, 'flags'])).toThrow(/'batchSize' 30 is not divisible by 'accumulation' 4/);
    expect(() => resolveConfig('fashion-mnist', [{ backend: 'cuda' }, 'flags'])).toThrow(ConfigError);
    expect(() => resolveConfig('nope')).toThrow(/unknown preset 'nope'/);
  });
});

describe('schedule and parameter groups', () => {
  it('warmup is linear from 0, then cosine to 0 (DeepMind WarmupCosineDecay)', () => {
    expect(warmupCosine(0, 1.6, 100, 1000)).toBe(0);
    expect(warmupCosine(50, 1.6, 100, 1000)).toBeCloseTo(0.8, 12);
    expect(warmupCosine(100, 1.6, 100, 1000)).toBeCloseTo(1.6, 12);
    expect(warmupCosine(550, 1.6, 100, 1000)).toBeCloseTo(0.8, 12);
    expect(warmupCosine(1000, 1.6, 100, 1000)).toBeCloseTo(0, 12);
  });
  it('no weight decay on gains, biases, skip gains; AGC skips only the classifier weight', () => {
    expect(decays('stages.0.0.conv1/kernel')).toBe(true);
    expect(decays('stages.0.0.attn_last/fc1_kernel')).toBe(true);
    for (const n of ['stem.conv1/gain', 'stem.conv1/bias', 'stages.0.0.residual/skip_gain', 'head.fc/bias', 'stages.0.0.attn_last/fc2_bias', 'x/gain_3']) expect(decays(n), n).toBe(false);
    expect(isClassifierWeight('head.fc/kernel')).toBe(true);
    expect(isClassifierWeight('head.fc/bias')).toBe(false);
  });
});

describe('training step (cpu)', () => {
  const dirs: string[] = [];
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('lowers the loss, keeps the live tensor count constant, and equals SGD on clipped + decayed gradients', async () => {
    const model = createModel('nfnet_tiny_mnist', TINY);
    const opt = tf.train.momentum(0.1, 0.9, true);
    const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 1);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
    const first = await trainStep(model, opt, x as tf.Tensor4D, y, 0.1, options);
    const live = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 4; i++) last = await trainStep(model, opt, x as tf.Tensor4D, y, 0.1, options);
    expect(tf.memory().numTensors).toBe(live);
    expect(last.loss).toBeLessThan(first.loss);
    expect(first.clipFraction).toBeGreaterThan(0);
    expect(first.skipped).toBe(false);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }, 60_000);

  it('accumulation over micro-batches gives the same update as the full batch', async () => {
    // Dropout off: its random masks would differ between the two runs.
    const a = createModel('nfnet_tiny_mnist', { ...TINY, dropRate: 0 });
    const b = createModel('nfnet_tiny_mnist', { ...TINY, dropRate: 0 });
    b.setWeights(a.getWeights());
    const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 2);
    const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
    const oa = tf.train.momentum(0.1, 0.9, true);
    const ob = tf.train.momentum(0.1, 0.9, true);
    const ra = await trainStep(a, oa, x as tf.Tensor4D, y, 0.1, options);
    const rb = await trainStep(b, ob, x as tf.Tensor4D, y, 0.1, { ...options, accumulation: 4 });
    expect(Math.abs(ra.loss - rb.loss)).toBeLessThan(1e-5);
    const wa = a.getWeights();
    const wb = b.getWeights();
    wa.forEach((w, i) => {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(w, wb[i]!))).dataSync()[0]!);
      expect(diff).toBeLessThan(1e-5);
    });
    tf.dispose([x, y]);
    [oa, ob].forEach((o) => o.dispose());
    [a, b].forEach((m) => m.dispose());
  }, 60_000);

  it('a NaN gradient stops the step naming the parameters, or is skipped with onNan: skip', async () => {
    const model = createModel('nfnet_tiny_mnist', TINY);
    const opt = tf.train.momentum(0.1, 0.9, true);
    const x = tf.fill([2, 28, 28, 1], Number.NaN) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1], 'int32');
    const live = tf.memory().numTensors;
    await expect(trainStep(model, opt, x, y, 0.1, options)).rejects.toThrow(NonFiniteError);
    expect(tf.memory().numTensors).toBe(live);
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const r = await trainStep(model, opt, x, y, 0.1, { ...options, onNan: 'skip' });
    expect(tf.memory().numTensors).toBe(live);
    expect(r.skipped).toBe(true);
    expect(r.nonFiniteParams.length).toBeGreaterThan(0);
    model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i]!)));
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  }, 60_000);

  it('checkpoints round-trip weights, optimizer and EMA exactly; keeps the last K; ignores an interrupted write', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nf-ckpt-'));
    dirs.push(dir);
    const model = createModel('nfnet_tiny_mnist', TINY);
    const opt = tf.train.momentum(0.1, 0.9, true);
    const vars = namedWeights(model);
    const ema = new WeightEma(vars, 0.99);
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 3);
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    for (let s = 1; s <= 4; s++) {
      await trainStep(model, opt, x as tf.Tensor4D, y, 0.1, options);
      ema.update(s);
      await writeCheckpoint(dir, { weights: vars, optimizer: opt, ema: ema.shadows }, { step: s, epoch: 0, index: s * 4, seed: 0, config: {} }, 2);
    }
    expect(await listCheckpoints(dir)).toEqual(['step-00000003', 'step-00000004']);
    // An interrupted write leaves a temp folder that is never taken for a checkpoint.
    await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, '.tmp-step-00000005-1')));
    expect(await latestCheckpoint(dir)).toBe(path.join(dir, 'step-00000004'));
    const saved = vars.map((v) => v.variable.dataSync().slice());
    const savedEma = [...ema.shadows.values()].map((v) => v.dataSync().slice());
    await trainStep(model, opt, x as tf.Tensor4D, y, 0.1, options); // move away
    const state = await readCheckpoint((await latestCheckpoint(dir))!, { weights: vars, optimizer: opt, ema: ema.shadows });
    expect(state.step).toBe(4);
    vars.forEach((v, i) => expect(Array.from(v.variable.dataSync())).toEqual(Array.from(saved[i]!)));
    [...ema.shadows.values()].forEach((v, i) => expect(Array.from(v.dataSync())).toEqual(Array.from(savedEma[i]!)));
    expect(readdirSync(path.join(dir, 'step-00000004')).sort()).toEqual(['ema.safetensors', 'model.safetensors', 'optimizer.safetensors', 'state.json']);
    tf.dispose([x, y]);
    ema.dispose();
    opt.dispose();
    model.dispose();
  }, 60_000);
});
