import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { mlpResNet, withNet } from '../test/models.js';
import { historyToCsv, HISTORY_CSV_COLUMNS, SignalPropError, sppCallback } from './index.js';

type ST = tf.SymbolicTensor;

/** The residual MLP with a 3-way softmax head, compiled for fit. */
function classifier() {
  const net = mlpResNet(2, 8);
  const head = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(net.model.outputs[0]!) as ST;
  const model = tf.model({ inputs: net.model.inputs, outputs: head });
  model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
  return { model };
}

describe('sppCallback (cpu)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('records activations and gradients during model.fit, every N batches and once at the start', () =>
    withNet(classifier(), async ({ model }) => {
      const xs = tf.randomNormal([32, 12], 0, 1, 'float32', 1);
      const ys = tf.tidy(() => tf.oneHot(tf.cast(tf.randomUniform([32], 0, 3, 'float32', 2), 'int32'), 3));
      const seen: number[] = [];
      const cb = sppCallback({ every: 2, analyze: { batchSize: 16, seed: 4 }, gradients: { loss: 'categoricalCrossentropy', batch: { xs, ys } }, onRecord: (r) => void seen.push(r.step) });
      await model.fit(xs, ys, { epochs: 2, batchSize: 8, callbacks: [cb], verbose: 0 });
      expect(cb.history.map((r) => [r.step, r.epoch])).toEqual([[0, null], [2, 0], [4, 0], [6, 1], [8, 1]]);
      expect(seen).toEqual([0, 2, 4, 6, 8]);
      const last = cb.history.at(-1)!;
      expect(Object.keys(last.logs)).toContain('loss');
      expect(Number.isFinite(last.logs.loss)).toBe(true);
      expect(last.activations!.sites.map((s) => s.kind)).toEqual(['stem', 'residual', 'residual']);
      expect(last.activations!.label).toBe('step 8');
      expect(last.gradients!.layers.length).toBe(4);
      // Training moved the weights: gradient statistics differ between the first and last records.
      expect(last.gradients!.loss).not.toBe(cb.history[0]!.gradients!.loss);
      const csv = historyToCsv(cb.history).trim().split('\n');
      expect(csv[0]).toBe(HISTORY_CSV_COLUMNS.join(','));
      expect(csv.length).toBe(1 + 5 * (3 + 4));
      expect(csv[1]).toMatch(/^0,,activation,0,/);
      tf.dispose([xs, ys]);
    }));

  it('works in a custom loop through step(), and records only what it is asked to', () =>
    withNet(mlpResNet(2, 8), async ({ model }) => {
      const cb = sppCallback({ every: 3, analyze: { batchSize: 8 } });
      const recorded: number[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await cb.step(model, { loss: 0.5 });
        if (r) recorded.push(r.step);
      }
      expect(recorded).toEqual([3, 6]);
      expect(cb.history.map((r) => [r.logs.loss, r.gradients])).toEqual([[0.5, null], [0.5, null]]);
      expect(() => sppCallback({ every: 0 })).toThrow(/every must be a positive integer, received 0/);
      expect(() => sppCallback({ analyze: false })).toThrow(SignalPropError);
    }));
});
