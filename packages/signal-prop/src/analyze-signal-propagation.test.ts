import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { bnResNetV2, mlpResNet, nfResNet, postNormResNet, withNet, type BuiltNet } from '../test/models.js';
import { referenceStats, relDiff, statsF64 } from '../test/reference.js';
import { analyzeSignalPropagation, expectedVariance, SignalPropError, type SignalReport } from './index.js';

/** The analysis against the slow float64 path, site by site, probing what the builder says is a block. */
async function compareWithReference(net: BuiltNet, shape: number[], training: boolean, tol: number): Promise<SignalReport> {
  const x = tf.randomNormal(shape, 0, 1, 'float32', 7);
  const report = await analyzeSignalPropagation(net.model, { input: x, training });
  const ref = referenceStats(net.model, [net.stem, ...net.blocks], x, training);
  const refBranch = referenceStats(net.model, net.branches, x, training);
  x.dispose();
  expect(report.sites.map((s) => s.kind)).toEqual(['stem', ...net.blocks.map(() => 'residual')]);
  expect(report.sites.map((s) => s.transition)).toEqual([false, ...net.transitions]);
  report.sites.forEach((s, i) => {
    expect(relDiff(s.avgVar, ref[i]!.avgVar)).toBeLessThan(tol);
    expect(Math.abs(s.avgSqMean - ref[i]!.avgSqMean)).toBeLessThan(tol * Math.max(ref[i]!.avgSqMean, ref[i]!.avgVar));
    if (i > 0) expect(relDiff(s.resAvgVar!, refBranch[i - 1]!.avgVar)).toBeLessThan(tol);
  });
  return report;
}

describe.each(BACKENDS)('analyzeSignalPropagation on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  it.each([
    ['NF-ResNet (WS) 2 stages, batch 2, 12×12', () => nfResNet({ blocksPerStage: [2, 2], widths: [8, 16], inputShape: [12, 12, 3] }), [2, 12, 12, 3], false],
    ['NF-ResNet (no WS) 3 stages, batch 3, 9×9 (odd sizes)', () => nfResNet({ ws: false, blocksPerStage: [1, 2, 1], widths: [6, 10, 12], inputShape: [9, 9, 2] }), [3, 9, 9, 2], false],
    ['BN-ResNetV2 in training mode, batch 4, 16×16', () => bnResNetV2({ blocksPerStage: [2, 1], widths: [8, 12], inputShape: [16, 16, 3] }), [4, 16, 16, 3], true],
    ['residual MLP, 2-D activations, batch 32', () => mlpResNet(3, 10), [32, 12], false],
  ] as const)('matches the float64 reference: %s', async (_, build, shape, training) => {
    await withNet(build(), (net) => compareWithReference(net, [...shape], training, 2e-4));
  });

  it('restores BatchNorm moving statistics after a training-mode analysis', () =>
    withNet(bnResNetV2({ blocksPerStage: [1, 1], widths: [8, 8], inputShape: [8, 8, 3] }), async (net) => {
      const before = net.model.nonTrainableWeights.map((w) => w.read().arraySync());
      const report = await analyzeSignalPropagation(net.model, { batchSize: 4, seed: 3 });
      expect(report.training).toBe(true);
      expect(net.model.nonTrainableWeights.map((w) => w.read().arraySync())).toEqual(before);
    }));
});

