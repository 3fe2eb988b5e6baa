import { describe, expect, it } from 'vitest';
import { readImage } from './read-example.js';
import { syntheticImage, syntheticImages } from './synthetic.js';

describe('syntheticImages', () => {
  it('is balanced, seeded and reproducible', async () => {
    const s = syntheticImages({ size: 40, numClasses: 4, height: 8, width: 12, seed: 3 });
    expect(s.size).toBe(40);
    expect([...s.labels.slice(0, 6)]).toEqual([0, 1, 2, 3, 0, 1]);
    const a = await readImage(s, 5);
    expect([a.height, a.width, a.channels]).toEqual([8, 12, 3]);
    expect((await readImage(s, 5)).data).toEqual(a.data);
    const other = syntheticImages({ size: 40, numClasses: 4, height: 8, width: 12, seed: 4 });
    expect((await readImage(other, 5)).data).not.toEqual(a.data);
  });

  it('classes differ more than images within a class (learnable)', () => {
    const spec = { kind: 'synthetic' as const, seed: 0, height: 16, width: 16, channels: 3, numClasses: 2 };
    const image = (i: number) => syntheticImage(spec, i).data;
    const dist = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]!), 0);
    let within = 0;
    let between = 0;
    for (let i = 0; i < 10; i++) {
      within += dist(image(2 * i), image(2 * i + 2)); // both class 0
      between += dist(image(2 * i), image(2 * i + 1)); // class 0 against class 1
    }
    expect(between).toBeGreaterThan(within * 0.9);
  });

  it('validates its options', () => {
    expect(() => syntheticImages({ size: 0 })).toThrow(/size must be an integer ≥ 1, received 0/);
    expect(() => syntheticImages({ channels: 4 as 3 })).toThrow(/channels must be 1 or 3/);
  });
});

