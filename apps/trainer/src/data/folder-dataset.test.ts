/**
 * nf-train on image folders: the layouts (train/ + val/, validation/, one tree with a seeded stratified
 * split), the file kinds people have (nested folders, uppercase .JPG, PNG, grayscale and CMYK JPEGs),
 * one error line for each broken layout, and a run that trains through the worker pipeline with a
 * corrupt image skipped and counted, writes the class names, and resumes bit-exactly across an epoch
 * boundary.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { folderSources, splitSource } from './folder-dataset.js';
import { train } from '../train.js';
import { metricRows, tempDirs, trainLosses } from '../../test/runs.js';
import { BROKEN_JPEG, CLASSES, tinyImageConfig, writeTree } from '../../test/image-tree.js';

const tempDir = tempDirs('folder');
async function rejection(p: Promise<unknown>): Promise<Error & { code: string }> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(e).toBeInstanceOf(Error);
  expect((e as Error).message).not.toMatch(/\n/);
  return e as Error & { code: string };
}

describe('image-folder layouts', () => {
  it('train/ + val/: classes are the sorted train folders; every kind of file is listed; val labels follow train', async () => {
    const dir = tempDir();
    await writeTree(path.join(dir, 'train'), 5);
    await writeTree(path.join(dir, 'val'), 2, ['fox', 'cat']);
    const { train: t, val } = await folderSources(dir, 0, 0);
    expect(t.classNames).toEqual(CLASSES);
    expect(t.size).toBe(15);
    expect(val.classNames).toEqual(CLASSES);
    expect(val.size).toBe(4);
    // val/ has only cat and fox: its labels are train's indices (cat 0, fox 2).
    expect([...new Set(val.labels)].sort()).toEqual([0, 2]);
    const paths = (t.spec as unknown as { paths: string[] }).paths;
    expect(paths.some((p) => p.endsWith('.JPG'))).toBe(true);
    expect(paths.some((p) => p.includes(`${path.sep}nested${path.sep}deeper${path.sep}`))).toBe(true);
  });

  it('validation/ is accepted for val/', async () => {
    const dir = tempDir();
    await writeTree(path.join(dir, 'train'), 2);
    await writeTree(path.join(dir, 'validation'), 1);
    expect((await folderSources(dir, 0, 0)).val.size).toBe(3);
  });

  it('one tree with --val-split: seeded, stratified, stable, disjoint and complete', async () => {
    const dir = tempDir();
    await writeTree(dir, 10);
    const a = await folderSources(dir, 0.2, 7);
    const b = await folderSources(dir, 0.2, 7);
    const other = await folderSources(dir, 0.2, 8);
    const paths = (s: { spec: unknown }) => (s.spec as { paths: string[] }).paths;
    expect(paths(a.val)).toEqual(paths(b.val));
    expect(paths(a.val)).not.toEqual(paths(other.val));
    expect(a.val.size).toBe(6);
    expect(a.train.size).toBe(24);
    for (let k = 0; k < 3; k++) expect(a.val.labels.filter((l) => l === k).length).toBe(2);
    expect(new Set([...paths(a.train), ...paths(a.val)]).size).toBe(30);
  });

  it('splitSource keeps at least one image of each class on each side', async () => {
    const dir = tempDir();
    await writeTree(dir, 2);
    const { train: t, val } = splitSource((await folderSources(dir, 0.01, 0)).train, 0.01, 0);
    expect(t.size + val.size).toBeGreaterThan(0);
    const { train: t2, val: v2 } = await folderSources(dir, 0.01, 0);
    expect(t2.size).toBe(3);
    expect(v2.size).toBe(3);
  });

  it.each([
    [
      'a val class missing from train',
      async (dir: string) => {
        await writeTree(path.join(dir, 'train'), 1);
        await writeTree(path.join(dir, 'val'), 1, ['zebra']);
        return 0;
      },
      /^class folder '.*val\/zebra' has no counterpart in '.*train'; the classes are the train folder names\.$/,
    ],
    [
      'an empty class folder',
      async (dir: string) => {
        await writeTree(path.join(dir, 'train'), 1);
        mkdirSync(path.join(dir, 'train', 'empty'));
        await writeTree(path.join(dir, 'val'), 1);
        return 0;
      },
      /^class folder ".*train\/empty" holds no image/,
    ],
    [
      'no images at all',
      async (dir: string) => {
        mkdirSync(path.join(dir, 'train'));
        mkdirSync(path.join(dir, 'val'));
        return 0;
      },
      /^image folder ".*train" has no class subfolders/,
    ],
    [
      'train/ without val/ and no split',
      async (dir: string) => {
        await writeTree(path.join(dir, 'train'), 1);
        return 0;
      },
      /^'.*' has train\/ but no val\/ or validation\/ folder; add one \(same class folders\), or pass --val-split 0\.1/,
    ],
    [
      'a split asked of train/ + val/',
      async (dir: string) => {
        await writeTree(path.join(dir, 'train'), 1);
        await writeTree(path.join(dir, 'val'), 1);
        return 0.1;
      },
      /^--val-split applies to a single class-folder tree, but '.*' has train\/ and val\/: drop --val-split\.$/,
    ],
    [
      'one tree without a split',
      async (dir: string) => {
        await writeTree(dir, 1);
        return 0;
      },
      /^'.*' has no train\/ folder; give a folder with train\/ and val\/ class folders, or pass --val-split 0\.1/,
    ],
    ['not a folder', async () => 0, /^--data '.*missing' is not a folder/],
  ])('%s: one error line naming the folder', async (_, make, message) => {
    const dir = tempDir();
    const valSplit = await make(dir);
    const target = message.source.includes('missing') ? path.join(dir, 'missing') : dir;
    const e = await rejection(folderSources(target, valSplit, 0));
    expect(e.message).toMatch(message);
    expect(typeof e.code).toBe('string');
  });
});

describe('training on an image folder (wasm, one data worker)', () => {
  let dir: string;
  // A tiny NFNet at 32×32: 15 train images in batches of 4 are 3 steps an epoch.
  const run = (out: string, extra: Record<string, unknown> = {}) => tinyImageConfig(dir, out, extra);

  beforeAll(async () => {
    await tf.setBackend('wasm');
    dir = tempDir();
    await writeTree(path.join(dir, 'train'), 5);
    await writeTree(path.join(dir, 'val'), 2);
    // A corrupt JPEG among the training images.
    writeFileSync(path.join(dir, 'train', 'dog', 'broken.jpg'), BROKEN_JPEG);
  }, 60_000);

  it('trains, skips and counts the corrupt image, saves class names; a resume across the epoch boundary is bit-exact', async () => {
    const whole = tempDir();
    const lines: string[] = [];
    const result = await train(run(whole), { log: (l) => lines.push(l) });
    const text = lines.join('\n');
    expect(text).toMatch(/skipped '.*broken\.jpg': /);
    expect(text).toMatch(/1 unreadable training images left out so far/);
    expect(result.steps).toBe(8); // 16 files (one corrupt), batch 4: 4 steps an epoch, 2 epochs
    expect(metricRows(whole).filter((r) => (r as { skippedImages?: number }).skippedImages === 1)).toHaveLength(2);
    expect(JSON.parse(readFileSync(path.join(whole, 'model', 'labels.json'), 'utf8'))).toEqual({ classNames: CLASSES });
    const state = JSON.parse(readFileSync(path.join(whole, 'checkpoints', 'step-00000008', 'state.json'), 'utf8')) as { classNames: string[] };
    expect(state.classNames).toEqual(CLASSES);
    const report = readFileSync(path.join(whole, 'report.html'), 'utf8');
    expect(report).toContain('Per-class accuracy');
    if (result.testAccuracy < 1) expect(report).toMatch(/Misclassified examples[\s\S]*<img [^>]*src="data:image\/png;base64,/);
    const evals = metricRows(whole).filter((r) => r.kind === 'eval') as unknown as Array<{ confusion: number[][] }>;
    expect(evals.at(-1)!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(6);

    // Stop after 5 steps (epoch 2, example 4), then resume: the same losses as the whole run.
    const split = tempDir();
    await train(run(split, { maxSteps: 5 }), { log: () => undefined });
    await train(run(split), { log: () => undefined, resume: true });
    expect(trainLosses(split)).toEqual(trainLosses(whole));
  }, 240_000);
});