// Properties of networks rather than of the arithmetic (which the suites above check on both
// backends): run on wasm, 20× faster than cpu for these convolutions and bit-compatible here.
describe('signal propagation shapes (wasm)', () => {
  beforeAll(() => useBackend('wasm'));
  expectNoLeaks();

  it('NF-ResNet with Scaled WS and skip gain 1 follows the analytic curve within 10 % and resets at transitions', () =>
    // 64×64 with a stride-1 stem keeps the last stage at 16×16: at 4×4 the zero padding of 3×3
    // convolutions alone cuts the branch variance to ~0.5. Seeds 1–6 deviate by 2.9–8.6 % at worst.
    withNet(nfResNet({ alpha: 0.4, blocksPerStage: [3, 3, 3], widths: [32, 48, 64], inputShape: [64, 64, 3], stemStride: 1, seed: 1 }), async (net) => {
      const alpha = 0.4;
      const report = await analyzeSignalPropagation(net.model, { batchSize: 8, seed: 1 });
      const curve = expectedVariance({ alpha, blocksPerStage: [3, 3, 3] });
      expect(report.sites.length).toBe(curve.sites.length);
      report.sites.forEach((s, i) => expect(relDiff(s.avgVar, curve.variance[i]!)).toBeLessThan(0.1));
      // Resets: each stage's first block is back near 1 + α², far below the block before it.
      const firsts = report.sites.filter((s) => s.transition);
      expect(firsts.map((s) => s.stage)).toEqual([0, 1, 2]);
      for (const s of firsts.slice(1)) {
        expect(relDiff(s.avgVar, 1 + alpha ** 2)).toBeLessThan(0.1);
        expect(s.avgVar).toBeLessThan(report.sites[s.index - 1]!.avgVar - 0.2);
      }
      for (const s of report.sites.slice(1)) {
        expect(s.resAvgVar!).toBeGreaterThan(0.85);
        expect(s.resAvgVar!).toBeLessThan(1.15);
      }
      expect(Math.max(...report.sites.map((s) => s.avgSqMean))).toBeLessThan(0.05);
    }));

  it("without weight standardization the squared mean grows over depth (the facts file's toy: 0.58 → 18.3 over 16 blocks)", async () => {
    // nfnet-facts.md 7.4: 1×1 convolutions only, NF-ResNet-50 depths and bottlenecks (widths / 4
    // here), ReLU γ, α 0.2, skip gain 1, 4096 Gaussian samples. Seeds 1–3 give 0.34–0.74 → 8.1–12.6.
    const options = { alpha: 0.2, blocksPerStage: [3, 4, 6, 3], widths: [64, 128, 256, 512], inputShape: [1, 1, 16] as [number, number, number], pointwise: true, bottleneck: true, seed: 1 };
    const input = tf.randomNormal([4096, 1, 1, 16], 0, 1, 'float32', 5);
    try {
      const plain = await withNet(nfResNet({ ...options, ws: false }), (net) => analyzeSignalPropagation(net.model, { input }));
      const ws = await withNet(nfResNet({ ...options, ws: true }), (net) => analyzeSignalPropagation(net.model, { input }));
      const sq = plain.sites.slice(1).map((s) => s.avgSqMean);
      expect(sq.length).toBe(16);
      expect(sq[0]!).toBeGreaterThan(0.1);
      expect(sq[0]!).toBeLessThan(3);
      expect(sq[15]!).toBeGreaterThan(3);
      expect(sq[15]!).toBeLessThan(60);
      expect(sq[15]! / sq[0]!).toBeGreaterThan(5);
      // Unsteady residual branches above 1 (toy: 1.3 → 8.3) …
      expect(Math.max(...plain.sites.slice(-4).map((s) => s.resAvgVar!))).toBeGreaterThan(3);
      // … while with WS the same network keeps its mean near zero (toy: ≤ 0.004).
      expect(Math.max(...ws.sites.map((s) => s.avgSqMean))).toBeLessThan(0.05);
      expect(Math.max(...ws.sites.map((s) => s.avgSqMean))).toBeLessThan(sq[0]! / 10);
    } finally {
      input.dispose();
    }
  });

  it('with BatchNorm the branch input is renormalized every block: constant branch variance, linear growth, resets at transitions', () =>
    withNet(bnResNetV2({ blocksPerStage: [4, 4], widths: [16, 32], inputShape: [32, 32, 3] }), async (net) => {
      const report = await analyzeSignalPropagation(net.model, { batchSize: 8, seed: 2 });
      const blocks = report.sites.slice(1);
      const res = blocks.map((s) => s.resAvgVar!);
      expect(Math.max(...res) / Math.min(...res)).toBeLessThan(1.6);
      for (const stage of [0, 1]) {
        const v = blocks.filter((s) => s.stage === stage).map((s) => s.avgVar);
        for (let i = 1; i < v.length; i++) expect(v[i]! - v[i - 1]!).toBeGreaterThan(0.3 * Math.min(...res));
      }
      const second = blocks.find((s) => s.stage === 1)!;
      expect(second.transition).toBe(true);
      expect(second.avgVar).toBeLessThan(0.6 * report.sites[second.index - 1]!.avgVar);
    }));

  it('with BatchNorm after every merge each block starts again from unit variance', () =>
    withNet(postNormResNet(6), async (net) => {
      const report = await analyzeSignalPropagation(net.model, { batchSize: 8, seed: 4, measure: { residual: true, classNames: ['BatchNormalization'] } });
      const normalized = report.sites.filter((s) => s.className === 'BatchNormalization');
      expect(normalized.length).toBe(6);
      for (const s of normalized) expect(relDiff(s.avgVar, 1)).toBeLessThan(0.01);
      const merges = report.sites.filter((s) => s.kind === 'residual').map((s) => s.avgVar);
      // Each merge adds one branch to a unit-variance input: flat, never accumulating.
      expect(Math.max(...merges.slice(1)) / Math.min(...merges.slice(1))).toBeLessThan(1.5);
    }));
});

