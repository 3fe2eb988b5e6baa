import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configOf, createModel } from '@nf/models';
import { resolveConfig } from '../config/train-config.js';
import { train } from '../train.js';
import { analyzeNfModel, checkpointModel, resolveCheckpointFolder, runSpp, tableModel } from './spp.js';

const overrides = { channels: [16, 16, 32, 32], stemChannels: 16, groupSize: 8, numFeatures: 32 };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'nf-spp-'));
  dirs.push(d);
  return d;
};
/** A run of 2 steps, shared by the checkpoint and report tests. */
let dir = '';

beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = tmp();
  await train(resolveConfig('synthetic', [{ dataset: 'synthetic', batchSize: 16, evalLimit: 32, maxSteps: 2, modelOverrides: overrides, out: dir }, 'test']), { log: () => undefined });
}, 120_000);
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('signal propagation of our NFNets', () => {
  it('one site per block after the stem, finite, reproducible with stochastic depth on, no leak', async () => {
    const config = configOf('nfnet_tiny_mnist', { ...overrides, depths: [1, 2, 1, 1], dropPathRate: 0.5 });
    const model = createModel(config);
    const live = tf.memory().numTensors;
    const a = await analyzeNfModel(model, 28, { batchSize: 4, seed: 3 });
    const b = await analyzeNfModel(model, 28, { batchSize: 4, seed: 3 });
    expect(tf.memory().numTensors).toBe(live);
    expect(a.sites.map((s) => s.kind)).toEqual(['stem', 'residual', 'residual', 'residual', 'residual', 'residual']);
    expect(a.sites.filter((s) => s.transition).map((s) => s.stage)).toEqual([1, 2, 3]);
    expect(a.probe?.shapes).toEqual([[4, 28, 28, 1]]);
    for (const s of a.sites) expect([s.avgSqMean, s.avgVar].every(Number.isFinite)).toBe(true);
    expect(a.sites.slice(1).every((s) => s.resAvgVar !== null && s.resAvgVar > 0)).toBe(true);
    expect(b.sites).toEqual(a.sites);
    model.dispose();
  });

  it('a table model at its train size, seeded like the run', async () => {
    const config = resolveConfig('fashion-mnist', [{ modelOverrides: overrides, seed: 5 }, 'test']);
    const [m1, m2] = [tableModel(config), tableModel(config)];
    expect(m1.label).toBe('nfnet_base_mnist (initialization)');
    expect(m1.modelConfig.trainSize).toBe(28);
    m1.model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(m2.model.getWeights()[i]!.dataSync())));
    [m1, m2].forEach((m) => m.model.dispose());
  });

  it("a run directory's latest checkpoint (EMA weights) → spp.svg, spp.json and the text", async () => {
    const target = await checkpointModel(dir);
    expect(target.label).toBe('nfnet_base_mnist step 2 (EMA weights)');
    expect(target.runDir).toBe(dir);
    expect(target.checkpoint).toBe(path.join(dir, 'checkpoints', 'step-00000002'));
    const out = tmp();
    const run = await runSpp(target, out, { batchSize: 4 });
    target.model.dispose();
    expect(readFileSync(run.svgFile, 'utf8')).toMatch(/^<svg[^>]*>.*step 2 \(EMA weights\)/s);
    const json = JSON.parse(readFileSync(run.jsonFile, 'utf8')) as Array<{ label: string; sites: unknown[] }>;
    expect(json[0]!.label).toBe(target.label);
    expect(json[0]!.sites).toHaveLength(5);
    expect(run.text).toContain('average channel variance');
    expect(run.text).toContain('residual branch variance');
    expect(run.text).toContain('stages.3.0.residual');
  });

  it('a checkpoint folder too, and one written before state.json had modelConfig; the live weights on request', async () => {
    const folder = path.join(dir, 'checkpoints', 'step-00000002');
    expect(await resolveCheckpointFolder(folder)).toEqual({ folder, runDir: dir });
    const old = path.join(tmp(), 'copied');
    cpSync(folder, old, { recursive: true });
    const state = JSON.parse(readFileSync(path.join(old, 'state.json'), 'utf8')) as Record<string, unknown>;
    delete state.modelConfig;
    writeFileSync(path.join(old, 'state.json'), JSON.stringify(state));
    const [a, b, live] = [await checkpointModel(folder), await checkpointModel(old), await checkpointModel(folder, undefined, 'model')];
    expect(b.runDir).toBeUndefined();
    expect(b.modelConfig).toEqual(a.modelConfig);
    a.model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(b.model.getWeights()[i]!.dataSync())));
    expect(live.label).toBe('nfnet_base_mnist step 2');
    [a, b, live].forEach((m) => m.model.dispose());
  });

  it('one-line errors: another model, a missing folder, a folder that is neither', async () => {
    await expect(checkpointModel(dir, 'dm_nfnet_f0')).rejects.toThrow(/holds a nfnet_base_mnist, not a dm_nfnet_f0; drop --model or pass --model nfnet_base_mnist/);
    await expect(checkpointModel(path.join(dir, 'nope'))).rejects.toThrow(/--checkpoint '.*nope' does not exist/);
    await expect(checkpointModel(path.join(dir, 'model'))).rejects.toThrow(/is neither a run directory \(with checkpoints\/\) nor a checkpoint folder/);
    const empty = tmp();
    cpSync(path.join(dir, 'metrics.jsonl'), path.join(empty, 'metrics.jsonl'));
    mkdirSync(path.join(empty, 'checkpoints'));
    await expect(checkpointModel(empty)).rejects.toThrow(/has no completed checkpoint/);
  });

  it("report.html shows the SPP of the initialization and of the final weights", () => {
    const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Signal propagation</h2>');
    expect(html).toContain('initialization vs step 2 (EMA weights)');
    expect(html).toContain('residual branch variance');
  });
});
