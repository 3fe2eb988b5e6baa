/**
 * `nf-train predict MODEL IMAGE|DIR…` with a tiny model trained here on an image folder: folders are
 * walked (sorted, bounded, dotfiles and other extensions left out); each image gets the top-k classes
 * of softmax(logits), probabilities summing to 1 over all classes, its top-1 the argmax of the model's
 * logits on the same image prepared independently (decodeImage → evalTransform → normalize); corrupt,
 * missing and oddly named files are reported in their place, on one line each; results do not depend on
 * the batch size or the worker threads; the exit code says whether anything was classified; no tensor
 * is left behind. Through the API and the built bin.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { decodeImage, evalTransform, normalize } from '@nf/data/node';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imagePaths, type ImageEntry } from './image-paths.js';
import { loadInferenceModel, type InferenceModel } from '../model/inference-model.js';
import { predictCommand, predictImages, type PredictResult } from './predict.js';
import { train } from '../train.js';
import { TrainerError } from '../errors.js';
import { tempDirs, built } from '../../test/runs.js';
import { BROKEN_JPEG, CLASSES, LEARNS, tinyImageConfig, writeImage, writeTree } from '../../test/image-tree.js';

const tempDir = tempDirs('predict');
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const isBuilt = built(cli);

function bin(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function collect(m: InferenceModel, entries: ImageEntry[], options: Parameters<typeof predictImages>[2] = {}): Promise<PredictResult[]> {
  const out: PredictResult[] = [];
  for await (const r of predictImages(m, entries, options)) out.push(r);
  return out;
}

/** The model's logits for one file, prepared here without the pipeline. */
async function logitsOf(m: InferenceModel, file: string): Promise<number[]> {
  const image = evalTransform(await decodeImage(readFileSync(file), 3), m.testSize[0], m.testSize[1]);
  const x = normalize(image, m.normalization);
  return tf.tidy(() => Array.from((m.model.predict(tf.tensor4d(x, [1, image.height, image.width, 3])) as tf.Tensor).dataSync()));
}

const argmax = (v: number[]) => v.indexOf(Math.max(...v));

