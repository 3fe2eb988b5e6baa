import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { configOf, createModel } from '@nf/models';
import { DataParallel, partsOf } from './data-parallel.js';
import { flatOffsets } from './flat-layout.js';
import { HostMomentum } from './host-momentum.js';
import { splitBatch, trainableVariables, trainStep } from './train-step.js';
import { withSeed } from '../data/seeded-random.js';

// Dropout and stochastic depth on: each micro-batch draws its masks from its own seed, so the
// split over threads must not change the result.
const TINY = configOf('nfnet_tiny_mnist', { depths: [1, 1, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64, dropRate: 0.2, dropPathRate: 0.1 });
const options = { clipping: 0.01, weightDecay: 5e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'stop' as const };

describe('batch split', () => {
  it('splits into near-equal contiguous parts and deals them round-robin', () => {
    expect(splitBatch(10, 3)).toEqual([
      { index: 0, start: 0, size: 4 },
      { index: 1, start: 4, size: 3 },
      { index: 2, start: 7, size: 3 },
    ]);
    expect(() => splitBatch(2, 3)).toThrow(/cannot split a batch of 2 into 3 parts/);
    expect(partsOf(splitBatch(8, 4), 1, 2).map((p) => p.index)).toEqual([1, 3]);
    expect(flatOffsets([[2, 3], [4], [1, 1, 5]])).toEqual({ offsets: [0, 6, 10], total: 15 });
  });
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`data parallel on ${backend}`, () => {
    const open: DataParallel[] = [];
    afterAll(async () => {
      await Promise.all(open.map((p) => p.close()));
    });

    it.each(['tfjs', 'host'] as const)('2 threads (%s update) give the same losses and weights as 1 thread (tfjs update) accumulating the same 2 parts; no tensor leak', async (update) => {
      await tf.setBackend(backend);
      const a = withSeed(1, () => createModel(TINY));
      const b = withSeed(1, () => createModel(TINY));
      b.setWeights(a.getWeights());
      const oa = tf.train.momentum(0.1, 0.9, true);
      const ob = update === 'host' ? new HostMomentum(trainableVariables(b), 0.9, true) : tf.train.momentum(0.1, 0.9, true);
      const parallel = await DataParallel.start(b, TINY, backend, 2);
      open.push(parallel);
      const x = tf.randomNormal([6, 28, 28, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');
      let live = 0;
      for (let s = 0; s < 3; s++) {
        const ra = await withSeed(100 + s, () => trainStep(a, oa, x, y, 0.1, { ...options, accumulation: 2 }));
        const rb = await withSeed(100 + s, () => parallel.step(b, ob, x, y, 0.1, options));
        expect(Math.abs(ra.loss - rb.loss), `step ${s} loss`).toBeLessThan(1e-5 * Math.max(1, ra.loss));
        expect(rb.accuracy).toBe(ra.accuracy);
        expect(Math.abs(ra.gradNorm - rb.gradNorm)).toBeLessThan(1e-4 * ra.gradNorm);
        if (s === 1) live = tf.memory().numTensors;
        if (s === 2) expect(tf.memory().numTensors).toBe(live);
      }
      const wa = a.getWeights();
      const wb = b.getWeights();
      wa.forEach((w, i) => {
        const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(w, wb[i]!))).dataSync()[0]!, tf.max(tf.abs(w)).dataSync()[0]!]);
        expect(diff, a.weights[i]!.originalName).toBeLessThan(1e-4 * Math.max(scale, 1e-3));
      });
      tf.dispose([x, y]);
      [oa, ob].forEach((o) => o.dispose());
      [a, b].forEach((m) => m.dispose());
    }, 120_000);
  });
}

describe('data parallel errors', () => {
  it('rejects a bad thread count', async () => {
    await tf.setBackend('cpu');
    const m = createModel(TINY);
    await expect(DataParallel.start(m, TINY, 'cpu', 0)).rejects.toThrow(/workers must be a positive integer/);
    m.dispose();
  });
});
