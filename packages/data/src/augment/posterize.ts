/** Keep the `bits` most significant bits of every sample (TF AutoAugment / PIL `ImageOps.posterize`). */
import type { ImageBuffer } from '../image-buffer.js';

export function posterize(image: ImageBuffer, bits: number): ImageBuffer {
  const shift = 8 - Math.max(0, Math.min(8, Math.floor(bits)));
  const mask = shift >= 8 ? 0 : (0xff << shift) & 0xff;
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! & mask;
  return { ...image, data };
}
