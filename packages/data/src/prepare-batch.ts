/**
 * One batch, start to finish, as a pure function of (source, plan, epoch, start, indices): read
 * and prepare each example, mix pairs (MixUp/CutMix), RandAugment after mixing (NFNet paper
 * App. A.3), normalise to float32 NHWC, encode labels. Runs in a worker thread or inline; the
 * bytes do not depend on where.
 *
 * Pairing: example i is mixed with example B−1−i of the same batch (timm's `Mixup` pairs with the
 * flipped batch). With both MixUp and CutMix, 'split' (default) mixes the first ⌊B/2⌋ examples by
 * MixUp and the rest by CutMix, so every output is mixed and half are of each kind, as DeepMind's
 * `my_mixup_cutmix`; 'switch' picks one of the two per batch.
 * Differs: DeepMind draws 2B images to make B mixed ones; pairing inside the batch keeps one pass
 * over the data per epoch.
 */
import { boxAreaFraction, cutmix, sampleCutmixBox } from './augment/cutmix.js';
import { mixup, sampleMixupRatio } from './augment/mixup.js';
import { randAugment } from './augment/rand-augment.js';
import type { ImageBuffer } from './image-buffer.js';
import { mixedLabels, oneHot, smoothLabels } from './labels.js';
import { normalizationCoefficients, normalizeInto, type Normalization } from './normalization.js';
import { prepareExample, type ExamplePlan } from './prepare-example.js';
import type { ExampleReader, ReadResult, SkippedFile } from './read-example.js';
import { batchRng, exampleRng, type Rng } from './seeded-random.js';

export interface MixPlan {
  /** Beta(α, α) parameter, or null for no MixUp. */
  readonly mixupAlpha: number | null;
  readonly cutmix: boolean;
  readonly mode: 'split' | 'switch';
}

export interface BatchPlan {
  readonly seed: number;
  readonly example: ExamplePlan;
  readonly mix: MixPlan | null;
  readonly randAugmentAfterMix: boolean;
  readonly numClasses: number;
  readonly labels: 'int' | 'one-hot';
  readonly labelSmoothing: number;
  readonly normalization: Normalization;
}

export interface BatchTask {
  readonly epoch: number;
  /** Position of the batch's first example in the epoch order. */
  readonly start: number;
  /** Source indices of the examples. */
  readonly indices: Int32Array;
}

export interface PreparedBatch {
  /** [B, H, W, C] float32, normalised. B = examples kept (bad files are left out). */
  readonly images: Float32Array;
  /** [B] int32 or [B, K] float32. */
  readonly labels: Int32Array | Float32Array;
  /** Source indices of the kept examples. */
  readonly indices: Int32Array;
  readonly skipped: SkippedFile[];
}

/** Reads up to `ahead` examples concurrently (file decoding overlaps the augmentation). */
async function* readAhead(read: ExampleReader, indices: Int32Array, ahead = 4): AsyncGenerator<ReadResult> {
  const pending: Promise<ReadResult>[] = [];
  let next = 0;
  for (let k = 0; k < indices.length; k++) {
    while (next < indices.length && next < k + ahead) pending.push(read(indices[next++]!));
    yield await pending.shift()!;
  }
}

/** Mixes pairs (i, B−1−i); returns the mixed images and each example's own label weight. */
function mixBatch(images: ImageBuffer[], plan: MixPlan, rng: Rng): { images: ImageBuffer[]; weight: Float64Array } {
  const b = images.length;
  const weight = new Float64Array(b);
  const both = plan.mixupAlpha !== null && plan.cutmix;
  const switchToCutmix = both && plan.mode === 'switch' ? rng.bool() : false;
  const out = images.map((image, i) => {
    const partner = images[b - 1 - i]!;
    const useCutmix = !both ? plan.cutmix : plan.mode === 'split' ? i >= b >> 1 : switchToCutmix;
    if (useCutmix) {
      const box = sampleCutmixBox(image.height, image.width, rng);
      weight[i] = 1 - boxAreaFraction(box, image.height, image.width);
      return cutmix(image, partner, box);
    }
    const lambda = sampleMixupRatio(rng, plan.mixupAlpha!);
    weight[i] = lambda;
    return mixup(image, partner, lambda);
  });
  return { images: out, weight };
}

export async function prepareBatch(
  read: ExampleReader,
  sourceLabels: Int32Array,
  task: BatchTask,
  plan: BatchPlan,
): Promise<PreparedBatch> {
  const { example } = plan;
  const raLater = plan.randAugmentAfterMix && plan.mix !== null;
  let images: ImageBuffer[] = [];
  const rngs: Rng[] = [];
  const kept: number[] = [];
  const skipped: SkippedFile[] = [];
  let k = 0;
  for await (const result of readAhead(read, task.indices)) {
    const index = task.indices[k++]!;
    if ('skipped' in result) {
      skipped.push(result.skipped);
      continue;
    }
    const rng = exampleRng(plan.seed, task.epoch, index);
    images.push(prepareExample(result.image, rng, example, !raLater));
    rngs.push(rng);
    kept.push(index);
  }
  const b = images.length;
  let weight: Float64Array | undefined;
  if (plan.mix && b > 0) {
    const mixed = mixBatch(images, plan.mix, batchRng(plan.seed, task.epoch, task.start));
    images = mixed.images;
    weight = mixed.weight;
    if (raLater && example.randAugment) images = images.map((im, i) => randAugment(im, rngs[i]!, example.randAugment!));
  }
  const pixels = example.height * example.width * example.channels;
  const out = new Float32Array(b * pixels);
  const coefficients = normalizationCoefficients(plan.normalization, example.channels);
  images.forEach((im, i) => normalizeInto(im, coefficients, out, i * pixels));
  const own = kept.map((i) => sourceLabels[i]!);
  let labels: Int32Array | Float32Array;
  if (weight) {
    const partner = own.map((_, i) => b - 1 - i);
    labels = smoothLabels(mixedLabels(own, partner, weight, plan.numClasses), plan.numClasses, plan.labelSmoothing);
  } else if (plan.labels === 'one-hot') {
    labels = smoothLabels(oneHot(own, plan.numClasses), plan.numClasses, plan.labelSmoothing);
  } else {
    labels = Int32Array.from(own);
  }
  return { images: out, labels, indices: Int32Array.from(kept), skipped };
}
