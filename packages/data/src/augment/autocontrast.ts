/**
 * Per-channel contrast stretch so the darkest sample becomes 0 and the brightest 255 (PIL
 * `ImageOps.autocontrast` with cutoff 0, TF AutoAugment `autocontrast`): v·255/(hi−lo) − lo·255/(hi−lo),
 * truncated. A constant channel is left alone.
 */
import type { ImageBuffer } from '../image-buffer.js';

export function autocontrast(image: ImageBuffer): ImageBuffer {
  const { channels: c, data: src } = image;
  const data = new Uint8Array(src.length);
  for (let ch = 0; ch < c; ch++) {
    let lo = 255;
    let hi = 0;
    for (let i = ch; i < src.length; i += c) {
      const v = src[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (hi <= lo) {
      for (let i = ch; i < src.length; i += c) data[i] = src[i]!;
      continue;
    }
    const scale = 255 / (hi - lo);
    const offset = -lo * scale;
    for (let i = ch; i < src.length; i += c) {
      const v = src[i]! * scale + offset;
      data[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v);
    }
  }
  return { ...image, data };
}
