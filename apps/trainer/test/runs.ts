/**
 * Shared by the trainer's end-to-end tests: temporary run folders removed after the file's tests, a
 * narrow model on the synthetic set (short runs, dropout on so that its masks must be reproduced), and
 * the training losses a run recorded.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { TrainerError } from '../src/errors.js';

/** A factory of fresh temporary folders (prefix `nf-<name>-`), all removed after the calling file's tests. */
export function tempDirs(name: string): () => string {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return () => {
    const d = mkdtempSync(path.join(tmpdir(), `nf-${name}-`));
    dirs.push(d);
    return d;
  };
}

/** A narrow NFNet on the synthetic set (512 images: 32 steps an epoch at batch 16). */
export const SMALL_RUN = {
  dataset: 'synthetic',
  batchSize: 16,
  evalLimit: 32,
  modelOverrides: { channels: [16, 16, 32, 32], stemChannels: 16, groupSize: 8, numFeatures: 32, dropRate: 0.2 },
} as const;

/** The metrics rows of a run folder. */
export function metricRows(dir: string): Array<{ kind: string; step: number; loss: number }> {
  return readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { kind: string; step: number; loss: number });
}

/** The training losses of a run folder, in step order. */
export const trainLosses = (dir: string): number[] => metricRows(dir).filter((r) => r.kind === 'train').map((r) => r.loss);

/** The error a promise rejects with, checked to be a one-line TrainerError. */
export async function trainerRejection(p: Promise<unknown>): Promise<TrainerError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(TrainerError);
  expect((e as Error).message).not.toMatch(/\n/);
  return e as TrainerError;
}

/**
 * Whether the built files a test runs exist. Locally a missing build skips those tests (run `pnpm build`);
 * under CI (turbo builds before testing) it is an error, so that a wrong path can never skip them silently.
 */
export function built(...files: string[]): boolean {
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0 && process.env.CI) throw new Error(`built files missing under CI: ${missing.join(', ')}; the test's path or the build is wrong.`);
  return missing.length === 0;
}
