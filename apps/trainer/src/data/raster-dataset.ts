/**
 * In-memory datasets for the trainer (browser-safe: no Node module is reached from here): seeded
 * shuffling per epoch (the same seed gives the same order, so a resumed run sees the same data),
 * images normalised with the dataset's mean/std, random horizontal flips and shifts for training.
 * Same-size raster sources (MNIST-style, CIFAR, synthetic) are prepared on the main thread: at 28×28
 * this costs far less than a training step. The playground builds its batches with this same code.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, type DataSource } from '@nf/data';
import type { Pixels } from '../report/report-images.js';

/** Where training stands in the data: the next batch starts at `index` in the order of `epoch`. */
export interface DataPosition {
  epoch: number;
  index: number;
}

/** One training batch and where the next one starts. */
export interface StreamBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  /** Examples in the batch (fewer than the batch size when unreadable images were left out). */
  size: number;
  /** Unreadable images left out of this batch. */
  skipped: number;
  /** The last batch of its epoch: evaluate (and checkpoint) after it. */
  lastInEpoch: boolean;
  /** Where the batch after this one starts (a new epoch at index 0 after the last). */
  next: DataPosition;
}

/** Training batches from a position on; `step` (the step the batch is for) seeds in-memory augmentation. */
export interface BatchStream {
  next(step: number): Promise<StreamBatch>;
  close(): Promise<void>;
}

export interface TrainBatchOptions {
  batchSize: number;
  /** Random translation by up to this many pixels (in-memory sets). */
  shift: number;
  seed: number;
}

/** An evaluation batch: images in example order, unaugmented (resized and centre-cropped for files). */
export interface EvalBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  size: number;
  /** The dataset index of each example (unreadable files left out). */
  indices: ArrayLike<number>;
}

/** What training and evaluation need of a dataset, whether it is in memory or streamed from files. */
export interface Dataset {
  name: string;
  size: number;
  numClasses: number;
  classNames: readonly string[];
  /** [H, W, C] of the training images. */
  shape: [number, number, number];
  /** The mean/std (0–1 scale) the images are normalised with. */
  normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
  /** Training batches (each epoch shuffled, full batches only) from `from` on. */
  trainBatches(from: DataPosition, options: TrainBatchOptions): BatchStream;
  /** The first `limit` examples (0 = all) in order, in batches. The caller disposes each batch. */
  evalBatches(batchSize: number, limit: number): AsyncGenerator<EvalBatch>;
  /** The 8-bit image of example `index` (an index `evalBatches` gave), as stored or a thumbnail, for the report. */
  evalImage(index: number): Promise<Pixels | undefined>;
}

/** A dataset held in memory as same-size images: examples by index, synchronously. */
export interface RasterDataset extends Dataset {
  /** Example order of an epoch. */
  order(epoch: number, shuffle: boolean): Uint32Array;
  /** Images [B, H, W, C] (float32, normalised) and int32 labels [B] of these examples. */
  batch(indices: ArrayLike<number>, augment: Augment): { images: tf.Tensor4D; labels: tf.Tensor1D };
}

/** Training-time augmentation of a batch, drawn from `seed`. */
export interface Augment {
  /** Random horizontal flip (p = 0.5). */
  flip: boolean;
  /** Random translation by up to this many pixels in each direction, zero (black) fill: the same as
   * timm / torchvision `RandomCrop(size, padding=shift)`. 0 = off (and draws nothing). */
  shift?: number;
  seed: number;
}

