import { describe, expect, it } from 'vitest';
import { randomImage } from '../../test/reference.js';
import { Rng } from '../seeded-random.js';
import { randomResizedCrop, sampleCropBox } from './random-resized-crop.js';

describe('random resized crop', () => {
  it.each([
    [224, 224],
    [28, 28],
    [300, 120],
    [17, 400],
  ])('boxes stay inside a %i×%i image and respect area and ratio', (h, w) => {
    const rng = new Rng(42);
    let inRange = 0;
    for (let i = 0; i < 2000; i++) {
      const b = sampleCropBox(h, w, rng);
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.y).toBeGreaterThanOrEqual(0);
      expect(b.width).toBeGreaterThan(0);
      expect(b.height).toBeGreaterThan(0);
      expect(b.x + b.width).toBeLessThanOrEqual(w);
      expect(b.y + b.height).toBeLessThanOrEqual(h);
      const area = (b.width * b.height) / (h * w);
      const ratio = b.width / b.height;
      // Rounding to whole pixels moves area and ratio slightly on small images.
      const slack = 2 / Math.min(b.width, b.height) + 2 / Math.min(h, w);
      if (area >= 0.08 - slack && area <= 1 + slack && ratio >= 0.75 * (1 - slack) && ratio <= (4 / 3) * (1 + slack)) inRange++;
    }
    expect(inRange).toBeGreaterThan(1990); // the rest are fallback centre crops
  });

  it('draws the area fraction uniformly over [0.08, 1] (mean 0.54) when every draw fits', () => {
    const rng = new Rng(7);
    let sum = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const b = sampleCropBox(512, 512, rng, { ratio: [1, 1] });
      sum += (b.width * b.height) / 512 ** 2;
    }
    expect(sum / n).toBeGreaterThan(0.51);
    expect(sum / n).toBeLessThan(0.56);
  });

  it('falls back to the centred S/(S+32) square when no draw fits', () => {
    const rng = new Rng(1);
    const b = sampleCropBox(100, 100, rng, { scale: [1, 1], ratio: [3, 4] }, 224);
    expect(b).toEqual({ x: 7, y: 7, width: 87, height: 87 });
  });

  it('is deterministic for a given generator state and returns the output size', () => {
    const image = randomImage(40, 30, 3, 2);
    const a = randomResizedCrop(image, new Rng(5), 16, 16);
    const b = randomResizedCrop(image, new Rng(5), 16, 16);
    expect(a.data).toEqual(b.data);
    expect([a.height, a.width, a.channels]).toEqual([16, 16, 3]);
  });
});
