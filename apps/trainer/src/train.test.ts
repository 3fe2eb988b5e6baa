import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config/train-config.js';
import { train } from './train.js';
import { loadBackend } from './step/load-backend.js';
import { SMALL_RUN, tempDirs, trainLosses } from '../test/runs.js';

const outDir = tempDirs('train');
const quiet = () => undefined;
const small = SMALL_RUN;
const losses = trainLosses;

describe.each(['cpu', 'wasm'])('nf-train end to end on %s', (backend) => {
  it('trains a few steps, evaluates with EMA, writes metrics, checkpoint, report and model', async () => {
    await tf.setBackend(backend);
    const out = outDir();
    const config = resolveConfig('synthetic', [{ ...small, maxSteps: 4, out }, 'test']);
    const result = await train(config, { log: quiet });
    expect(result.steps).toBe(4);
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(readdirSync(out).sort()).toEqual(['checkpoints', 'metrics.jsonl', 'model', 'report.html']);
    expect(losses(out)).toHaveLength(4);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Confusion matrix');
    expect(html).toContain('<h2>Signal propagation</h2>');
  }, 120_000);
});

describe('MixUp / CutMix in the loop (wasm)', () => {
  it('trains on mixed batches (a real cross-entropy on soft targets) and resumes exactly', async () => {
    await tf.setBackend('wasm');
    const mix = { ...small, mixup: 0.2, cutmix: 1, mixupSwitchProb: 0.5 };
    const a = outDir();
    const b = outDir();
    await train(resolveConfig('synthetic', [{ ...mix, maxSteps: 2, out: a }, 'test']), { log: quiet });
    await train(resolveConfig('synthetic', [{ ...mix, maxSteps: 5, out: a }, 'test']), { log: quiet, resume: true });
    await train(resolveConfig('synthetic', [{ ...mix, maxSteps: 5, out: b }, 'test']), { log: quiet });
    expect(losses(a)).toHaveLength(5);
    expect(losses(a)).toEqual(losses(b));
    // Soft targets of 10 classes: the loss stays near ln 10 at the start, never 0.
    for (const l of losses(a)) expect(l).toBeGreaterThan(1.5);
    // The same run unmixed sees other images and targets from the first step on.
    const c = outDir();
    await train(resolveConfig('synthetic', [{ ...small, maxSteps: 2, out: c }, 'test']), { log: quiet });
    losses(c).forEach((l, i) => expect(l).not.toBe(losses(a)[i]));
    expect(readFileSync(path.join(a, 'report.html'), 'utf8')).toContain('MixUp / CutMix α');
  }, 120_000);
});

describe('resume and faults (cpu)', () => {
  it('an interrupted-and-resumed run produces the same losses as an uninterrupted one', async () => {
    await tf.setBackend('cpu');
    const a = outDir();
    const b = outDir();
    await train(resolveConfig('synthetic', [{ ...small, maxSteps: 3, out: a }, 'test']), { log: quiet });
    await train(resolveConfig('synthetic', [{ ...small, maxSteps: 6, out: a }, 'test']), { log: quiet, resume: true });
    await train(resolveConfig('synthetic', [{ ...small, maxSteps: 6, out: b }, 'test']), { log: quiet });
    expect(losses(a)).toEqual(losses(b));
  }, 180_000);

  it('a checkpoint write killed half-way leaves the previous checkpoint loadable', async () => {
    await tf.setBackend('cpu');
    const a = outDir();
    await train(resolveConfig('synthetic', [{ ...small, maxSteps: 2, out: a }, 'test']), { log: quiet });
    // Simulate a process killed while writing step 3: a temp folder with a partial file.
    const fs = await import('node:fs/promises');
    await fs.mkdir(path.join(a, 'checkpoints', '.tmp-step-00000003-999'));
    await fs.writeFile(path.join(a, 'checkpoints', '.tmp-step-00000003-999', 'model.safetensors'), 'partial');
    const resumed = await train(resolveConfig('synthetic', [{ ...small, maxSteps: 4, out: a }, 'test']), { log: quiet, resume: true });
    expect(resumed.steps).toBe(4);
  }, 120_000);

  it('optional backends fail with one line saying how to install them', async () => {
    await expect(loadBackend('tensorflow')).rejects.toThrow(/backend tensorflow unavailable: @tensorflow\/tfjs-node is not installed; to use it: npm i @tensorflow\/tfjs-node/);
    // webgpu is an optional dependency: where it installs and a Vulkan adapter exists it loads (then it
    // names its package); otherwise the error is one line saying how to get it.
    const webgpu = await loadBackend('webgpu').then(
      (choice) => choice.detail,
      (error: Error) => error.message,
    );
    expect(webgpu).toMatch(/^webgpu \(@tensorflow\/tfjs-backend-webgpu\)$|^backend webgpu unavailable: [^\n]*npm i webgpu/);
    await tf.setBackend('cpu');
    const auto = await loadBackend('auto');
    expect(['wasm', 'tensorflow', 'tensorflow-gpu']).toContain(auto.name);
    expect(auto.notes.join('\n')).toMatch(/tfjs-node-gpu/);
  });
});
