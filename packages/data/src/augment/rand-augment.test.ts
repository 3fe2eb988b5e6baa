import { describe, expect, it } from 'vitest';
import { randomImage } from '../../test/reference.js';
import { Rng } from '../seeded-random.js';
import { posterize } from './posterize.js';
import { applyRandAugmentOp, randAugment, RAND_AUGMENT_OPS } from './rand-augment.js';
import { solarize } from './solarize.js';

describe('RandAugment', () => {
  it('has the 16 ops of TF AutoAugment', () => {
    expect(RAND_AUGMENT_OPS).toHaveLength(16);
    expect(new Set(RAND_AUGMENT_OPS).size).toBe(16);
  });

  it.each(RAND_AUGMENT_OPS)('%s keeps size and channels at magnitudes 0, 5, 10, 15', (op) => {
    for (const image of [randomImage(28, 28, 1, 3), randomImage(33, 20, 3, 4)]) {
      for (const m of [0, 5, 10, 15]) {
        const out = applyRandAugmentOp(image, op, m, new Rng(m));
        expect([out.width, out.height, out.channels, out.data.length]).toEqual([image.width, image.height, image.channels, image.data.length]);
      }
    }
  });

  it('maps magnitude to arguments as the reference (posterize int(4·M/10) bits, solarize int(256·M/10))', () => {
    const image = randomImage(9, 9, 3, 5);
    expect(applyRandAugmentOp(image, 'Posterize', 5, new Rng(1)).data).toEqual(posterize(image, 2).data);
    expect(applyRandAugmentOp(image, 'Posterize', 15, new Rng(1)).data).toEqual(posterize(image, 6).data);
    expect(applyRandAugmentOp(image, 'Solarize', 5, new Rng(1)).data).toEqual(solarize(image, 128).data);
    expect(applyRandAugmentOp(image, 'Solarize', 10, new Rng(1)).data).toEqual(image.data); // threshold 256
  });

  it('enhance ops at magnitude 5 use factor 1.0 (identity): 1.8·0.5 + 0.1', () => {
    const image = randomImage(9, 7, 3, 6);
    for (const op of ['Color', 'Contrast', 'Brightness', 'Sharpness'] as const) {
      expect(applyRandAugmentOp(image, op, 5, new Rng(1)).data).toEqual(image.data);
    }
  });

  it('cutout at 224 px and M=10 fills a ≤ 80×80 square with 128 (pad 40, not scaled)', () => {
    const image = randomImage(224, 224, 3, 7);
    const out = applyRandAugmentOp(image, 'Cutout', 10, new Rng(3));
    let changed = 0;
    for (let i = 0; i < out.data.length; i += 3) if (out.data[i] === 128 && out.data[i + 1] === 128 && out.data[i + 2] === 128) changed++;
    expect(changed).toBeGreaterThan(0);
    expect(changed).toBeLessThanOrEqual(80 * 80 + 50); // + pixels that were already gray
  });


  it('translation at M=10 moves 100 px at 224 px and 12.5 px at 28 px (scaled), 100 px when not', () => {
    const small = randomImage(28, 28, 1, 9);
    const shiftedScaled = applyRandAugmentOp(small, 'TranslateX', 10, new Rng(2));
    const fills = shiftedScaled.data.filter((v) => v === 128).length - small.data.filter((v) => v === 128).length;
    expect(fills).toBeGreaterThanOrEqual(12 * 28 - 28);
    expect(fills).toBeLessThanOrEqual(13 * 28 + 28);
    const unscaled = applyRandAugmentOp(small, 'TranslateX', 10, new Rng(2), { scaleToImage: false });
    expect(unscaled.data.every((v) => v === 128)).toBe(true);
  });

  it('is deterministic given the generator, and N = 0 is the identity', () => {
    const image = randomImage(32, 32, 3, 10);
    const a = randAugment(image, new Rng(99), { layers: 4, magnitude: 9 });
    const b = randAugment(image, new Rng(99), { layers: 4, magnitude: 9 });
    expect(a.data).toEqual(b.data);
    expect(randAugment(image, new Rng(1), { layers: 0 }).data).toEqual(image.data);
  });

  it('draws ops uniformly', () => {
    const rng = new Rng(5);
    const counts = new Map<string, number>();
    const tiny = randomImage(2, 2, 1, 1);
    const n = 3200;
    const seen = (op: string) => counts.set(op, (counts.get(op) ?? 0) + 1);
    for (let i = 0; i < n; i++) {
      const op = RAND_AUGMENT_OPS[rng.int(16)]!;
      seen(op);
      applyRandAugmentOp(tiny, op, 5, rng);
    }
    for (const op of RAND_AUGMENT_OPS) expect(Math.abs((counts.get(op) ?? 0) - n / 16)).toBeLessThan(70);
  });
});
