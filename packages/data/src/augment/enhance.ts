/**
 * PIL's `ImageEnhance` (Pillow 9.4), the Color/Contrast/Brightness/Sharpness ops of RandAugment:
 * each blends the image with a "degenerate" version, `out = degenerate + factor·(image −
 * degenerate)`, truncated to bytes (clipped first when factor is outside [0, 1]).
 * - color: degenerate = the luma image (`convert('L')`) in every channel;
 * - contrast: degenerate = the mean luma, rounded, everywhere;
 * - brightness: degenerate = black;
 * - sharpness: degenerate = the image smoothed by [[1,1,1],[1,5,1],[1,1,1]]/13 (rounded), border
 *   pixels kept.
 * Checked against Pillow 9.4 on fixed images (src/augment/__fixtures__/pil-ops.json).
 * Differs from TF AutoAugment: its `contrast` uses pixels/256 as the "mean" (a known bug) and its
 * grayscale is float; RandAugment here follows PIL, as the RandAugment paper does.
 */
import type { ImageBuffer } from '../image-buffer.js';
import { luma } from './convert-channels.js';

/** `degenerate + factor·(image − degenerate)` per sample, truncated like PIL's `Image.blend`. */
export function blend(degenerate: Uint8Array, image: ImageBuffer, factor: number): ImageBuffer {
  const src = image.data;
  const data = new Uint8Array(src.length);
  const f = Math.fround(factor);
  const inside = f >= 0 && f <= 1;
  for (let i = 0; i < src.length; i++) {
    const d = degenerate[i]!;
    const v = Math.fround(d + f * (src[i]! - d));
    data[i] = inside ? Math.floor(v) : v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
  }
  return { ...image, data };
}

/**
 * Factor 1 leaves every sample as it is (degenerate + 1·(image − degenerate) = image, exactly in float32),
 * whatever the degenerate image: a copy is returned without computing it. RandAugment at DeepMind's
 * magnitude 5 asks for exactly this factor (1.8·0.5 + 0.1).
 */
const unchanged = (image: ImageBuffer, factor: number): ImageBuffer | undefined => (Math.fround(factor) === 1 ? { ...image, data: image.data.slice() } : undefined);

/** Per-pixel luma repeated in every channel (the image itself for one channel). */
function lumaPlanes(image: ImageBuffer): Uint8Array {
  const { channels: c, data: src } = image;
  if (c < 3) return src;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += c) {
    const l = luma(src[i]!, src[i + 1]!, src[i + 2]!);
    out[i] = l;
    out[i + 1] = l;
    out[i + 2] = l;
    if (c === 4) out[i + 3] = src[i + 3]!;
  }
  return out;
}

export function adjustColor(image: ImageBuffer, factor: number): ImageBuffer {
  return unchanged(image, factor) ?? blend(lumaPlanes(image), image, factor);
}

export function adjustContrast(image: ImageBuffer, factor: number): ImageBuffer {
  const same = unchanged(image, factor);
  if (same) return same;
  const { channels: c, data: src } = image;
  let sum = 0;
  for (let i = 0; i < src.length; i += c) sum += c >= 3 ? luma(src[i]!, src[i + 1]!, src[i + 2]!) : src[i]!;
  const mean = Math.floor(sum / (src.length / c) + 0.5);
  return blend(new Uint8Array(src.length).fill(mean), image, factor);
}

export function adjustBrightness(image: ImageBuffer, factor: number): ImageBuffer {
  return unchanged(image, factor) ?? blend(new Uint8Array(image.data.length), image, factor);
}

export function adjustSharpness(image: ImageBuffer, factor: number): ImageBuffer {
  const same = unchanged(image, factor);
  if (same) return same;
  const { width: w, height: h, channels: c, data: src } = image;
  const smooth = src.slice();
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      for (let ch = 0; ch < c; ch++) {
        const at = (y * w + x) * c + ch;
        const up = at - w * c;
        const down = at + w * c;
        const sum =
          src[up - c]! + src[up]! + src[up + c]! + src[at - c]! + 5 * src[at]! + src[at + c]! + src[down - c]! + src[down]! + src[down + c]!;
        smooth[at] = Math.floor(sum / 13 + 0.5);
      }
    }
  }
  return blend(smooth, image, factor);
}
