/**
 * CutMix (Yun et al. 2019) with DeepMind's box rule (nfnets/dataset.py `cutmix_padding`): centre
 * (cx, cy) uniform over the pixels, p ~ U(0, 1), side ratio sqrt(1 − p), r_w = int(ratio·W),
 * r_h = int(ratio·H), box [c − r//2, c + r//2) clipped to the image. The box of the partner image
 * is pasted into the example, and the partner's label weight is the pasted area fraction
 * (after clipping), so labels are mixed by area.
 */
import type { ImageBuffer } from '../image-buffer.js';
import type { Rng } from '../seeded-random.js';
import type { CropBox } from './crop.js';

export function sampleCutmixBox(height: number, width: number, rng: Rng): CropBox {
  const cx = rng.int(width);
  const cy = rng.int(height);
  const ratio = Math.sqrt(1 - rng.next());
  const rw = Math.floor(ratio * width);
  const rh = Math.floor(ratio * height);
  const clip = (v: number, max: number) => Math.max(0, Math.min(max, v));
  const x0 = clip(cx - (rw >> 1), width);
  const x1 = clip(cx + (rw >> 1), width);
  const y0 = clip(cy - (rh >> 1), height);
  const y1 = clip(cy + (rh >> 1), height);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Fraction of an `height × width` image covered by `box`. */
export function boxAreaFraction(box: CropBox, height: number, width: number): number {
  return (box.width * box.height) / (height * width);
}

/** `a` with the pixels of `b` inside `box` pasted in. */
export function cutmix(a: ImageBuffer, b: ImageBuffer, box: CropBox): ImageBuffer {
  const data = a.data.slice();
  const c = a.channels;
  for (let y = box.y; y < box.y + box.height; y++) {
    const from = (y * a.width + box.x) * c;
    data.set(b.data.subarray(from, from + box.width * c), from);
  }
  return { ...a, data };
}
