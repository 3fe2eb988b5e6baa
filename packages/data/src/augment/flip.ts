/** Mirror images left–right (the random horizontal flip of the training augmentation). */
import type { ImageBuffer } from '../image-buffer.js';

export function flipHorizontal(image: ImageBuffer): ImageBuffer {
  const { width: w, height: h, channels: c, data: src } = image;
  const data = new Uint8Array(src.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * c;
    for (let x = 0; x < w; x++) {
      const from = row + x * c;
      const to = row + (w - 1 - x) * c;
      for (let ch = 0; ch < c; ch++) data[to + ch] = src[from + ch]!;
    }
  }
  return { data, width: w, height: h, channels: c };
}
