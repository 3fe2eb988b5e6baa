/**
 * MixUp / CutMix as timm's `Mixup` in batch mode (timm/data/mixup.py: `_params_per_batch`,
 * `_mix_batch`, `rand_bbox`, `cutmix_bbox_and_lam`, `mixup_target`). One draw per batch:
 *   - mixed at all with probability `prob`; with both on, CutMix with probability `switchProb`;
 *   - λ ~ Beta(α, α) of the chosen method; λ = 1 means the batch is left as it is;
 *   - MixUp: x = λ·x + (1 − λ)·x.flip(0);
 *   - CutMix: a box with sides ⌊H·√(1−λ)⌋, ⌊W·√(1−λ)⌋ centred uniformly (clipped to the image) is
 *     pasted from x.flip(0), and λ becomes 1 − box area / image area;
 *   - targets = λ·smooth(onehot(y)) + (1 − λ)·smooth(onehot(y.flip(0))), off = ε/K, on = 1 − ε + off.
 * Every draw comes from a generator seeded by hash(seed, step), so a resumed run mixes exactly as
 * an uninterrupted one. Differs from DeepMind (half the batch MixUp, half CutMix, every example
 * mixed, nfnet-facts.md §6.2): one method per batch, as timm.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, hashSeed } from '@nf/data';

export interface MixOptions {
  /** MixUp Beta(α, α) parameter; 0 = off. */
  mixup: number;
  /** CutMix Beta(α, α) parameter; 0 = off. */
  cutmix: number;
  /** Probability that a batch is mixed. */
  prob: number;
  /** Probability of CutMix rather than MixUp when both are on. */
  switchProb: number;
}

/** A box of rows [y0, y1) and columns [x0, x1). */
export interface Box {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** What one batch gets: `lam` weights the batch itself, 1 − `lam` its flipped copy. */
export type MixParams = { kind: 'none'; lam: 1 } | { kind: 'mixup'; lam: number } | { kind: 'cutmix'; lam: number; box: Box };

/** The draws mixing needs (an @nf/data `Rng`, or a stub in tests). */
export type MixRandom = Pick<Rng, 'next' | 'int' | 'beta'>;

/** Stream tag so that the mixing draws never coincide with another stream built from (seed, step). */
const MIX_STREAM = 0x6d6978; // 'mix'

/** True when the options mix anything at all. */
export function mixingEnabled(options: MixOptions): boolean {
  return options.prob > 0 && (options.mixup > 0 || options.cutmix > 0);
}

/** The generator of step `step`'s mixing draws in a run seeded `seed`. */
export function mixRng(seed: number, step: number): Rng {
  return new Rng(hashSeed(seed >>> 0, MIX_STREAM, step));
}

/** timm `rand_bbox`: cut ratio √(1 − λ), centre uniform over the pixels, half-sides ⌊cut / 2⌋, clipped. */
export function randBox(rng: MixRandom, lam: number, height: number, width: number): Box {
  const ratio = Math.sqrt(1 - lam);
  const cutH = Math.floor(height * ratio);
  const cutW = Math.floor(width * ratio);
  const cy = rng.int(height);
  const cx = rng.int(width);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const halfH = Math.floor(cutH / 2);
  const halfW = Math.floor(cutW / 2);
  return { y0: clip(cy - halfH, height), y1: clip(cy + halfH, height), x0: clip(cx - halfW, width), x1: clip(cx + halfW, width) };
}

/** timm `cutmix_bbox_and_lam` with `correct_lam`: λ = 1 − box area / image area. */
export function boxLam(box: Box, height: number, width: number): number {
  return 1 - ((box.y1 - box.y0) * (box.x1 - box.x0)) / (height * width);
}

/** timm `_params_per_batch` (+ the box of `_mix_batch`), in its order of draws. */
export function drawMix(rng: MixRandom, options: MixOptions, height: number, width: number): MixParams {
  if (!mixingEnabled(options) || !(rng.next() < options.prob)) return { kind: 'none', lam: 1 };
  let useCutmix: boolean;
  if (options.mixup > 0 && options.cutmix > 0) useCutmix = rng.next() < options.switchProb;
  else useCutmix = options.cutmix > 0;
  const alpha = useCutmix ? options.cutmix : options.mixup;
  const lam = rng.beta(alpha, alpha);
  if (lam === 1) return { kind: 'none', lam: 1 };
  if (!useCutmix) return { kind: 'mixup', lam };
  const box = randBox(rng, lam, height, width);
  return { kind: 'cutmix', lam: boxLam(box, height, width), box };
}

/** Mixes NHWC images with their batch-reversed copy as `params` says (a new tensor). */
export function mixImages(images: tf.Tensor4D, params: MixParams): tf.Tensor4D {
  return tf.tidy(() => {
    if (params.kind === 'none') return tf.clone(images);
    const flipped = tf.reverse(images, 0);
    if (params.kind === 'mixup') return tf.add(tf.mul(images, params.lam), tf.mul(flipped, 1 - params.lam));
    const [, h, w] = images.shape;
    const { y0, y1, x0, x1 } = params.box;
    const rows = tf.logicalAnd(tf.greaterEqual(tf.range(0, h, 1, 'int32'), y0), tf.less(tf.range(0, h, 1, 'int32'), y1)).reshape([1, h, 1, 1]);
    const cols = tf.logicalAnd(tf.greaterEqual(tf.range(0, w, 1, 'int32'), x0), tf.less(tf.range(0, w, 1, 'int32'), x1)).reshape([1, 1, w, 1]);
    const inside = tf.broadcastTo(tf.logicalAnd(rows, cols), images.shape);
    return tf.where(inside, flipped, images);
  });
}

/** timm `mixup_target`: λ·smooth(onehot(y)) + (1 − λ)·smooth(onehot(y.flip(0))) as [B, K] float32. */
export function mixTargets(labels: tf.Tensor1D, numClasses: number, lam: number, smoothing: number): tf.Tensor2D {
  return tf.tidy(() => {
    const off = smoothing / numClasses;
    const on = 1 - smoothing + off;
    // int32 one-hot, then on/off in float: tfjs-backend-wasm's OneHot writes int32 bits whatever the
    // dtype, so oneHot(…, on, off, 'float32') gives zeros (and denormals) there.
    const hot = tf.cast(tf.oneHot(tf.cast(labels, 'int32'), numClasses), 'float32');
    const y1 = (smoothing === 0 ? hot : tf.add(tf.mul(hot, on - off), off)) as tf.Tensor2D;
    if (lam === 1) return y1;
    return tf.add(tf.mul(y1, lam), tf.mul(tf.reverse(y1, 0), 1 - lam));
  });
}

export interface MixedBatch {
  images: tf.Tensor4D;
  /** Dense targets [B, K] with the smoothing already in (train with labelSmoothing 0). */
  targets: tf.Tensor2D;
  params: MixParams;
}

/** The mixed batch of step `step` (new tensors; the inputs stay the caller's). */
export function mixBatch(
  images: tf.Tensor4D,
  labels: tf.Tensor1D,
  options: MixOptions & { seed: number; step: number; numClasses: number; smoothing: number },
): MixedBatch {
  const [, h, w] = images.shape;
  const params = drawMix(mixRng(options.seed, options.step), options, h, w);
  return { images: mixImages(images, params), targets: mixTargets(labels, options.numClasses, params.lam, options.smoothing), params };
}
