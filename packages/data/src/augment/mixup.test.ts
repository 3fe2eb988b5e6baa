import { describe, expect, it } from 'vitest';
import { imageOf } from '../../test/reference.js';
import { Rng } from '../seeded-random.js';
import { mixup, sampleMixupRatio } from './mixup.js';

describe('mixup', () => {
  it('is lambda·a + (1 − lambda)·b, rounded', () => {
    const a = imageOf(3, 1, 1, (x) => [0, 100, 255][x]!);
    const b = imageOf(3, 1, 1, () => 50);
    expect([...mixup(a, b, 0.3).data]).toEqual([35, 65, 112]); // 35, 65, 111.5 → 112
    expect(mixup(a, b, 1).data).toEqual(a.data);
    expect(mixup(a, b, 0).data).toEqual(b.data);
  });

  it('ratios follow Beta(0.2, 0.2): mean ½, variance 1/(4(2α+1)) = 0.1786, mass near 0 and 1', () => {
    const rng = new Rng(3);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    let extreme = 0;
    for (let i = 0; i < n; i++) {
      const r = sampleMixupRatio(rng, 0.2);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(1);
      sum += r;
      sq += r * r;
      if (r < 0.1 || r > 0.9) extreme++;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(0.5, 1);
    expect(sq / n - mean * mean).toBeCloseTo(1 / (4 * 1.4), 2);
    // P(r < 0.1 or r > 0.9) for Beta(0.2, 0.2) ≈ 0.6645 (numerical integration of the density).
    expect(extreme / n).toBeGreaterThan(0.645);
    expect(extreme / n).toBeLessThan(0.685);
  });

  it('Beta(1, 1) is uniform', () => {
    const rng = new Rng(8);
    let below = 0;
    for (let i = 0; i < 10000; i++) if (rng.beta(1, 1) < 0.25) below++;
    expect(below / 10000).toBeCloseTo(0.25, 1);
  });
});