describe('nf-train predict (a tiny model trained on an image folder, wasm)', () => {
  let run: string;
  let photos: string;
  let m: InferenceModel;
  const odd = 'bad\nname.jpg';

  beforeAll(async () => {
    await tf.setBackend('wasm');
    const data = tempDir();
    await writeTree(path.join(data, 'train'), 5);
    await writeTree(path.join(data, 'val'), 2);
    run = path.join(tempDir(), 'run');
    await train(tinyImageConfig(data, run, LEARNS), { log: () => undefined });
    // Photos to classify: 6 of every kind (2 nested), a corrupt one, one with a newline in its name,
    // and files that are not images or hidden.
    photos = tempDir();
    await writeTree(photos, 2);
    await writeTree(path.join(photos, 'z-nested', 'more'), 1, ['fox']);
    writeFileSync(path.join(photos, 'broken.jpg'), BROKEN_JPEG);
    writeFileSync(path.join(photos, odd), BROKEN_JPEG);
    writeFileSync(path.join(photos, 'notes.txt'), 'not an image');
    await writeImage(path.join(photos, '.hidden.jpg'), 'cat', 0, 'jpg');
    m = await loadInferenceModel(run);
  }, 240_000);

  afterAll(() => m?.model.dispose());

  it('a folder: images found recursively, sorted, dotfiles and other extensions left out', async () => {
    const entries = await imagePaths([photos]);
    const files = entries.map((e) => path.relative(photos, e.file));
    expect(files).toEqual(['bad\nname.jpg', 'broken.jpg', 'cat/cat-0.jpg', 'cat/cat-1.JPG', 'dog/dog-0.jpg', 'dog/dog-1.JPG', 'fox/fox-0.jpg', 'fox/fox-1.JPG', 'z-nested/more/fox/fox-0.jpg']);
    expect(entries.every((e) => e.error === undefined)).toBe(true);
  });

  it('top-k of softmax: probabilities sum to 1, top-1 = argmax of the logits on the same image; corrupt files reported in place; no tensor leaks', async () => {
    const entries = await imagePaths([photos]);
    const before = tf.memory().numTensors;
    const results = await collect(m, entries);
    expect(tf.memory().numTensors).toBe(before);
    expect(results.map((r) => r.file)).toEqual(entries.map((e) => e.file));
    const bad = results.filter((r) => r.error !== undefined);
    expect(bad.map((r) => path.basename(r.file))).toEqual([odd, 'broken.jpg']);
    for (const r of bad) expect(r.error).toMatch(/^cannot decode/);
    const good = results.filter((r) => r.top !== undefined);
    expect(good).toHaveLength(7);
    let right = 0;
    for (const r of good) {
      // Top 5 asked, 3 classes: all of them, most probable first.
      expect(r.top!.map((p) => p.class).sort()).toEqual(CLASSES);
      const p = r.top!.map((t) => t.probability);
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      expect([...p].sort((a, b) => b - a)).toEqual(p);
      const logits = await logitsOf(m, r.file);
      expect(r.top![0]!.class).toBe(CLASSES[argmax(logits)]);
      const z = logits.map((l) => Math.exp(l - Math.max(...logits)));
      for (const t of r.top!) expect(t.probability).toBeCloseTo(z[CLASSES.indexOf(t.class)]! / z.reduce((a, b) => a + b, 0), 5);
      if (r.top![0]!.class === path.basename(path.dirname(r.file))) right += 1;
    }
    expect(tf.memory().numTensors).toBe(before);
    // The model learned the colours: most photos are named after their folder.
    expect(right).toBeGreaterThanOrEqual(4);
  });

  it('the same results in batches of 1 and 2, with 0 or 1 worker threads, whatever fails where; --top-k 1', async () => {
    const cat = path.join(photos, 'cat', 'cat-0.jpg');
    const fox = path.join(photos, 'fox', 'fox-1.JPG');
    const broken = path.join(photos, 'broken.jpg');
    const args = [broken, cat, broken, path.join(photos, 'missing.jpg'), broken, broken, fox, path.join(photos, 'notes.txt'), broken];
    const entries = await imagePaths(args);
    expect(entries[3]).toEqual({ file: args[3], error: 'cannot read (no such file or folder)' });
    const reference = await collect(m, entries, { batchSize: 32, workers: 0 });
    expect(reference.map((r) => r.file)).toEqual(args);
    expect(reference.map((r) => (r.error === undefined ? 'ok' : r.error.split(' (')[0]))).toEqual(['cannot decode', 'ok', 'cannot decode', 'cannot read', 'cannot decode', 'cannot decode', 'ok', 'cannot decode', 'cannot decode']);
    const before = tf.memory().numTensors;
    // libvips appends whatever its (process-wide) error buffer holds to a decode error, so the text after
    // the reason's first clause varies from run to run: results are compared up to it.
    const stable = (rows: typeof reference) => rows.map((r) => (r.error === undefined ? r : { ...r, error: r.error.split(':')[0] }));
    for (const [batchSize, workers] of [
      [1, 0],
      [2, 0],
      [2, 1],
    ] as const) {
      expect(stable(await collect(m, entries, { batchSize, workers }))).toEqual(stable(reference));
    }
    const one = await collect(m, entries, { topK: 1 });
    expect(one[1]!.top).toEqual([reference[1]!.top![0]]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('predictCommand: text lines (names escaped, problems on err), JSON lines, exit code 1 when nothing was classified', async () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(await predictCommand(m, [photos], { topK: 2 }, { out: (l) => out.push(l), err: (l) => err.push(l) })).toBe(0);
    expect(out).toHaveLength(7);
    expect(out[0]).toMatch(/^'.*\/cat\/cat-0\.jpg': (cat|dog|fox) \d\.\d{4}, (cat|dog|fox) \d\.\d{4}$/);
    expect(err).toEqual([expect.stringMatching(/^skipped ".*\/bad\\nname\.jpg": cannot decode \(/), expect.stringMatching(/^skipped '.*\/broken\.jpg': cannot decode \(/)]);
    for (const line of [...out, ...err]) expect(line).not.toMatch(/\n/);

    const lines: string[] = [];
    expect(await predictCommand(m, [photos], { json: true }, { out: (l) => lines.push(l), err: (l) => err.push(l) })).toBe(0);
    const parsed = lines.map((l) => JSON.parse(l) as PredictResult);
    expect(parsed).toHaveLength(9);
    expect(parsed[0]).toEqual({ file: path.join(photos, odd), error: expect.stringMatching(/^cannot decode/) });
    expect(parsed[2]!.top).toHaveLength(3);

    const none: string[] = [];
    const broken = path.join(photos, 'broken.jpg');
    expect(await predictCommand(m, [broken, path.join(photos, 'nothing-here')], {}, { out: (l) => none.push(l), err: (l) => none.push(l) })).toBe(1);
    expect(none).toEqual([expect.stringMatching(/^skipped '.*broken\.jpg': cannot decode/), expect.stringMatching(/^skipped '.*nothing-here': cannot read \(no such file or folder\)$/), 'nf-train: no image could be classified (2 skipped).']);
  });

  it('folder walks are bounded; link loops end; an empty folder is reported', async () => {
    const dir = tempDir();
    await writeImage(path.join(dir, 'a', 'b', 'c', 'deep.jpg'), 'cat', 0, 'jpg');
    symlinkSync(dir, path.join(dir, 'a', 'loop'));
    expect((await imagePaths([dir])).map((e) => path.relative(dir, e.file))).toEqual(['a/b/c/deep.jpg']);
    const deep = await imagePaths([dir], { maxDepth: 1 }).catch((e: unknown) => e);
    expect(deep).toBeInstanceOf(TrainerError);
    expect((deep as Error).message).toMatch(/^'.*\/a\/b' is more than 1 folder levels below '.*'; give a shallower folder or the images themselves\.$/);
    const many = await imagePaths([dir], { maxEntries: 2 }).catch((e: unknown) => e);
    expect((many as Error).message).toMatch(/^'.*': more than 2 folder entries; give a smaller folder/);
    const empty = path.join(tempDir(), 'empty');
    mkdirSync(empty);
    expect(await imagePaths([empty])).toEqual([{ file: empty, error: expect.stringMatching(/^no image files \(\.jpg, \.jpeg, \.png/) }]);
  });

  describe.skipIf(!isBuilt)('the bin (needs `pnpm build` first)', () => {
    it('text, --top-k and --json; exit 1 when nothing could be classified', () => {
      const cwd = tempDir();
      const text = bin(['predict', run, photos, '--top-k', '2', '--backend', 'wasm'], cwd);
      expect(text.code).toBe(0);
      const lines = text.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^backend: wasm/);
      expect(lines.slice(1)).toHaveLength(7);
      expect(lines[1]).toMatch(/^'.*\/cat\/cat-0\.jpg': (cat|dog|fox) \d\.\d{4}, (cat|dog|fox) \d\.\d{4}$/);
      expect(text.stderr).toMatch(/^skipped ".*\/bad\\nname\.jpg": cannot decode .*\nskipped '.*\/broken\.jpg': cannot decode .*\n$/);

      const json = bin(['predict', path.join(run, 'model'), photos, '--json', '--backend', 'wasm'], cwd);
      expect(json.code).toBe(0);
      const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as PredictResult);
      expect(rows).toHaveLength(9);
      for (const r of rows.filter((x) => x.top)) expect(Math.abs(r.top!.reduce((a, p) => a + p.probability, 0) - 1)).toBeLessThan(1e-5);
      expect(json.stderr).toMatch(/^backend: wasm/);

      const none = bin(['predict', run, path.join(photos, 'broken.jpg'), '--backend', 'wasm'], cwd);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^skipped '.*broken\.jpg': cannot decode .*\nnf-train: no image could be classified \(1 skipped\)\.\n$/);
    });
  });
});
