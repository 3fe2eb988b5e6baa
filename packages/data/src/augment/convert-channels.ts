/**
 * Channel-count conversion with PIL's rules: gray → RGB replicates, RGB → gray is ITU-R 601-2
 * luma `(19595·R + 38470·G + 7471·B + 2^15) >> 16` (PIL's `convert('L')`), alpha is dropped.
 * Supported counts: 1 (gray), 2 (gray + alpha), 3 (RGB), 4 (RGBA).
 */
import type { ImageBuffer } from '../image-buffer.js';

/** PIL's 8-bit luma of one RGB pixel. */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** The image with `channels` channels (1 or 3); the input itself when it already has them. */
export function convertChannels(image: ImageBuffer, channels: 1 | 3): ImageBuffer {
  const { width, height, channels: c, data: src } = image;
  if (c === channels) return image;
  const n = width * height;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    const s = i * c;
    if (channels === 3) {
      if (c <= 2) {
        const v = src[s]!;
        data[i * 3] = v;
        data[i * 3 + 1] = v;
        data[i * 3 + 2] = v;
      } else {
        data[i * 3] = src[s]!;
        data[i * 3 + 1] = src[s + 1]!;
        data[i * 3 + 2] = src[s + 2]!;
      }
    } else {
      data[i] = c <= 2 ? src[s]! : luma(src[s]!, src[s + 1]!, src[s + 2]!);
    }
  }
  return { data, width, height, channels };
}

/** Gray (1-channel) version of an image of 1 or 3 channels. */
export function grayscale(image: ImageBuffer): ImageBuffer {
  return convertChannels(image, 1);
}
