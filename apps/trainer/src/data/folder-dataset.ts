/**
 * Image-folder datasets for `nf-train train --data DIR` (torchvision's ImageFolder layout, as timm's
 * `train.py --data-dir`): DIR holds `train/` and `val/` (or `validation/`), each with one sub-folder per
 * class; or DIR is one class-folder tree and `valSplit` holds out a seeded, stratified share of each
 * class. Classes are the sorted train folder names. Images are decoded and augmented in @nf/data's
 * worker threads: training batches get a random resized crop to the model's train size, a flip and
 * RandAugment; evaluation batches are resized and centre-cropped to its test size (timm's convention,
 * aspect ratio kept). Unreadable images are left out of their batch, counted and reported once each.
 */
import * as tf from '@tensorflow/tfjs';
import { createPipeline, hashSeed, imageFolder, readImage, resize, Rng, type AugmentOptions, type DataSource } from '@nf/data/node';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { BatchStream, Dataset } from './dataset.js';
import { TrainerError, quote } from '../errors.js';

export interface FolderDataOptions {
  /** The dataset folder: train/ + val/ (or validation/), or one class-folder tree with `valSplit`. */
  dir: string;
  /** Share of each class held out for evaluation when DIR is one tree (0 = DIR must hold train/ and val/). */
  valSplit: number;
  seed: number;
  /** The model's train and test image sizes. */
  trainSize: number;
  testSize: number;
  channels: 1 | 3;
  /** RandAugment layers and magnitude for training (layers 0 = off). */
  randAugment: { layers: number; magnitude: number };
  /** Worker threads that decode and augment (0 = on the main thread). */
  workers: number;
  log: (line: string) => void;
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** The train and validation sources of a dataset folder, validated; labels follow the train classes. */
export async function folderSources(dir: string, valSplit: number, seed: number): Promise<{ train: DataSource; val: DataSource }> {
  if (!(await isDir(dir))) throw new TrainerError('BAD_DATASET', `--data ${quote(dir)} is not a folder; give a folder with train/ and val/ class folders, or one class-folder tree and --val-split 0.1.`);
  const trainDir = path.join(dir, 'train');
  if (await isDir(trainDir)) {
    const valDir = (await isDir(path.join(dir, 'val'))) ? path.join(dir, 'val') : (await isDir(path.join(dir, 'validation'))) ? path.join(dir, 'validation') : undefined;
    const train = await imageFolder(trainDir);
    if (!valDir) {
      if (valSplit > 0) return splitSource(train, valSplit, seed);
      throw new TrainerError('BAD_DATASET', `${quote(dir)} has train/ but no val/ or validation/ folder; add one (same class folders), or pass --val-split 0.1 to hold out 10 % of each train class.`);
    }
    if (valSplit > 0) throw new TrainerError('BAD_DATASET', `--val-split applies to a single class-folder tree, but ${quote(dir)} has train/ and ${path.basename(valDir)}/: drop --val-split.`);
    const val = await imageFolder(valDir);
    const missing = val.classNames.filter((c) => !train.classNames.includes(c));
    if (missing.length > 0) {
      throw new TrainerError('BAD_DATASET', `class folder ${quote(path.join(valDir, missing[0]!))} has no counterpart in ${quote(trainDir)}${missing.length > 1 ? ` (nor ${missing.length - 1} more)` : ''}; the classes are the train folder names.`);
    }
    const labels = Int32Array.from(val.labels, (l) => train.classNames.indexOf(val.classNames[l]!));
    return { train, val: { ...val, classNames: train.classNames, numClasses: train.numClasses, labels } };
  }
  if (!(valSplit > 0)) {
    throw new TrainerError('BAD_DATASET', `${quote(dir)} has no train/ folder; give a folder with train/ and val/ class folders, or pass --val-split 0.1 to hold out 10 % of each class of this tree.`);
  }
  return splitSource(await imageFolder(dir), valSplit, seed);
}

/** The examples of `source` at `indices` (in that order), as a source of its own. */
export function subsetSource(source: DataSource, indices: readonly number[], name: string): DataSource {
  if (source.spec.kind !== 'files') throw new TrainerError('BAD_DATASET', `cannot split ${quote(source.name)}: only image folders are split.`);
  const paths = source.spec.paths;
  return {
    ...source,
    name,
    size: indices.length,
    labels: Int32Array.from(indices, (i) => source.labels[i]!),
    spec: { ...source.spec, paths: indices.map((i) => paths[i]!) },
  };
}

/**
 * A seeded, stratified split: in each class, round(n · share) examples (at least 1 and at most n − 1
 * when the class has 2 or more) drawn by a generator seeded with (seed, class), the same on every run
 * and resume. Both parts keep the folder's order.
 */
export function splitSource(source: DataSource, share: number, seed: number): { train: DataSource; val: DataSource } {
  const byClass: number[][] = Array.from({ length: source.numClasses }, () => []);
  source.labels.forEach((label, i) => byClass[label]!.push(i));
  const held = new Set<number>();
  byClass.forEach((members, label) => {
    const n = members.length;
    const take = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * share)));
    for (const i of draw(members, take, new Rng(hashSeed(seed, 0x5eed, label)))) held.add(i);
  });
  const all = Array.from({ length: source.size }, (_, i) => i);
  return {
    train: subsetSource(source, all.filter((i) => !held.has(i)), `${source.name} (train, ${Math.round((1 - share) * 100)} %)`),
    val: subsetSource(source, all.filter((i) => held.has(i)), `${source.name} (val, ${Math.round(share * 100)} %)`),
  };
}

