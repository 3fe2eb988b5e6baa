import { describe, expect, it } from 'vitest';
import { prepareBatch, type BatchPlan } from './prepare-batch.js';
import { createExampleReader } from './read-example.js';
import type { SourceSpec } from './source.js';

// Eight flat 10×10 gray images, image i filled with 20·i + 10; labels i mod 4.
const N = 8;
const data = new Uint8Array(N * 100);
for (let i = 0; i < N; i++) data.fill(20 * i + 10, i * 100, (i + 1) * 100);
const spec: SourceSpec = { kind: 'raster', data, height: 10, width: 10, channels: 1 };
const labels = Int32Array.from({ length: N }, (_, i) => i % 4);

function plan(mix: BatchPlan['mix']): BatchPlan {
  return {
    seed: 3,
    example: { height: 10, width: 10, channels: 1, mode: 'train', eval: { convention: 'timm', cropMode: 'center', cropPct: 0.875, padding: null, interpolation: 'bilinear' }, randomResizedCrop: null, flip: false, randAugment: null },
    mix,
    randAugmentAfterMix: true,
    numClasses: 4,
    labels: 'one-hot',
    labelSmoothing: 0,
    normalization: { mean: [0], std: [1 / 255] }, // raw 0–255 values
  };
}

const task = { epoch: 0, start: 0, indices: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]) };

describe('prepareBatch mixing', () => {
  it('CutMix: the partner label weight equals the fraction of pasted pixels', async () => {
    const out = await prepareBatch(createExampleReader(spec), labels, task, plan({ mixupAlpha: null, cutmix: true, mode: 'split' }));
    for (let i = 0; i < N; i++) {
      const partner = N - 1 - i;
      const pixels = out.images.subarray(i * 100, (i + 1) * 100);
      const pasted = pixels.filter((v) => v === 20 * partner + 10).length / 100;
      const row = out.labels.subarray(i * 4, (i + 1) * 4);
      expect(row[partner % 4]! - (partner % 4 === i % 4 ? 1 - pasted : 0)).toBeCloseTo(pasted, 6);
      expect(Array.from(row).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('MixUp: pixel value and label weights agree (own weight λ ⇒ value λ·a + (1 − λ)·b)', async () => {
    const out = await prepareBatch(createExampleReader(spec), labels, task, plan({ mixupAlpha: 0.4, cutmix: false, mode: 'split' }));
    for (let i = 0; i < 4; i++) {
      const partner = N - 1 - i; // labels i and partner differ for i < 4: (7−i) mod 4 ≠ i mod 4 when 7 − 2i ≢ 0 (mod 4)
      const lambda = out.labels[i * 4 + (i % 4)]!;
      const a = 20 * i + 10;
      const b = 20 * partner + 10;
      expect(Math.abs(out.images[i * 100]! - (lambda * a + (1 - lambda) * b))).toBeLessThanOrEqual(0.5 + 1e-4);
      expect(lambda + out.labels[i * 4 + (partner % 4)]!).toBeCloseTo(1, 6);
    }
  });

  it("'split' mixes the first half by MixUp and the second by CutMix", async () => {
    const out = await prepareBatch(createExampleReader(spec), labels, task, plan({ mixupAlpha: 0.2, cutmix: true, mode: 'split' }));
    for (let i = 4; i < N; i++) {
      const values = new Set(out.images.subarray(i * 100, (i + 1) * 100));
      for (const v of values) expect([20 * i + 10, 20 * (N - 1 - i) + 10]).toContain(v); // only whole pixels of the pair
    }
  });

  it('with one-hot labels and no mixing, rows are one-hot', async () => {
    const out = await prepareBatch(createExampleReader(spec), labels, task, plan(null));
    expect([...out.labels.subarray(4, 8)]).toEqual([0, 1, 0, 0]);
    expect(out.images[150]).toBe(30);
  });
});
