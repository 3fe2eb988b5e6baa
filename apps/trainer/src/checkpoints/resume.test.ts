import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type TrainConfig } from '../config/train-config.js';
import { train } from '../train.js';
import { LOCK_FILE } from './out-dir.js';
import { SMALL_RUN, metricRows, tempDirs, trainLosses, trainerRejection } from '../../test/runs.js';
import { RESUMABLE_KEYS, checkResumeConfig, resumeTarget, resumedConfig, truncateMetrics } from './resume.js';

const outDir = tempDirs('resume');
const quiet = () => undefined;
// The small synthetic run on one thread, a checkpoint after every step.
const small = { ...SMALL_RUN, workers: 1, checkpointSteps: 1, keepCheckpoints: 10 };
const configOf = (extra: Record<string, unknown>): TrainConfig => resolveConfig('synthetic', [{ ...small, ...extra }, 'test']);
const rows = metricRows;
const losses = trainLosses;
const step = (n: number) => `step-${String(n).padStart(8, '0')}`;

const rejection = trainerRejection;

describe('resume: the run keeps its configuration', () => {
  it('checkResumeConfig lists every key that may not change, in one line; resumable keys pass', () => {
    const saved = configOf({});
    expect(() => checkResumeConfig(saved, { ...saved, epochs: 9, maxSteps: 4, backend: 'cpu', workers: 2, out: 'x', checkpointMinutes: 0 }, 'ck')).not.toThrow();
    let error: unknown;
    try {
      checkResumeConfig(saved, { ...saved, lr: 0.5, batchSize: 32, modelOverrides: { ...saved.modelOverrides, dropRate: 0 } }, 'runs/a/checkpoints/step-1');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'RESUME_CONFLICT' });
    expect((error as Error).message).toMatch(
      /^--resume: the configuration differs from the run's \(checkpoint 'runs\/a\/checkpoints\/step-1'\): modelOverrides \(--model-overrides\) .*; batchSize \(--batch-size\) 32, the run has 16; lr \(--lr\) 0\.5, the run has 0\.2\. A resumed run keeps its recipe; only --epochs, --max-steps, .* may change\./,
    );
    // Keys the checkpoint predates (written by an older version) are not compared.
    const { checkpointMinutes: _, ...older } = saved;
    expect(() => checkResumeConfig(older, { ...saved, checkpointMinutes: 3 }, 'ck')).not.toThrow();
    expect([...RESUMABLE_KEYS]).toContain('epochs');
    expect([...RESUMABLE_KEYS]).not.toContain('lr');
  });

  it('truncateMetrics keeps the rows up to the resumed step, drops a torn last line, creates a missing file', async () => {
    const dir = outDir();
    const file = path.join(dir, 'metrics.jsonl');
    const lines = [1, 2, 3, 4].map((s) => JSON.stringify({ kind: 'train', step: s })).concat(JSON.stringify({ kind: 'eval', step: 4 }), '{"kind": "train", "st');
    writeFileSync(file, `${lines.join('\n')}`);
    expect(await truncateMetrics(file, 2)).toBe(4);
    expect(readFileSync(file, 'utf8')).toBe(`${lines.slice(0, 2).join('\n')}\n`);
    expect(await truncateMetrics(file, 2)).toBe(0);
    expect(readdirSync(dir)).toEqual(['metrics.jsonl']);
    expect(await truncateMetrics(path.join(dir, 'new.jsonl'), 0)).toBe(0);
    expect(readFileSync(path.join(dir, 'new.jsonl'), 'utf8')).toBe('');
  });
});