describe('options and errors (cpu)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('fills unknown input dimensions from size and reports the probe', async () => {
    const input = tf.input({ shape: [null, null, 3] });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
    const h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(c) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.add().apply([c, h]) as tf.SymbolicTensor });
    const report = await analyzeSignalPropagation(model, { batchSize: 2, size: [6, 5], seed: 9 });
    expect(report.probe).toEqual({ kind: 'gaussian', shapes: [[2, 6, 5, 3]], seed: 9, sizeFrom: 'size' });
    expect(report.sites[1]!.shape).toEqual([2, 6, 5, 4]);
    await expect(analyzeSignalPropagation(model, {})).rejects.toThrow(/unknown dimensions \[null, null, null, 3\] and the model records no image size in its metadata \(userDefinedMetadata\.nf\.trainSize\); pass size \(e\.g\. size: 64/);
    model.dispose();
  });

  it('says what to do when there is nothing to measure, and rejects probes that do not fit', async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 3 })] });
    const err = await analyzeSignalPropagation(model).catch((e: unknown) => e);
    expect(SignalPropError.isInstance(err) && err.code).toBe('NO_SITES');
    expect((err as Error).message).toMatch(/measure: \{ names/);
    expect((err as Error).message).toMatch(/name your merge class \(residual: \{ residualClasses: \{ MyResidual: \{ branch: 0 \} \} \}\)\.$/);
    const wrong = tf.zeros([2, 5]);
    await expect(analyzeSignalPropagation(model, { input: wrong, measure: 'all' })).rejects.toThrow(/probe tensor 0 has shape \[2, 5\]; input .* expects \[null, 4\]/);
    wrong.dispose();
    await expect(analyzeSignalPropagation(model, { measure: 'all', batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    const ok = await analyzeSignalPropagation(model, { measure: 'all', batchSize: 16 });
    expect(ok.sites.map((s) => [s.name, s.kind, s.shape])).toEqual([[model.layers[0]!.name, 'layer', [16, 3]]]);
    model.dispose();
  });

  it('wraps a layer that fails with its name, class and the cause, and frees everything', async () => {
    class Broken extends tf.layers.Layer {
      static className = 'Broken';
      override call(): tf.Tensor {
        throw new Error('kernel exploded');
      }
    }
    const input = tf.input({ shape: [4, 4, 2] });
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const b = new Broken({ name: 'broken' }).apply(a) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, b]) as tf.SymbolicTensor });
    const err = await analyzeSignalPropagation(model, { batchSize: 2 }).catch((e: unknown) => e);
    expect((err as SignalPropError).code).toBe('UNSUPPORTED_LAYER');
    expect((err as Error).message).toBe("layer 'broken' (Broken) failed during the analysis: kernel exploded");
    model.dispose();
  });

  it('measures blocks inside nested models (one model reused as a block) and models with several inputs', async () => {
    const blockInput = tf.input({ shape: [6, 6, 4] });
    const h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }).apply(blockInput) as tf.SymbolicTensor;
    const block = tf.model({ inputs: blockInput, outputs: tf.layers.add({ name: 'add' }).apply([blockInput, h]) as tf.SymbolicTensor, name: 'block' });
    const input = tf.input({ shape: [6, 6, 3] });
    const stem = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'stem' }).apply(input) as tf.SymbolicTensor;
    const out = block.apply(block.apply(stem)) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    const x = tf.randomNormal([3, 6, 6, 3], 0, 1, 'float32', 2);
    const report = await analyzeSignalPropagation(model, { input: x, training: false });
    expect(report.sites.map((s) => [s.name, s.kind, s.branch])).toEqual([
      ['stem', 'stem', null],
      ['block/add', 'residual', 'block/conv'],
      ['block/add#2', 'residual', 'block/conv#2'],
    ]);
    const y = model.predict(x) as tf.Tensor;
    const ref = statsF64(y.dataSync(), y.shape);
    expect(relDiff(report.sites[2]!.avgVar, ref.avgVar)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    model.dispose();
    block.dispose();

    const a = tf.input({ shape: [5], name: 'a' });
    const b = tf.input({ shape: [5], name: 'b' });
    const two = tf.model({ inputs: [a, b], outputs: tf.layers.add({ name: 'sum' }).apply([a, tf.layers.dense({ units: 5, name: 'fc' }).apply(b) as tf.SymbolicTensor]) as tf.SymbolicTensor });
    const r2 = await analyzeSignalPropagation(two, { batchSize: 64, seed: 5 });
    expect(r2.probe!.shapes).toEqual([[64, 5], [64, 5]]);
    expect(r2.sites.map((s) => [s.name, s.kind])).toEqual([['sum', 'residual']]);
    expect(r2.sites[0]!.branch).toBe('fc');
    two.dispose();
  });

  it('leaves the caller-owned probe tensor alive', () =>
    withNet(mlpResNet(2, 8), async (net) => {
      const x = tf.randomNormal([16, 12]);
      await analyzeSignalPropagation(net.model, { input: [x] });
      expect(x.isDisposed).toBe(false);
      x.dispose();
    }));
});