/** A uniform [0, 1) generator from @nf/data's seeded PRNG (the one its pipeline uses). */
export function seededUniform(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export function fromSource(source: DataSource, seed: number, limit = 0): RasterDataset {
  if (source.spec.kind !== 'raster' || !source.imageSize) {
    throw new Error(`dataset '${source.name}' is not a same-size raster set; the trainer's preset datasets are.`);
  }
  const { height: h, width: w, channels: c, data } = source.spec;
  const size = limit > 0 ? Math.min(limit, source.size) : source.size;
  const mean = source.normalization.mean;
  const std = source.normalization.std;
  const pick = (v: readonly number[], k: number) => (v.length === c ? v[k]! : v[0]!);
  const scale = Float32Array.from({ length: c }, (_, k) => 1 / (255 * pick(std, k)));
  const bias = Float32Array.from({ length: c }, (_, k) => -pick(mean, k) / pick(std, k));
  const pixels = h * w * c;
  const dataset: RasterDataset = {
    name: source.name,
    size,
    numClasses: source.numClasses,
    classNames: source.classNames,
    shape: [h, w, c],
    normalization: source.normalization,
    trainBatches: (from, options) => rasterStream(dataset, from, options),
    async *evalBatches(batchSize, limit) {
      const n = limit > 0 ? Math.min(limit, size) : size;
      const order = dataset.order(0, false);
      for (let start = 0; start < n; start += batchSize) {
        const idx = order.subarray(start, Math.min(n, start + batchSize));
        yield { ...dataset.batch(idx, { flip: false, seed: 0 }), size: idx.length, indices: idx };
      }
    },
    async evalImage(index) {
      if (!(Number.isInteger(index) && index >= 0 && index < size)) return undefined;
      return { data: data.subarray(index * pixels, (index + 1) * pixels), width: w, height: h, channels: c as 1 | 3 };
    },
    order(epoch, shuffle) {
      const order = Uint32Array.from({ length: size }, (_, i) => i);
      if (!shuffle) return order;
      const rand = seededUniform(seed * 1_000_003 + epoch);
      for (let i = size - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      return order;
    },
    batch(indices, augment) {
      const n = indices.length;
      const images = new Float32Array(n * pixels);
      const labels = new Int32Array(n);
      const rand = seededUniform(augment.seed);
      for (let b = 0; b < n; b++) {
        const idx = indices[b]!;
        labels[b] = source.labels[idx]!;
        const flip = augment.flip && rand() < 0.5;
        const shift = augment.shift ?? 0;
        // Output pixel (y, x) reads source (y − dy, x − dx); outside the image it is black (raw 0).
        const dy = shift > 0 ? Math.floor(rand() * (2 * shift + 1)) - shift : 0;
        const dx = shift > 0 ? Math.floor(rand() * (2 * shift + 1)) - shift : 0;
        const src = idx * pixels;
        const dst = b * pixels;
        for (let y = 0; y < h; y++) {
          const sy = y - dy;
          for (let x = 0; x < w; x++) {
            const fx = flip ? w - 1 - x : x;
            const sx = fx - dx;
            const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            for (let k = 0; k < c; k++) images[dst + (y * w + x) * c + k] = (inside ? data[src + (sy * w + sx) * c + k]! * scale[k]! : 0) + bias[k]!;
          }
        }
      }
      return { images: tf.tensor4d(images, [n, h, w, c]), labels: tf.tensor1d(labels, 'int32') };
    },
  };
  return dataset;
}

/**
 * The training batches of an in-memory set: each epoch's seeded order in full batches (the short rest
 * left out), flipped and shifted with draws seeded by (seed, step), so that a resumed run sees the same
 * batches as an uninterrupted one.
 */
function rasterStream(data: RasterDataset, from: DataPosition, options: TrainBatchOptions): BatchStream {
  let { epoch, index } = from;
  let order: Uint32Array | undefined;
  let orderEpoch = -1;
  return {
    async next(step) {
      if (index + options.batchSize > data.size) {
        epoch += 1;
        index = 0;
      }
      if (orderEpoch !== epoch) {
        order = data.order(epoch, true);
        orderEpoch = epoch;
      }
      const idx = order!.subarray(index, index + options.batchSize);
      const { images, labels } = data.batch(idx, { flip: true, shift: options.shift, seed: options.seed * 7919 + step });
      index += options.batchSize;
      const lastInEpoch = index + options.batchSize > data.size;
      return { images, labels, size: idx.length, skipped: 0, lastInEpoch, next: lastInEpoch ? { epoch: epoch + 1, index: 0 } : { epoch, index } };
    },
    async close() {},
  };
}
