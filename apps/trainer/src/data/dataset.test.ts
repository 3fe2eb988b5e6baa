import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDatasets, type RasterDataset as Dataset } from './dataset.js';

/** Independent reference: the normalised source image, flipped, then translated by (dy, dx) with black fill. */
function reference(train: Dataset, raw: Float32Array, flip: boolean, dy: number, dx: number): Float32Array {
  const [h, w] = train.shape;
  const black = Math.min(...raw); // the normalised value of a raw 0 (Fashion-MNIST backgrounds are black)
  const out = new Float32Array(h * w).fill(black);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sy = y - dy;
      const fx = flip ? w - 1 - x : x;
      const sx = fx - dx;
      if (sy >= 0 && sy < h && sx >= 0 && sx < w) out[y * w + x] = raw[sy * w + sx]!;
    }
  }
  return out;
}

describe('training batches', () => {
  let train: Dataset;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    ({ train } = await loadDatasets('fashion-mnist', undefined, 3)); // the bundled subset
  });

  it('random shift: each image is its source flipped or not and translated by at most `shift` pixels, black filled', () => {
    const indices = Uint32Array.from({ length: 48 }, (_, i) => i);
    const plain = train.batch(indices, { flip: false, seed: 0 });
    const shifted = train.batch(indices, { flip: true, shift: 2, seed: 11 });
    const raw = plain.images.dataSync() as Float32Array;
    const got = shifted.images.dataSync() as Float32Array;
    const pixels = 28 * 28;
    const seen = new Set<string>();
    for (let b = 0; b < indices.length; b++) {
      const src = raw.subarray(b * pixels, (b + 1) * pixels);
      const img = got.subarray(b * pixels, (b + 1) * pixels);
      let match: string | undefined;
      for (const flip of [false, true]) {
        for (let dy = -2; dy <= 2 && !match; dy++) {
          for (let dx = -2; dx <= 2 && !match; dx++) {
            const want = reference(train, src, flip, dy, dx);
            if (want.every((v, i) => Math.abs(v - img[i]!) < 1e-5)) match = `${flip} ${dy} ${dx}`;
          }
        }
      }
      expect(match, `image ${b} is no flip/translation of its source`).toBeDefined();
      seen.add(match!);
    }
    // The draws vary: many distinct (flip, dy, dx) over 48 images.
    expect(seen.size).toBeGreaterThan(10);
    // Same seed, same batch; shift 0 draws nothing extra (the flips match a batch without the option).
    expect(Array.from(train.batch(indices, { flip: true, shift: 2, seed: 11 }).images.dataSync())).toEqual(Array.from(got));
    expect(Array.from(train.batch(indices, { flip: true, shift: 0, seed: 5 }).images.dataSync())).toEqual(Array.from(train.batch(indices, { flip: true, seed: 5 }).images.dataSync()));
  });
});
