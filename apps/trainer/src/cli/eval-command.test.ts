/**
 * `nf-train eval MODEL --data DIR` on a tiny model trained here on an image folder: through the API
 * and the built bin, the same top-1 as the run's last evaluation on the same val/ folder; per-class
 * counts and the confusion matrix add up to the images read; the unreadable image is reported and
 * counted; a folder class the model does not know is one error line; the model may know more classes;
 * a model without a test size or class names is refused naming the fix; no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateFolder, formatFolderEval, type FolderEvalReport } from './eval-command.js';
import { loadInferenceModel, type InferenceModel } from '../model/inference-model.js';
import { train } from '../train.js';
import { metricRows, tempDirs, trainerRejection, built } from '../../test/runs.js';
import { BROKEN_JPEG, CLASSES, LEARNS, tinyImageConfig, writeTree } from '../../test/image-tree.js';

const tempDir = tempDirs('eval');
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const isBuilt = built(cli);

function bin(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function withModel<T>(target: string, use: (m: InferenceModel) => Promise<T>): Promise<T> {
  const m = await loadInferenceModel(target);
  try {
    return await use(m);
  } finally {
    m.model.dispose();
  }
}

const rejection = trainerRejection;

const sum = (rows: number[][]) => rows.flat().reduce((a, b) => a + b, 0);

describe('nf-train eval --data (a tiny model trained on an image folder, wasm)', () => {
  let data: string;
  let run: string;
  let last: { accuracy: number; loss: number; confusion: number[][] };

  beforeAll(async () => {
    await tf.setBackend('wasm');
    data = tempDir();
    await writeTree(path.join(data, 'train'), 5);
    await writeTree(path.join(data, 'val'), 3);
    // An unreadable image among the validation images: training's evaluation leaves it out too.
    writeFileSync(path.join(data, 'val', 'dog', 'broken.jpg'), BROKEN_JPEG);
    run = path.join(tempDir(), 'run');
    await train(tinyImageConfig(data, run, LEARNS), { log: () => undefined });
    last = metricRows(run).filter((r) => r.kind === 'eval').at(-1) as unknown as typeof last;
  }, 240_000);

  it('the API: the run folder resolves to its model; the same top-1, loss and confusion as the last evaluation of training; counts add up; no tensor leaks', async () => {
    const before = tf.memory().numTensors;
    const skipped: string[] = [];
    const r = await withModel(run, async (m) => {
      expect(m.dir).toBe(path.join(run, 'model'));
      expect(m.testSize).toEqual([32, 32]);
      expect(m.classNames).toEqual(CLASSES);
      const inside = tf.memory().numTensors;
      const report = await evaluateFolder(m, data, { onSkipped: (s) => skipped.push(s.file) });
      expect(tf.memory().numTensors).toBe(inside);
      return report;
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.data).toBe(path.join(data, 'val'));
    expect(r.classes).toEqual(CLASSES);
    expect(r.top1).toBe(last.accuracy);
    expect(r.loss).toBeCloseTo(last.loss, 5);
    expect(r.confusion).toEqual(last.confusion);
    expect(r.top5).toBeUndefined(); // 3 classes
    expect(r.listed).toBe(10);
    expect(r.images).toBe(10);
    expect(r.evaluated).toBe(9);
    expect(skipped).toEqual([path.join(data, 'val', 'dog', 'broken.jpg')]);
    expect(r.skipped).toEqual([{ file: skipped[0], reason: expect.stringMatching(/^cannot decode/) }]);
    expect(sum(r.confusion)).toBe(9);
    expect(r.perClass.reduce((a, c) => a + c.images, 0)).toBe(9);
    expect(r.perClass.map((c) => c.images)).toEqual([3, 3, 3]);
    expect(r.perClass.reduce((a, c) => a + c.correct, 0) / 9).toBe(r.top1);
    expect(r.predictedOther).toBeUndefined();

    const text = formatFolderEval(r);
    expect(text).toContain(`top-1 ${r.top1.toFixed(4)}, loss ${r.loss.toFixed(4)}`);
    expect(text).toMatch(/: 10 images, 9 evaluated, 1 unreadable \(left out\)\n/);
    expect(text).toMatch(/\n {2}# {2}class {2}images {2}correct {2}accuracy\n {2}0 {2}cat +3 +\d +\d\.\d{4}\n {2}1 {2}dog +3 /);
    expect(text).toMatch(/\nconfusion matrix \(rows: true class, columns: predicted class, numbered as above\):\n +0 {2}1 {2}2\n {2}0 cat +\d {2}\d {2}\d\n/);
  });

  it('a folder with fewer classes than the model, as one class-folder tree: columns for the other classes; --limit samples', async () => {
    const tree = tempDir();
    await writeTree(tree, 2, ['fox', 'cat']);
    const r = await withModel(path.join(run, 'model'), (m) => evaluateFolder(m, tree, { workers: 0 }));
    expect(r.data).toBe(tree);
    expect(r.classes).toEqual(['cat', 'fox']);
    expect(r.modelClasses).toBe(3);
    expect(r.confusion).toHaveLength(2);
    expect(sum(r.confusion) + r.predictedOther!.reduce((a, b) => a + b, 0)).toBe(4);
    expect(formatFolderEval(r)).toMatch(/\n +0 {2}1 {2}other\n {2}0 cat +\d {2}\d +\d\n/);
    const limited = await withModel(run, (m) => evaluateFolder(m, tree, { limit: 3 }));
    expect(limited).toMatchObject({ listed: 4, images: 3, evaluated: 3 });
    expect(formatFolderEval(limited)).toMatch(/: 3 images \(a sample of the 4\), 3 evaluated, 0 unreadable/);
  });

  it('a folder class the model does not know is one error line naming the folder', async () => {
    const tree = tempDir();
    await writeTree(tree, 1, ['cat', 'zebra']);
    const e = await rejection(withModel(run, (m) => evaluateFolder(m, tree)));
    expect(e.code).toBe('BAD_DATASET');
    expect(e.message).toMatch(/^class folder '.*\/zebra' is not a class of model '.*\/run\/model', whose classes are 'cat', 'dog', 'fox'; folders are matched to the model's classes by name\.$/);
  });

  it.each([
    ['no test size', (nf: Record<string, unknown>) => delete nf.testSize, false, /^model '.*' records no test size \(userDefinedMetadata\.nf\.testSize in model\.json\).*saveModel\(model, dir, \{ metadata: \{ testSize: 224 \} \}\)/],
    ['no class names and no labels.json', (nf: Record<string, unknown>) => delete nf.classNames, true, /^model '.*' records no class names \(userDefinedMetadata\.nf\.classNames in model\.json, or labels\.json beside it\)/],
    ['no normalization', (nf: Record<string, unknown>) => delete nf.normalization, false, /^model '.*' records no input normalization/],
  ])('a model with %s is refused naming the fix', async (_, edit, dropLabels, message) => {
    const copy = path.join(tempDir(), 'model');
    cpSync(path.join(run, 'model'), copy, { recursive: true });
    const json = JSON.parse(readFileSync(path.join(copy, 'model.json'), 'utf8')) as { userDefinedMetadata: { nf: Record<string, unknown> } };
    edit(json.userDefinedMetadata.nf);
    writeFileSync(path.join(copy, 'model.json'), JSON.stringify(json));
    if (dropLabels) rmSync(path.join(copy, 'labels.json'));
    const before = tf.memory().numTensors;
    const e = await rejection(loadInferenceModel(copy));
    expect(e.code).toBe('BAD_MODEL');
    expect(e.message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('class names from labels.json when the metadata has none; a folder without model.json is refused', async () => {
    const copy = path.join(tempDir(), 'model');
    cpSync(path.join(run, 'model'), copy, { recursive: true });
    const json = JSON.parse(readFileSync(path.join(copy, 'model.json'), 'utf8')) as { userDefinedMetadata: { nf: Record<string, unknown> } };
    delete json.userDefinedMetadata.nf.classNames;
    writeFileSync(path.join(copy, 'model.json'), JSON.stringify(json));
    expect(await withModel(copy, async (m) => m.classNames)).toEqual(CLASSES);
    const e = await rejection(loadInferenceModel(data));
    expect(e.message).toMatch(/^'.*' holds no model\.json, nor model\/model\.json; give a saved model folder/);
  });

  describe.skipIf(!isBuilt)('the bin (needs `pnpm build` first)', () => {
    it('text and --json: the same top-1 as training; the unreadable image on stderr, one line', () => {
      const cwd = tempDir();
      const text = bin(['eval', run, '--data', data, '--backend', 'wasm'], cwd);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`top-1 ${last.accuracy.toFixed(4)}, loss `);
      expect(text.stdout).toMatch(/per-class accuracy:\n/);
      expect(text.stderr).toMatch(/^skipped '.*\/val\/dog\/broken\.jpg': cannot decode .*\n$/);

      const json = bin(['eval', path.join(run, 'model'), '--data', data, '--backend', 'wasm', '--json'], cwd);
      expect(json.code).toBe(0);
      const r = JSON.parse(json.stdout) as FolderEvalReport;
      expect(r.top1).toBe(last.accuracy);
      expect(r.confusion).toEqual(last.confusion);
      expect(r.skipped).toHaveLength(1);
      expect(json.stderr).toMatch(/^backend: wasm/);
    });

    it('an unknown class folder: one error line, exit 1', () => {
      const tree = tempDir();
      const zebra = path.join(tree, 'zebra');
      cpSync(path.join(data, 'val', 'cat'), zebra, { recursive: true });
      const r = bin(['eval', run, '--data', tree, '--backend', 'wasm'], tree);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^nf-train: class folder '.*\/zebra' is not a class of model .* \[BAD_DATASET\]\n$/);
    });
  });
});
