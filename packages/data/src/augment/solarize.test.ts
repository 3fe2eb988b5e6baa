import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { solarize, solarizeAdd } from './solarize.js';

describe('solarize', () => {
  it.each(pilCases('solarize'))('matches Pillow on $name threshold', ({ image, arg, expected }) => {
    expect(maxDiff(solarize(image, arg!).data, expected)).toBe(0);
  });
  it('solarizeAdd adds below the threshold only, clipped', () => {
    const image = { data: Uint8Array.from([0, 100, 127, 128, 250]), width: 5, height: 1, channels: 1 };
    expect([...solarizeAdd(image, 110).data]).toEqual([110, 210, 237, 128, 250]);
    expect([...solarizeAdd(image, 200).data]).toEqual([200, 255, 255, 128, 250]);
  });
});
