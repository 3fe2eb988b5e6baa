import { describe, expect, it } from 'vitest';
import { imageOf, randomImage } from '../../test/reference.js';
import { Rng } from '../seeded-random.js';
import { boxAreaFraction, cutmix, sampleCutmixBox } from './cutmix.js';
import { mixup } from './mixup.js';

describe('cutmix', () => {
  it('boxes stay inside the image', () => {
    const rng = new Rng(4);
    for (const [h, w] of [
      [32, 32],
      [28, 28],
      [224, 160],
      [1, 5],
    ] as const) {
      for (let i = 0; i < 500; i++) {
        const b = sampleCutmixBox(h, w, rng);
        expect(b.x).toBeGreaterThanOrEqual(0);
        expect(b.y).toBeGreaterThanOrEqual(0);
        expect(b.x + b.width).toBeLessThanOrEqual(w);
        expect(b.y + b.height).toBeLessThanOrEqual(h);
      }
    }
  });

  it('the label weight of the partner equals the pasted area', () => {
    const a = imageOf(20, 16, 3, () => 0);
    const b = imageOf(20, 16, 3, () => 255);
    const rng = new Rng(6);
    for (let i = 0; i < 200; i++) {
      const box = sampleCutmixBox(16, 20, rng);
      const out = cutmix(a, b, box);
      const pasted = out.data.filter((v) => v === 255).length / out.data.length;
      expect(pasted).toBeCloseTo(boxAreaFraction(box, 16, 20), 12);
    }
  });

  it('mean pasted area is below the unclipped E[1 − p] = ½ (clipping at the borders)', () => {
    const rng = new Rng(9);
    let sum = 0;
    for (let i = 0; i < 5000; i++) sum += boxAreaFraction(sampleCutmixBox(64, 64, rng), 64, 64);
    expect(sum / 5000).toBeGreaterThan(0.2);
    expect(sum / 5000).toBeLessThan(0.5);
  });

  it('never changes its inputs', () => {
    const a = randomImage(8, 8, 3, 1);
    const b = randomImage(8, 8, 3, 2);
    const [ca, cb] = [a.data.slice(), b.data.slice()];
    cutmix(a, b, { x: 1, y: 2, width: 4, height: 3 });
    mixup(a, b, 0.4);
    expect(a.data).toEqual(ca);
    expect(b.data).toEqual(cb);
  });
});
