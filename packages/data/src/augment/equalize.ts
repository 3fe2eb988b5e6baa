/**
 * Histogram equalisation per channel, PIL's `ImageOps.equalize` (TF AutoAugment's `equalize` is the
 * same algorithm): step = (pixels − count of the last non-empty bin) // 255; a channel with step 0
 * is left alone; otherwise lut[i] = (pixels below i + step // 2) // step, clipped to 255.
 */
import type { ImageBuffer } from '../image-buffer.js';

export function equalize(image: ImageBuffer): ImageBuffer {
  const { channels: c, data: src } = image;
  const data = new Uint8Array(src.length);
  const n = src.length / c;
  const histogram = new Int32Array(256);
  const lut = new Uint8Array(256);
  for (let ch = 0; ch < c; ch++) {
    histogram.fill(0);
    for (let i = ch; i < src.length; i += c) histogram[src[i]!]!++;
    let last = 255;
    while (last > 0 && histogram[last] === 0) last--;
    const step = Math.floor((n - histogram[last]!) / 255);
    if (step === 0) {
      for (let i = ch; i < src.length; i += c) data[i] = src[i]!;
      continue;
    }
    let below = Math.floor(step / 2);
    for (let v = 0; v < 256; v++) {
      lut[v] = Math.min(255, Math.floor(below / step));
      below += histogram[v]!;
    }
    for (let i = ch; i < src.length; i += c) data[i] = lut[src[i]!]!;
  }
  return { ...image, data };
}
