import { describe, expect, it } from 'vitest';
import { randomImage } from '../../test/reference.js';
import { Rng } from '../seeded-random.js';
import { cutout, cutoutBox, fillBox } from './cutout.js';

describe('cutout', () => {
  it('cutout boxes are [c − pad, c + pad) clipped to the image', () => {
    expect(cutoutBox(10, 10, 3, 5, 5)).toEqual({ x: 2, y: 2, width: 6, height: 6 });
    expect(cutoutBox(10, 10, 3, 0, 9)).toEqual({ x: 6, y: 0, width: 4, height: 3 });
    const out = fillBox(randomImage(4, 4, 1, 1), { x: 1, y: 1, width: 2, height: 2 }, 128);
    expect([out.data[5], out.data[6], out.data[9], out.data[10]]).toEqual([128, 128, 128, 128]);
  });

  it('fills at most a (2·pad)² square with the fill value, deterministically', () => {
    const image = randomImage(30, 20, 3, 4);
    const a = cutout(image, 5, new Rng(3), 7);
    expect(cutout(image, 5, new Rng(3), 7).data).toEqual(a.data);
    let changed = 0;
    for (let i = 0; i < a.data.length; i++) if (a.data[i] !== image.data[i]) changed++;
    expect(changed).toBeLessThanOrEqual(10 * 10 * 3);
  });
});
