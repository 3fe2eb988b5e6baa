import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { relDiff } from '../test/reference.js';
import { gradientStats, SignalPropError, type LossSpec } from './index.js';

type ST = tf.SymbolicTensor;

function smallNet() {
  const input = tf.input({ shape: [6, 6, 2] });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv', kernelInitializer: tf.initializers.heNormal({ seed: 1 }) }).apply(input) as ST;
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as ST;
  x = tf.layers.activation({ activation: 'relu' }).apply(x) as ST;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as ST;
  const inner = tf.sequential({ name: 'head', layers: [tf.layers.dense({ inputShape: [4], units: 3, name: 'fc', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) })] });
  return tf.model({ inputs: input, outputs: inner.apply(x) as ST });
}

/** float64 norms of every gradient, by tf.variableGrads, downloaded. */
function reference(model: tf.LayersModel, loss: (y: tf.Tensor, p: tf.Tensor) => tf.Scalar, xs: tf.Tensor, ys: tf.Tensor) {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => loss(ys, model.apply(xs, { training: true }) as tf.Tensor), vars);
  const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
  const out = new Map<string, { g: number; w: number; unit: number }>();
  for (const v of vars) {
    const g = grads[v.name]!.dataSync();
    const w = v.dataSync();
    const units = v.rank <= 1 ? 1 : v.shape[v.rank - 1]!;
    let unit = 0;
    for (let u = 0; u < units; u++) {
      const pick = (a: ArrayLike<number>) => (v.rank <= 1 ? Array.from(a) : Array.from(a).filter((_, i) => i % units === u));
      unit = Math.max(unit, norm(pick(g)) / Math.max(norm(pick(w)), 1e-3));
    }
    out.set(v.name, { g: norm(g), w: norm(w), unit });
  }
  const lossValue = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss: lossValue, byWeight: out };
}

describe('gradientStats (cpu)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it.each([['softmaxCrossEntropy'], ['meanSquaredError'], ['a custom function']] as const)(
    'matches float64 norms of tf.variableGrads, per weight and per layer, with loss %s',
    async (lossName) => {
      const model = smallNet();
      const xs = tf.randomNormal([5, 6, 6, 2], 0, 1, 'float32', 3);
      const ys = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], 'int32'), 3));
      const fn = (y: tf.Tensor, p: tf.Tensor) => tf.mean(tf.abs(tf.sub(y, p))) as tf.Scalar;
      const spec: LossSpec = lossName === 'a custom function' ? fn : lossName;
      const lossFn = lossName === 'softmaxCrossEntropy' ? (y: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, p) as tf.Scalar : lossName === 'meanSquaredError' ? (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) as tf.Scalar : fn;
      const state = model.nonTrainableWeights.map((w) => w.read().arraySync());
      const report = await gradientStats(model, spec, { xs, ys });
      expect(model.nonTrainableWeights.map((w) => w.read().arraySync())).toEqual(state);
      const ref = reference(model, lossFn, xs, ys);
      expect(relDiff(report.loss, ref.loss)).toBeLessThan(1e-5);
      expect(report.layers.map((l) => [l.name, l.className, l.weights.length])).toEqual([['conv', 'Conv2D', 2], ['bn', 'BatchNormalization', 2], ['fc', 'Dense', 2]]);
      for (const layer of report.layers) {
        let g2 = 0;
        for (const w of layer.weights) {
          const r = ref.byWeight.get(w.name)!;
          expect(relDiff(w.gradNorm!, r.g, 1e-8)).toBeLessThan(1e-4);
          expect(relDiff(w.weightNorm, r.w)).toBeLessThan(1e-5);
          expect(relDiff(w.ratio!, r.g / Math.max(r.w, 1e-3), 1e-8)).toBeLessThan(1e-4);
          expect(relDiff(w.maxUnitRatio!, r.unit, 1e-8)).toBeLessThan(1e-4);
          g2 += r.g ** 2;
        }
        expect(relDiff(layer.gradNorm!, Math.sqrt(g2), 1e-8)).toBeLessThan(1e-4);
        expect(layer.maxUnitRatio).toBe(Math.max(...layer.weights.map((w) => w.maxUnitRatio!)));
      }
      tf.dispose([xs, ys]);
      model.dispose();
    },
  );

  it('rejects unknown losses and multi-output models, naming what to pass', async () => {
    const model = smallNet();
    const xs = tf.zeros([1, 6, 6, 2]);
    const ys = tf.zeros([1, 3]);
    await expect(gradientStats(model, 'hinge' as never, { xs, ys })).rejects.toThrow(/unknown loss "hinge"; pass \(yTrue, yPred\) => scalar or one of/);
    const input = tf.input({ shape: [2] });
    const two = tf.model({ inputs: input, outputs: [tf.layers.dense({ units: 1 }).apply(input) as ST, tf.layers.dense({ units: 1 }).apply(input) as ST] });
    const x2 = tf.zeros([1, 2]);
    await expect(gradientStats(two, 'meanSquaredError', { xs: x2, ys })).rejects.toThrow(/has 2 outputs; gradientStats takes a single-output model/);
    await expect(gradientStats(two, 'meanSquaredError', { xs: x2, ys })).rejects.toThrow(SignalPropError);
    tf.dispose([xs, ys, x2]);
    two.dispose();
    model.dispose();
  });
});
