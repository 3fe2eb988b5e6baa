import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '@nf/models/node';
import { resolveConfig } from '../config/train-config.js';
import { train } from '../train.js';
import { exportModel } from './export-model.js';

// A few real training steps, so that the kernels are far from standardized and folding matters.
const small = { dataset: 'synthetic', batchSize: 16, evalLimit: 32, maxSteps: 3, modelOverrides: { channels: [16, 16, 32, 32], stemChannels: 16, groupSize: 8, numFeatures: 32 } };
let dir = '';

beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'nf-export-'));
  await train(resolveConfig('synthetic', [{ ...small, out: dir }, 'test']), { log: () => undefined });
  await exportModel(path.join(dir, 'model'), path.join(dir, 'folded'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['cpu', 'wasm'])('nf-train export (WS folded) on %s', (backend) => {
  it("gives the trained model's outputs, without any WSConv2D left", async () => {
    await tf.setBackend(backend);
    const trained = await loadModel(path.join(dir, 'model'));
    const folded = await loadModel(path.join(dir, 'folded'));
    expect(trained.layers.filter((l) => l.getClassName() === 'WSConv2D').length).toBeGreaterThan(0);
    expect(folded.layers.filter((l) => l.getClassName() === 'WSConv2D')).toEqual([]);
    expect(folded.countParams()).toBeLessThan(trained.countParams()); // the WS gains are folded into the kernels
    const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 7);
    const [a, b] = [trained.predict(x) as tf.Tensor, folded.predict(x) as tf.Tensor];
    const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!, tf.max(tf.abs(a)).dataSync()[0]!]);
    expect(scale).toBeGreaterThan(0);
    // Relative to the logits (small after a few steps: the head starts at N(0, 0.01)); measured ~1e-6.
    expect(diff).toBeLessThan(1e-4 * scale);
    tf.dispose([x, a, b]);
    trained.dispose();
    folded.dispose();
  }, 60_000);
});
