/** A source over images already in memory: N same-size HWC uint8 images one after the other. */
import { DataError } from './errors.js';
import { NORMALIZATION, type Normalization } from './normalization.js';
import type { DataSource } from './source.js';

export interface FromArraysOptions {
  /** N·H·W·C bytes, HWC per image. Shared with workers (copied once into shared memory if needed). */
  readonly images: Uint8Array | Uint8ClampedArray;
  /** [N, H, W, C], C = 1 or 3. */
  readonly shape: readonly [number, number, number, number];
  /** N integer labels in [0, numClasses). */
  readonly labels: ArrayLike<number>;
  /** Default: `class_0 … class_{K−1}` with K = max label + 1. */
  readonly classNames?: readonly string[];
  /** Default ImageNet's for 3 channels, [0, 1] scaling for 1 channel. */
  readonly normalization?: Normalization;
  readonly name?: string;
}

export function fromArrays(options: FromArraysOptions): DataSource {
  const { images, shape, labels } = options;
  if (!(images instanceof Uint8Array || images instanceof Uint8ClampedArray)) {
    throw new DataError('BAD_OPTION', `fromArrays: images must be a Uint8Array of HWC bytes, received ${Object.prototype.toString.call(images)}; scale floats to 0–255 first.`);
  }
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new DataError('BAD_OPTION', `fromArrays: shape must be [N, H, W, C] of positive integers, received ${JSON.stringify(shape)}.`);
  }
  const [n, height, width, channels] = shape;
  if (channels !== 1 && channels !== 3) {
    throw new DataError('BAD_OPTION', `fromArrays: C must be 1 or 3, received shape ${JSON.stringify(shape)}; drop the alpha channel first.`);
  }
  if (images.length !== n * height * width * channels) {
    throw new DataError('COUNT_MISMATCH', `fromArrays: shape ${JSON.stringify(shape)} needs ${n * height * width * channels} bytes, images has ${images.length}.`);
  }
  if (labels.length !== n) {
    throw new DataError('COUNT_MISMATCH', `fromArrays: ${n} images but ${labels.length} labels; pass one label per image.`);
  }
  const labelData = Int32Array.from(labels);
  let max = -1;
  for (let i = 0; i < n; i++) {
    const l = labelData[i]!;
    if (!Number.isInteger(labels[i]) || l < 0) {
      throw new DataError('BAD_OPTION', `fromArrays: label ${String(labels[i])} at index ${i} is not a non-negative integer.`);
    }
    if (l > max) max = l;
  }
  const classNames = options.classNames ?? Array.from({ length: max + 1 }, (_, i) => `class_${i}`);
  if (max >= classNames.length) {
    throw new DataError('BAD_OPTION', `fromArrays: label ${max} is not below the ${classNames.length} classNames; add the missing class names.`);
  }
  const bytes = images instanceof Uint8ClampedArray ? new Uint8Array(images.buffer, images.byteOffset, images.length) : images;
  return {
    name: options.name ?? `arrays (${n}×${height}×${width}×${channels})`,
    size: n,
    classNames,
    numClasses: classNames.length,
    labels: labelData,
    channels,
    imageSize: { height, width },
    normalization: options.normalization ?? (channels === 3 ? NORMALIZATION.imagenet : NORMALIZATION.unit),
    spec: { kind: 'raster', data: bytes, height, width, channels },
  };
}
