/**
 * Solarize and SolarizeAdd as in TF's AutoAugment (`autoaugment.py`, used by DeepMind's NFNets).
 * `solarize`: samples ≥ threshold are inverted (PIL `ImageOps.solarize`).
 * `solarizeAdd`: samples below the threshold get `addition` added, clipped to [0, 255].
 */
import type { ImageBuffer } from '../image-buffer.js';

export function solarize(image: ImageBuffer, threshold = 128): ImageBuffer {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = image.data[i]!;
    data[i] = v < threshold ? v : 255 - v;
  }
  return { ...image, data };
}

export function solarizeAdd(image: ImageBuffer, addition: number, threshold = 128): ImageBuffer {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = image.data[i]!;
    data[i] = v < threshold ? Math.max(0, Math.min(255, v + addition)) : v;
  }
  return { ...image, data };
}
