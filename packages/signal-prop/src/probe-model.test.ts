import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { nfResNet, withNet } from '../test/models.js';
import { relDiff, statsF64 } from '../test/reference.js';
import { analyzeSignalPropagation, buildLayerGraph } from './index.js';
import { runProbe } from './probe-model.js';

type ST = tf.SymbolicTensor;

/** Bytes allocated above what existed before `fn` (weights, probe), at the worst moment. */
async function peakAbove(fn: () => unknown): Promise<number> {
  const start = tf.memory().numBytes;
  const info = await tf.profile(async () => {
    const out = await fn();
    if (out instanceof tf.Tensor) out.dispose();
    return [];
  });
  return info.peakBytes - start;
}

describe('runProbe', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('reduces exactly what predict computes, and frees every intermediate', () =>
    withNet(nfResNet({ blocksPerStage: [2], widths: [8], inputShape: [8, 8, 3] }), (net) => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1);
      const g = buildLayerGraph(net.model);
      const before = tf.memory().numTensors;
      const out = runProbe(g, [x], new Set(g.outputs), { training: false, dataFormat: 'channelsLast' });
      expect(tf.memory().numTensors - before).toBe(1); // only the statistics of the one measured tensor
      const y = net.model.predict(x) as tf.Tensor;
      const ref = statsF64(y.dataSync(), y.shape);
      const [sq, v] = out.get(g.outputs[0]!)!.stats.dataSync();
      expect(out.get(g.outputs[0]!)!.shape).toEqual([2, 5]);
      expect(relDiff(sq!, ref.avgSqMean)).toBeLessThan(1e-5);
      expect(relDiff(v!, ref.avgVar)).toBeLessThan(1e-5);
      tf.dispose([x, y, out.get(g.outputs[0]!)!.stats]);
    }));

  it('copes with layers that return their input (dropout in inference) and never runs what no site needs', async () => {
    class Exploding extends tf.layers.Layer {
      static className = 'Exploding';
      override call(): tf.Tensor {
        throw new Error('the head ran');
      }
    }
    const input = tf.input({ shape: [6] });
    const a = tf.layers.dense({ units: 6 }).apply(input) as ST;
    const d = tf.layers.dropout({ rate: 0.5 }).apply(a) as ST;
    const s = tf.layers.add().apply([a, tf.layers.dense({ units: 6 }).apply(d) as ST]) as ST;
    const head = new Exploding({}).apply(s) as ST;
    const model = tf.model({ inputs: input, outputs: head });
    const report = await analyzeSignalPropagation(model, { batchSize: 4, training: false });
    expect(report.sites.map((x) => x.kind)).toEqual(['stem', 'residual']);
    await expect(analyzeSignalPropagation(model, { batchSize: 4, measure: 'all' })).rejects.toThrow(/the head ran/);
    model.dispose();
  });
});

describe('peak memory (wasm)', () => {
  beforeAll(() => useBackend('wasm'));
  expectNoLeaks();

  const net = (blocks: number) => nfResNet({ blocksPerStage: [blocks], widths: [16], inputShape: [32, 32, 3], stemStride: 1 });

  it('stays within 1.2× of a plain forward pass and does not grow with depth', async () => {
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 2);
    const peaks: Array<{ predict: number; analysis: number }> = [];
    for (const blocks of [3, 12]) {
      await withNet(net(blocks), async (n) => {
        const predict = await peakAbove(() => n.model.predict(x));
        const analysis = await peakAbove(() => analyzeSignalPropagation(n.model, { input: x, training: false }));
        peaks.push({ predict, analysis });
      });
    }
    x.dispose();
    for (const p of peaks) expect(p.analysis / p.predict).toBeLessThan(1.2);
    // Keeping every block's activation (a model with one output per block) would grow 4× here.
    expect(peaks[1]!.analysis / peaks[0]!.analysis).toBeLessThan(1.1);
  });
});