/** A dataset whose batches come from @nf/data's pipeline (decoded and augmented in worker threads). */
export function folderDataset(
  source: DataSource,
  o: {
    size: number;
    channels: 1 | 3;
    augment: AugmentOptions | 'eval';
    workers: number;
    log: (line: string) => void;
    /** Given every unreadable image (once each) instead of the first 20 being logged. */
    onSkipped?: (skipped: { path: string; reason: string }) => void;
  },
): Dataset {
  const reported = new Set<string>();
  const report = (skipped: ReadonlyArray<{ path: string; reason: string }>) => {
    for (const s of skipped) {
      if (reported.has(s.path)) continue;
      reported.add(s.path);
      if (o.onSkipped) o.onSkipped(s);
      else if (reported.size <= 20) o.log(`skipped ${quote(s.path)}: ${s.reason}`);
      else if (reported.size === 21) o.log('skipped: more unreadable images (counted in the epoch lines and metrics)');
    }
  };
  const common = { imageSize: o.size, channels: o.channels, workers: o.workers, labels: 'int' as const };
  return {
    name: source.name,
    size: source.size,
    numClasses: source.numClasses,
    classNames: source.classNames,
    shape: [o.size, o.size, o.channels],
    normalization: source.normalization,
    trainBatches(from, options): BatchStream {
      if (o.augment === 'eval') throw new TrainerError('BAD_DATASET', `${quote(source.name)} is an evaluation set.`);
      const pipeline = createPipeline(source, { ...common, batchSize: options.batchSize, seed: options.seed, shuffle: true, epochs: Infinity, dropRemainder: true, augment: o.augment, start: from });
      const batches = pipeline[Symbol.asyncIterator]();
      return {
        async next() {
          const r = await batches.next();
          if (r.done) throw new TrainerError('BAD_DATASET', `${quote(source.name)}: the data pipeline ended early.`);
          const b = r.value;
          report(pipeline.skipped);
          return { images: b.images, labels: b.labels as tf.Tensor1D, size: b.size, skipped: b.skipped, lastInEpoch: b.lastInEpoch, next: { epoch: b.position.epoch, index: b.position.index } };
        },
        close: async () => pipeline.close(),
      };
    },
    async evalImage(index) {
      if (!(Number.isInteger(index) && index >= 0 && index < source.size)) return undefined;
      try {
        const image = await readImage(source, index);
        // A thumbnail of at most 96 pixels on the long side, aspect ratio kept.
        const scale = Math.min(1, 96 / Math.max(image.width, image.height));
        const small = scale < 1 ? resize(image, Math.max(1, Math.round(image.height * scale)), Math.max(1, Math.round(image.width * scale)), 'bilinear') : image;
        return { data: small.data, width: small.width, height: small.height, channels: small.channels as 1 | 3 };
      } catch {
        return undefined;
      }
    },
    async *evalBatches(batchSize, limit) {
      // A limit takes a seeded sample across the classes (a folder lists them one after the other).
      const picked = limit > 0 && limit < source.size ? sample(source.size, limit) : undefined;
      const src = picked ? subsetSource(source, picked, `${source.name} (${limit} of ${source.size})`) : source;
      const pipeline = createPipeline(src, { ...common, batchSize, shuffle: false, epochs: 1, augment: 'eval' });
      try {
        for await (const b of pipeline) {
          report(pipeline.skipped);
          yield { images: b.images, labels: b.labels as tf.Tensor1D, size: b.size, indices: picked ? Array.from(b.indices, (i) => picked[i]!) : b.indices };
        }
      } finally {
        // Files of trailing batches that were all unreadable (no batch was yielded for them).
        report(pipeline.skipped);
        await pipeline.close();
      }
    },
  };
}

/** `k` of `items` drawn without replacement by `rng` (the first k steps of a Fisher–Yates shuffle), in draw order. */
function draw<T>(items: readonly T[], k: number, rng: Rng): T[] {
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng.next() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

/** `k` of `n` indices drawn with a fixed seed, in increasing order. */
function sample(n: number, k: number): number[] {
  return draw(Array.from({ length: n }, (_, i) => i), k, new Rng(hashSeed(0x5a3b1e))).sort((a, b) => a - b);
}

/** Train and evaluation datasets of an image folder at the model's sizes. */
export async function loadFolderDatasets(o: FolderDataOptions): Promise<{ train: Dataset; test: Dataset }> {
  const { train, val } = await folderSources(o.dir, o.valSplit, o.seed);
  if (val.size === 0) throw new TrainerError('BAD_DATASET', `${quote(o.dir)}: no image is held out for evaluation (classes of one image cannot be split); add images or a val/ folder.`);
  const augment: AugmentOptions = {
    randomResizedCrop: true,
    flip: true,
    ...(o.randAugment.layers > 0 ? { randAugment: { layers: o.randAugment.layers, magnitude: o.randAugment.magnitude } } : {}),
  };
  return {
    train: folderDataset(train, { size: o.trainSize, channels: o.channels, augment, workers: o.workers, log: o.log }),
    test: folderDataset(val, { size: o.testSize, channels: o.channels, augment: 'eval', workers: o.workers, log: o.log }),
  };
}