describe('resume end to end (wasm, one thread)', () => {
  let reference: number[];
  beforeAll(async () => {
    await tf.setBackend('wasm');
    const b = outDir();
    await train(configOf({ maxSteps: 6, out: b }), { log: quiet });
    reference = losses(b);
    expect(reference).toHaveLength(6);
  }, 120_000);

  it('a kill after step 3 (its last checkpoint at step 2): resume cuts the metrics back and continues bit-exactly; time adds up', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 3, out: a }), { log: quiet, preset: 'synthetic' });
    // As if killed between step 3's metrics row and its checkpoint.
    rmSync(path.join(a, 'checkpoints', step(3)), { recursive: true });
    const state = JSON.parse(readFileSync(path.join(a, 'checkpoints', step(2), 'state.json'), 'utf8')) as { elapsedSeconds: number; preset: string };
    expect(state.elapsedSeconds).toBeGreaterThan(0);
    expect(state.preset).toBe('synthetic');
    const log: string[] = [];
    const resumed = await train(configOf({ maxSteps: 6, out: a }), { log: (l) => log.push(l), resume: true });
    expect(log.join('\n')).toMatch(/resumed from .*step-00000002 at step 2 \(epoch 1, example 32\); dropped 2 metrics rows past step 2/);
    expect(losses(a)).toEqual(reference);
    expect(rows(a).map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 6]);
    expect(resumed.seconds).toBeGreaterThan(state.elapsedSeconds);
    expect(readFileSync(path.join(a, 'report.html'), 'utf8')).toMatch(/\(all sessions\)/);
    expect(existsSync(path.join(a, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('a damaged newest checkpoint: resume says so and falls back to the newest intact one', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 3, out: a }), { log: quiet });
    truncateSync(path.join(a, 'checkpoints', step(3), 'model.safetensors'), 100);
    const log: string[] = [];
    await train(configOf({ maxSteps: 6, out: a }), { log: (l) => log.push(l), resume: true });
    expect(log.join('\n')).toMatch(/resume: using step-00000002, the newest intact checkpoint \(skipped 1 damaged: checkpoint '.*step-00000003': .*model\.safetensors/);
    expect(losses(a)).toEqual(reference);
  }, 120_000);

  it('--resume <checkpoint>: that one, strictly; a damaged one is an error naming its file', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 3, out: a }), { log: quiet });
    await train(configOf({ maxSteps: 6, out: a }), { log: quiet, resume: path.join(a, 'checkpoints', step(1)) });
    expect(losses(a)).toEqual(reference);
    writeFileSync(path.join(a, 'checkpoints', step(2), 'state.json'), '{"step": 2, "epoch": ');
    const e = await rejection(train(configOf({ maxSteps: 6, out: a }), { log: quiet, resume: path.join(a, 'checkpoints', step(2)) }));
    expect(e.code).toBe('BAD_CHECKPOINT');
    expect(e.message).toMatch(/^checkpoint '.*step-00000002': '.*step-00000002\/state\.json' is not valid JSON \(.*\); the checkpoint is damaged: resume from another one\.$/);
  }, 120_000);

  it('a checkpoint file replaced by a device or a FIFO is refused at once, naming it', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 2, out: a }), { log: quiet });
    const ckpt = path.join(a, 'checkpoints', step(2));
    rmSync(path.join(ckpt, 'model.safetensors'));
    symlinkSync('/dev/zero', path.join(ckpt, 'model.safetensors'));
    rmSync(path.join(ckpt, 'optimizer.safetensors'));
    execFileSync('mkfifo', [path.join(ckpt, 'optimizer.safetensors')]);
    const started = performance.now();
    const e = await rejection(train(configOf({ maxSteps: 4, out: a }), { log: quiet, resume: ckpt }));
    expect(e.message).toMatch(/^checkpoint '.*step-00000002': '.*model\.safetensors' is not a regular file; resume from another checkpoint\.$/);
    expect(performance.now() - started).toBeLessThan(10_000);
  }, 120_000);

  it('a changed recipe is refused before anything is written; the lock is released', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 2, out: a }), { log: quiet });
    const before = readFileSync(path.join(a, 'metrics.jsonl'), 'utf8');
    const e = await rejection(train(configOf({ maxSteps: 4, out: a, lr: 0.05 }), { log: quiet, resume: true }));
    expect(e.code).toBe('RESUME_CONFLICT');
    expect(e.message).toMatch(/lr \(--lr\) 0\.05, the run has 0\.2/);
    expect(readFileSync(path.join(a, 'metrics.jsonl'), 'utf8')).toBe(before);
    expect(existsSync(path.join(a, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('the CLI path: resumeTarget and resumedConfig take the recipe from the checkpoint, not the preset', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 2, out: a, lr: 0.1 }), { log: quiet, preset: 'synthetic' });
    const target = await resumeTarget(true, a, 'runs/unused');
    const config = resumedConfig(target, undefined, [[{ maxSteps: 4 }, 'flags']]);
    expect(config).toMatchObject({ lr: 0.1, batchSize: 16, maxSteps: 4, out: a, dataset: 'synthetic' });
    // From a checkpoint folder: its run folder is the output.
    const fromFolder = await resumeTarget(path.join(a, 'checkpoints', step(1)), undefined, 'runs/unused');
    expect(fromFolder.out).toBe(a);
    expect(fromFolder.checkpoint).toBe(path.join(a, 'checkpoints', step(1)));
    // A run folder given to --resume.
    expect((await resumeTarget(a, undefined, 'runs/unused')).out).toBe(a);
    // Another preset than the run's is refused.
    let error: unknown;
    try {
      resumedConfig(target, 'cifar10', []);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'RESUME_CONFLICT', message: expect.stringMatching(/started from preset 'synthetic', not 'cifar10'/) });
    const empty = outDir();
    await expect(resumeTarget(true, empty, 'x')).rejects.toThrow(/^--resume: no checkpoint in '.*checkpoints'; start without --resume/);
    await expect(resumeTarget(path.join(empty, 'nope'), undefined, 'x')).rejects.toThrow(/^--resume '.*nope' does not exist/);
    // A newest checkpoint whose state.json is damaged: the configuration comes from the one before.
    writeFileSync(path.join(a, 'checkpoints', step(2), 'state.json'), 'null');
    expect((await resumeTarget(true, a, 'x')).stateFile).toBe(path.join(a, 'checkpoints', step(1), 'state.json'));
  }, 120_000);

  it('a batch larger than the dataset is refused (no 0-step run with an accuracy), leaving no folder behind', async () => {
    const parent = outDir();
    const out = path.join(parent, 'run');
    const e = await rejection(train(configOf({ batchSize: 1024, out }), { log: quiet }));
    expect(e.code).toBe('BAD_DATASET');
    expect(e.message).toBe('batch size 1024 is larger than the training set (512 examples of synthetic (seed 0)): no step could be taken; use --batch-size 512 or less.');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a fresh run into a folder holding a run is refused (nothing lost); --overwrite removes only the run outputs', async () => {
    const a = outDir();
    await train(configOf({ maxSteps: 1, out: a }), { log: quiet });
    writeFileSync(path.join(a, 'notes.txt'), 'mine');
    const before = readFileSync(path.join(a, 'metrics.jsonl'), 'utf8');
    const e = await rejection(train(configOf({ maxSteps: 1, out: a }), { log: quiet }));
    expect(e.code).toBe('OUT_DIR');
    expect(e.message).toMatch(/^the output folder '.*' already holds a run \(checkpoints, metrics\.jsonl, model, report\.html\); continue it with --resume, start over with --overwrite \(removes those\), or choose another --out\.$/);
    expect(readFileSync(path.join(a, 'metrics.jsonl'), 'utf8')).toBe(before);
    const log: string[] = [];
    await train(configOf({ maxSteps: 2, out: a }), { log: (l) => log.push(l), overwrite: true });
    expect(log.join('\n')).toMatch(/--overwrite: removed the previous run's checkpoints, metrics\.jsonl, model, report\.html/);
    expect(losses(a)).toEqual(reference.slice(0, 2));
    expect(readFileSync(path.join(a, 'notes.txt'), 'utf8')).toBe('mine');
  }, 120_000);

  it('a second writer of the same folder is refused while the first holds it', async () => {
    const out = outDir();
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), started: 'now' }));
    const e = await rejection(train(configOf({ maxSteps: 1, out }), { log: quiet }));
    expect(e.code).toBe('LOCKED');
    expect(readdirSync(out)).toEqual([LOCK_FILE]);
  });
});
