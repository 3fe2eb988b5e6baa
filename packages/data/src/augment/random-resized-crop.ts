/**
 * Random resized crop (Szegedy et al. 2015, "Inception"), the base training augmentation of
 * DeepMind's nfnets/dataset.py: area fraction in [0.08, 1], aspect ratio in [3/4, 4/3], 10
 * attempts, then a bicubic resize to the training size.
 * Sampling follows torchvision's `RandomResizedCrop.get_params` (area uniform, ratio log-uniform,
 * position uniform); the fallback is DeepMind's centre crop of S/(S+32) of the short side.
 * Differs: TF's `sample_distorted_bounding_box` (DeepMind) also requires min_object_covered = 0.1
 * of the whole-image box, which any crop of ≥ 8 % area already satisfies.
 */
import type { ImageBuffer } from '../image-buffer.js';
import type { Rng } from '../seeded-random.js';
import { centerCropBox, type CropBox } from './crop.js';
import { resize } from './resize.js';

export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's. Default [0.08, 1]. */
  readonly scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height). Default [3/4, 4/3]. */
  readonly ratio?: readonly [number, number];
  /** Draws before falling back to a centre crop. Default 10. */
  readonly attempts?: number;
}

export const RANDOM_RESIZED_CROP_DEFAULTS = {
  scale: [0.08, 1] as const,
  ratio: [3 / 4, 4 / 3] as const,
  attempts: 10,
};

/** DeepMind's CROP_PADDING: the fallback crop is S / (S + 32) of the short side. */
const CROP_PADDING = 32;

/**
 * Draws a crop box inside an `height × width` image. `outputSize` (the training size S) only
 * sets the fallback centre crop; the box always lies inside the image.
 */
export function sampleCropBox(
  height: number,
  width: number,
  rng: Rng,
  options: RandomResizedCropOptions = {},
  outputSize = 224,
): CropBox {
  const [smin, smax] = options.scale ?? RANDOM_RESIZED_CROP_DEFAULTS.scale;
  const [rmin, rmax] = options.ratio ?? RANDOM_RESIZED_CROP_DEFAULTS.ratio;
  const attempts = options.attempts ?? RANDOM_RESIZED_CROP_DEFAULTS.attempts;
  const area = height * width;
  const logMin = Math.log(rmin);
  const logMax = Math.log(rmax);
  for (let i = 0; i < attempts; i++) {
    const target = area * rng.uniform(smin, smax);
    const aspect = Math.exp(rng.uniform(logMin, logMax));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const y = rng.int(height - h + 1);
      const x = rng.int(width - w + 1);
      return { x, y, width: w, height: h };
    }
  }
  const side = Math.max(1, Math.floor((outputSize / (outputSize + CROP_PADDING)) * Math.min(height, width)));
  return centerCropBox(height, width, side, side);
}

/** A random crop resized (bicubic) to `height × width`. */
export function randomResizedCrop(
  image: ImageBuffer,
  rng: Rng,
  height: number,
  width: number,
  options: RandomResizedCropOptions = {},
): ImageBuffer {
  const box = sampleCropBox(image.height, image.width, rng, options, Math.min(height, width));
  return resize(image, height, width, 'bicubic', box);
}
