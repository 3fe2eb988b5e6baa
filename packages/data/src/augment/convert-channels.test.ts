import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { randomImage } from '../../test/reference.js';
import { convertChannels, grayscale, luma } from './convert-channels.js';

describe('convertChannels', () => {
  it.each(pilCases('luma'))("RGB → gray matches Pillow's convert('L') on $name", ({ image, expected }) => {
    expect(maxDiff(grayscale(image).data, expected)).toBe(0);
  });

  it('gray → RGB replicates and RGB → gray of a gray image gives it back', () => {
    const gray = randomImage(6, 4, 1, 2);
    const rgb = convertChannels(gray, 3);
    expect(rgb.channels).toBe(3);
    for (let i = 0; i < gray.data.length; i++) {
      expect([rgb.data[3 * i], rgb.data[3 * i + 1], rgb.data[3 * i + 2]]).toEqual([gray.data[i], gray.data[i], gray.data[i]]);
    }
    expect(convertChannels(rgb, 1).data).toEqual(gray.data);
  });

  it('drops alpha (RGBA → RGB, gray+alpha → gray)', () => {
    const rgba = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), width: 2, height: 1, channels: 4 };
    expect([...convertChannels(rgba, 3).data]).toEqual([1, 2, 3, 5, 6, 7]);
    const la = { data: Uint8Array.from([9, 255, 10, 0]), width: 2, height: 1, channels: 2 };
    expect([...convertChannels(la, 1).data]).toEqual([9, 10]);
  });

  it('luma weights sum to one: white stays 255', () => {
    expect(luma(255, 255, 255)).toBe(255);
    expect(luma(0, 0, 0)).toBe(0);
    expect(luma(255, 0, 0)).toBe(76); // 0.299·255 = 76.2
  });
});
