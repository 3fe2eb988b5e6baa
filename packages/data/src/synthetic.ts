/**
 * A seeded synthetic image set for smoke tests: image i has label i mod K and shows stripes whose
 * orientation, frequency and colour depend on the class, with a per-image phase and noise. A
 * small network learns it in a few steps; images are generated on demand from (seed, index).
 */
import { DataError } from './errors.js';
import type { ImageBuffer } from './image-buffer.js';
import { hashSeed, Rng, STREAM } from './seeded-random.js';
import type { DataSource, SourceSpec } from './source.js';

export interface SyntheticOptions {
  /** Number of images. Default 512. */
  readonly size?: number;
  /** Default 10. */
  readonly numClasses?: number;
  /** Default 32. */
  readonly height?: number;
  /** Default 32. */
  readonly width?: number;
  /** 1 or 3. Default 3. */
  readonly channels?: 1 | 3;
  /** Default 0. */
  readonly seed?: number;
}

type SyntheticSpec = Extract<SourceSpec, { kind: 'synthetic' }>;

/** Image `index` of a synthetic set. */
export function syntheticImage(spec: SyntheticSpec, index: number): ImageBuffer {
  const { height: h, width: w, channels: c, numClasses: k, seed } = spec;
  const label = index % k;
  const classRng = new Rng(hashSeed(seed, STREAM.syntheticLabel, label));
  const angle = (Math.PI * label) / k;
  const frequency = 1 + (label % 3);
  const colour = [0.4 + 0.6 * classRng.next(), 0.4 + 0.6 * classRng.next(), 0.4 + 0.6 * classRng.next()];
  const rng = new Rng(hashSeed(seed, STREAM.synthetic, index));
  const phase = rng.uniform(0, 2 * Math.PI);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const data = new Uint8Array(h * w * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const wave = Math.sin((2 * Math.PI * frequency * (x * cos + y * sin)) / Math.max(h, w) + phase);
      for (let ch = 0; ch < c; ch++) {
        const v = 128 + 90 * wave * colour[ch]! + 24 * (rng.next() - 0.5);
        data[(y * w + x) * c + ch] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
  return { data, width: w, height: h, channels: c };
}

export function syntheticImages(options: SyntheticOptions = {}): DataSource {
  const size = options.size ?? 512;
  const numClasses = options.numClasses ?? 10;
  const height = options.height ?? 32;
  const width = options.width ?? 32;
  const channels = options.channels ?? 3;
  const seed = options.seed ?? 0;
  for (const [name, v, min] of [
    ['size', size, 1],
    ['numClasses', numClasses, 1],
    ['height', height, 1],
    ['width', width, 1],
    ['seed', seed, 0],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < min) {
      throw new DataError('BAD_OPTION', `syntheticImages: ${name} must be an integer ≥ ${min}, received ${String(v)}.`);
    }
  }
  if (channels !== 1 && channels !== 3) {
    throw new DataError('BAD_OPTION', `syntheticImages: channels must be 1 or 3, received ${String(channels)}.`);
  }
  const labels = new Int32Array(size);
  for (let i = 0; i < size; i++) labels[i] = i % numClasses;
  return {
    name: `synthetic (seed ${seed})`,
    size,
    classNames: Array.from({ length: numClasses }, (_, i) => `class_${i}`),
    numClasses,
    labels,
    channels,
    imageSize: { height, width },
    normalization: { mean: [0.5], std: [0.25] },
    spec: { kind: 'synthetic', seed, height, width, channels, numClasses },
  };
}

