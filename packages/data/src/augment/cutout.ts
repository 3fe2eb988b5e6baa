/**
 * Cutout (DeVries & Taylor 2017) as TF AutoAugment's `cutout`: a square of side up to 2·pad
 * centred on a uniformly drawn pixel, clipped to the image, filled with `fill` (128).
 */
import type { ImageBuffer } from '../image-buffer.js';
import type { Rng } from '../seeded-random.js';
import type { CropBox } from './crop.js';

/** The cutout box: rows [cy − pad, cy + pad) and columns [cx − pad, cx + pad), clipped. */
export function cutoutBox(height: number, width: number, pad: number, cy: number, cx: number): CropBox {
  const y0 = Math.max(0, cy - pad);
  const x0 = Math.max(0, cx - pad);
  const y1 = Math.min(height, cy + pad);
  const x1 = Math.min(width, cx + pad);
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

/** Fills `box` with `fill` in a copy of the image. */
export function fillBox(image: ImageBuffer, box: CropBox, fill = 128): ImageBuffer {
  const data = image.data.slice();
  const c = image.channels;
  for (let y = box.y; y < box.y + box.height; y++) {
    const from = (y * image.width + box.x) * c;
    data.fill(fill, from, from + box.width * c);
  }
  return { ...image, data };
}

export function cutout(image: ImageBuffer, pad: number, rng: Rng, fill = 128): ImageBuffer {
  const cy = rng.int(image.height);
  const cx = rng.int(image.width);
  return fillBox(image, cutoutBox(image.height, image.width, pad, cy, cx), fill);
}
