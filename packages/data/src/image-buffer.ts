/**
 * The image type every augmentation works on: 8-bit samples, rows top to bottom, channels
 * interleaved (HWC), as decoders and IDX/CIFAR loaders produce them. Augmentations are pure: they
 * return a new buffer and never write into their input.
 */
import { DataError } from './errors.js';

export interface ImageBuffer {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
}

/** An image of the given size filled with `fill` (0 by default). */
export function createImage(width: number, height: number, channels: number, fill = 0): ImageBuffer {
  const data = new Uint8Array(width * height * channels);
  if (fill !== 0) data.fill(fill);
  return { data, width, height, channels };
}

/** Wraps an existing HWC byte array, checking that its length matches. */
export function imageFrom(data: Uint8Array, width: number, height: number, channels: number): ImageBuffer {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
    ['channels', channels],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new DataError('BAD_OPTION', `imageFrom: ${name} must be a positive integer, received ${String(v)}.`);
    }
  }
  if (data.length !== width * height * channels) {
    throw new DataError(
      'BAD_OPTION',
      `imageFrom: expected ${width}×${height}×${channels} = ${width * height * channels} bytes, received ${data.length}; pass the HWC bytes of exactly one image.`,
    );
  }
  return { data, width, height, channels };
}

/** Round half up and clamp to [0, 255]: how float results become bytes. */
export function toByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.floor(v + 0.5);
}
