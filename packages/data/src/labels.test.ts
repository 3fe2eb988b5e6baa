import { describe, expect, it } from 'vitest';
import { mixedLabels, oneHot, smoothLabels } from './labels.js';

const rowSums = (t: Float32Array, k: number) => Array.from({ length: t.length / k }, (_, i) => t.slice(i * k, (i + 1) * k).reduce((a, b) => a + b, 0));

describe('labels', () => {
  it('one-hot rows', () => {
    expect([...oneHot([2, 0], 3)]).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('mixed labels put w on the own class and 1 − w on the partner, rows sum to 1', () => {
    const t = mixedLabels([0, 1, 2, 1], [3, 2, 1, 0], [0.7, 0.25, 1, 0.5], 3);
    expect(Array.from(t, (v) => Number(v.toFixed(6)))).toEqual([0.7, 0.3, 0, 0, 0.25, 0.75, 0, 0, 1, 0.5, 0.5, 0]);
    for (const s of rowSums(t, 3)) expect(s).toBeCloseTo(1, 6);
  });

  it('smoothing: y·(1 − ε) + ε/K, rows still sum to 1 (0.1 with K = 1000 as DeepMind)', () => {
    const t = smoothLabels(oneHot([3], 1000), 1000, 0.1);
    expect(t[3]).toBeCloseTo(0.9001, 6);
    expect(t[0]).toBeCloseTo(0.0001, 8);
    expect(rowSums(t, 1000)[0]).toBeCloseTo(1, 5);
  });
});
