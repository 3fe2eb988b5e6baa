/**
 * The playground's training session in Node on the cpu backend: it takes exactly nf-train's steps
 * (the same losses, bit for bit, as `nf-train train` with the same seed, batch, model and schedule),
 * leaks no tensors, and its knobs change what they should. These are also the reference numbers the
 * browser test compares WebGPU and WebGL against.
 */
import * as tf from '@tensorflow/tfjs';
import { fashionMnist } from '@nf/data/node';
import { RECIPE, TrainingSession, datasetsFrom, modelConfigFor } from '../src/session.js';
import { DEFAULT_KNOBS } from '../src/protocol.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_RUN, referenceLosses } from './reference-run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const trainerCli = path.resolve(here, '../../trainer/dist/cli.js');

let sets: Awaited<ReturnType<typeof load>>;
async function load() {
  const [train, test] = await Promise.all([fashionMnist({ split: 'train' }), fashionMnist({ split: 'test' })]);
  return datasetsFrom(train, test, REFERENCE_RUN.seed);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  sets = await load();
});

describe('the playground session (cpu)', () => {
  it("its default knobs are nf-train's Fashion-MNIST recipe", () => {
    expect(DEFAULT_KNOBS.clipping).toBe(RECIPE.clipping);
    expect(DEFAULT_KNOBS.alpha).toBe(modelConfigFor(RECIPE.model, DEFAULT_KNOBS).alpha);
    expect(modelConfigFor(RECIPE.model, DEFAULT_KNOBS)).toEqual(modelConfigFor(RECIPE.model, { ...DEFAULT_KNOBS, alpha: 0.2 }));
  });

  it('takes the same steps as nf-train train: identical losses, gradient norms and clip fractions', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'nf-playground-ref-'));
    try {
      const { steps, batchSize, model, seed } = REFERENCE_RUN;
      execFileSync(process.execPath, [trainerCli, 'train', '--backend', 'cpu', '--workers', '1', '--model', model, '--batch-size', String(batchSize), '--max-steps', String(steps), '--epochs', '1', '--seed', String(seed), '--eval-limit', '8', '--out', out, '--overwrite'], { stdio: 'pipe' });
      const rows = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; loss: number; gradNorm: number; clipFraction: number; lr: number });
      const nfTrain = rows.filter((r) => r.kind === 'train');
      // nf-train plans one epoch of full batches and does not rescale its learning rate by batch.
      const ours = await referenceLosses(sets.train, sets.test, { peakLr: RECIPE.lr, plannedSteps: Math.floor(sets.train.size / batchSize) });
      expect(ours.map((m) => m.lr)).toEqual(nfTrain.map((r) => r.lr));
      expect(ours.map((m) => m.loss)).toEqual(nfTrain.map((r) => r.loss));
      expect(ours.map((m) => m.gradNorm)).toEqual(nfTrain.map((r) => r.gradNorm));
      expect(ours.map((m) => m.clipFraction)).toEqual(nfTrain.map((r) => r.clipFraction));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('keeps the tensor count flat across steps and releases everything on dispose', async () => {
    const before = tf.memory().numTensors;
    const s = new TrainingSession(sets.train, sets.test, { seed: 1, batchSize: 8, model: 'nfnet_tiny_mnist' });
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) counts.push((await s.trainStep()).numTensors);
    expect(new Set(counts.slice(1)).size).toBe(1);
    const ev = await s.evaluate(16);
    expect(ev.examples).toBe(16);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0);
    expect(tf.memory().numTensors).toBe(counts.at(-1));
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('AGC off clips nothing; the recipe λ clips few units, a tiny λ many', async () => {
    const run = async (knobs: Partial<typeof DEFAULT_KNOBS>) => {
      const s = new TrainingSession(sets.train, sets.test, { seed: 2, batchSize: 8, model: 'nfnet_tiny_mnist', knobs });
      try {
        return await s.trainStep();
      } finally {
        s.dispose();
      }
    };
    expect((await run({ agc: false })).clipFraction).toBe(0);
    // The recipe's λ 0.04 clips well under 1 % of the units at the first step (measured 0.5 %); λ 1e-4 a third.
    const recipe = (await run({})).clipFraction;
    const tiny = (await run({ agc: true, clipping: 1e-4 })).clipFraction;
    expect(recipe).toBeGreaterThan(0);
    expect(recipe).toBeLessThan(0.02);
    expect(tiny).toBeGreaterThan(0.2);
    expect(tiny).toBeGreaterThan(10 * recipe);
  });

  it('the knobs move the signal-propagation plot: γ = 1 collapses the variance, no WS brings back the mean shift', async () => {
    const sites = async (knobs: Partial<typeof DEFAULT_KNOBS>) => {
      const s = new TrainingSession(sets.train, sets.test, { seed: 3, batchSize: 8, model: 'nfnet_tiny_mnist', knobs });
      try {
        const { report, svg } = await s.signalPropagation('init');
        expect(svg.startsWith('<svg')).toBe(true);
        return report.sites;
      } finally {
        s.dispose();
      }
    };
    const nf = await sites({});
    const gamma1 = await sites({ gamma: 1 });
    const noWs = await sites({ ws: false });
    expect(nf.length).toBe(5);
    // The NFNet keeps the first blocks' variance near 1 (measured 0.86) and the channel means near 0.
    expect(nf[0]!.avgVar).toBeGreaterThan(0.5);
    expect(nf.every((x) => x.avgSqMean < 0.02)).toBe(true);
    // γ = 1 (GELU's own is 1.7015): the signal shrinks by ~γ² at every activation (measured 0.03 at the stem's output).
    gamma1.forEach((x, i) => expect(x.avgVar).toBeLessThan(0.1 * nf[i]!.avgVar));
    // Without WS the convolutions' outputs are no longer centred: the mean shift is back (measured 0.27 vs 0.007).
    noWs.forEach((x, i) => expect(x.avgSqMean).toBeGreaterThan(10 * nf[i]!.avgSqMean));
  });
});

afterAll(() => {
  tf.disposeVariables();
});
