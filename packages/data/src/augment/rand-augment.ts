/**
 * RandAugment (Cubuk et al. 2020) as DeepMind's NFNets use it (nfnets/autoaugment.py
 * `distort_image_with_randaugment`, a copy of TF TPU's AutoAugment): N layers, each picks one of
 * the 16 ops uniformly and always applies it at magnitude M (out of 10):
 * Rotate ±30·M/10°, Posterize int(4·M/10) bits kept, Solarize threshold int(256·M/10),
 * Color/Contrast/Brightness/Sharpness factor 1.8·M/10 + 0.1, ShearX/Y ±0.3·M/10,
 * TranslateX/Y ±translateConst·M/10 px, Cutout pad int(cutoutConst·M/10), SolarizeAdd
 * +int(110·M/10) below 128; geometric fill 128. Signs are drawn per op with probability ½.
 * Differs: with `scaleToImage` (default) translateConst (100) and cutoutConst (40), which DeepMind
 * uses at 224 px, are scaled by min(H, W)/224 so 28- and 32-pixel images are not wiped out
 * (identical at 224 px; pass `scaleToImage: false` for the absolute pixels).
 */
import type { ImageBuffer } from '../image-buffer.js';
import type { Rng } from '../seeded-random.js';
import { rotate, shearX, shearY, translateX, translateY } from './affine.js';
import { autocontrast } from './autocontrast.js';
import { cutout } from './cutout.js';
import { adjustBrightness, adjustColor, adjustContrast, adjustSharpness } from './enhance.js';
import { equalize } from './equalize.js';
import { invert } from './invert.js';
import { posterize } from './posterize.js';
import { solarize, solarizeAdd } from './solarize.js';

/** The op list of TF AutoAugment's RandAugment, in its order. */
export const RAND_AUGMENT_OPS = [
  'AutoContrast',
  'Equalize',
  'Invert',
  'Rotate',
  'Posterize',
  'Solarize',
  'Color',
  'Contrast',
  'Brightness',
  'Sharpness',
  'ShearX',
  'ShearY',
  'TranslateX',
  'TranslateY',
  'Cutout',
  'SolarizeAdd',
] as const;

export type RandAugmentOp = (typeof RAND_AUGMENT_OPS)[number];

export interface RandAugmentOptions {
  /** Ops applied in sequence per image (N). Default 2. */
  readonly layers?: number;
  /** Magnitude M on the 0–10 scale (may exceed 10, as NFNet-F3+ use 15). Default 10. */
  readonly magnitude?: number;
  /** Translation at M = 10, in pixels at 224 px. Default 100. */
  readonly translateConst?: number;
  /** Cutout half-side at M = 10, in pixels at 224 px. Default 40. */
  readonly cutoutConst?: number;
  /** Scale translateConst and cutoutConst by min(H, W)/224. Default true. */
  readonly scaleToImage?: boolean;
  /** Fill of rotate/shear/translate/cutout. Default 128. */
  readonly fill?: number;
  /** Restrict the ops drawn from (default all 16). */
  readonly ops?: readonly RandAugmentOp[];
}

export const RAND_AUGMENT_DEFAULTS = {
  layers: 2,
  magnitude: 10,
  translateConst: 100,
  cutoutConst: 40,
  scaleToImage: true,
  fill: 128,
  ops: RAND_AUGMENT_OPS,
} satisfies Required<RandAugmentOptions>;

const MAX_LEVEL = 10;

/** Applies one op at magnitude M; `rng` draws the sign (geometric ops) or the cutout centre. */
export function applyRandAugmentOp(
  image: ImageBuffer,
  op: RandAugmentOp,
  magnitude: number,
  rng: Rng,
  options: RandAugmentOptions = {},
): ImageBuffer {
  const o = { ...RAND_AUGMENT_DEFAULTS, ...options };
  const level = magnitude / MAX_LEVEL;
  const enhance = level * 1.8 + 0.1;
  const pixelScale = o.scaleToImage ? Math.min(image.height, image.width) / 224 : 1;
  const signed = (v: number) => (rng.bool() ? -v : v);
  switch (op) {
    case 'AutoContrast':
      return autocontrast(image);
    case 'Equalize':
      return equalize(image);
    case 'Invert':
      return invert(image);
    case 'Rotate':
      return rotate(image, signed(level * 30), o.fill);
    case 'Posterize':
      return posterize(image, Math.floor(level * 4));
    case 'Solarize':
      return solarize(image, Math.floor(level * 256));
    case 'Color':
      return adjustColor(image, enhance);
    case 'Contrast':
      return adjustContrast(image, enhance);
    case 'Brightness':
      return adjustBrightness(image, enhance);
    case 'Sharpness':
      return adjustSharpness(image, enhance);
    case 'ShearX':
      return shearX(image, signed(level * 0.3), o.fill);
    case 'ShearY':
      return shearY(image, signed(level * 0.3), o.fill);
    case 'TranslateX':
      return translateX(image, signed(level * o.translateConst * pixelScale), o.fill);
    case 'TranslateY':
      return translateY(image, signed(level * o.translateConst * pixelScale), o.fill);
    case 'Cutout':
      return cutout(image, Math.floor(level * o.cutoutConst * pixelScale), rng, o.fill);
    case 'SolarizeAdd':
      return solarizeAdd(image, Math.floor(level * 110), 128);
  }
}

/** N random ops at magnitude M (each layer draws its op uniformly from `ops`). */
export function randAugment(image: ImageBuffer, rng: Rng, options: RandAugmentOptions = {}): ImageBuffer {
  const o = { ...RAND_AUGMENT_DEFAULTS, ...options };
  let out = image;
  for (let layer = 0; layer < o.layers; layer++) {
    const op = o.ops[rng.int(o.ops.length)]!;
    out = applyRandAugmentOp(out, op, o.magnitude, rng, o);
  }
  return out;
}
