import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createModel } from '@nf/models';
import { loadDatasets } from '../data/dataset.js';
import { evaluate, evaluateAsync } from './evaluate.js';
import { withSeed } from '../data/seeded-random.js';

const TINY = { depths: [1, 1, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64 };

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`evaluation on ${backend}`, () => {
    it('evaluateAsync gives what evaluate gives (partial last batch, limit); no tensor leak', async () => {
      await tf.setBackend(backend);
      const { test } = await loadDatasets('synthetic', undefined, 0);
      const model = withSeed(0, () => createModel('nfnet_tiny_mnist', { ...TINY, numClasses: test.numClasses, inChannels: test.shape[2] }));
      try {
        const live = tf.memory().numTensors;
        const sync = evaluate(model, test, 24, 50);
        const pending = evaluateAsync(model, test, 24, 50);
        expect(pending).toBeInstanceOf(Promise);
        const got = await pending;
        expect(tf.memory().numTensors).toBe(live);
        expect(got).toEqual(sync);
        expect(got.confusion.flat().reduce((a, b) => a + b, 0)).toBe(50);
        expect(got.accuracy).toBe(got.confusion.reduce((s, row, i) => s + row[i]!, 0) / 50);
        expect(got.top5).toBeGreaterThanOrEqual(got.accuracy);
        expect(Number.isFinite(got.loss)).toBe(true);
      } finally {
        model.dispose();
      }
    }, 60_000);
  });
}
