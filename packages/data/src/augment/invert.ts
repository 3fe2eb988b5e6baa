/** 255 − every sample (PIL `ImageOps.invert`). */
import type { ImageBuffer } from '../image-buffer.js';

export function invert(image: ImageBuffer): ImageBuffer {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 255 - image.data[i]!;
  return { ...image, data };
}
