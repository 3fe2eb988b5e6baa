import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { randomImage } from '../../test/reference.js';
import { adjustBrightness, adjustColor, adjustContrast, adjustSharpness, blend } from './enhance.js';

const OPS = { color: adjustColor, contrast: adjustContrast, brightness: adjustBrightness, sharpness: adjustSharpness };

describe('ImageEnhance ops against Pillow 9.4', () => {
  for (const [op, fn] of Object.entries(OPS)) {
    it.each(pilCases(op))(`${op} %#: $name`, ({ image, arg, expected }) => {
      const before = image.data.slice();
      const out = fn(image, arg!);
      expect(maxDiff(out.data, expected)).toBe(0);
      expect(image.data).toEqual(before); // input untouched
    });
  }
});

describe('factor 1 (RandAugment at magnitude 5) shortcut', () => {
  it.each(Object.entries(OPS))('%s at factor 1 returns a copy equal to what the blend computes', (_, fn) => {
    for (const channels of [1, 3]) {
      const image = randomImage(9, 7, channels, 11);
      const out = fn(image, 1);
      // What the blend computes at factor 1 (any degenerate image): the image itself.
      expect(out.data).toEqual(blend(new Uint8Array(image.data.length).fill(77), image, 1).data);
      expect(out.data).toEqual(image.data);
      expect(out.data).not.toBe(image.data);
      expect({ ...out, data: undefined }).toEqual({ ...image, data: undefined });
    }
  });
});

describe('blend', () => {
  it('factor 1 is the image and 0 the degenerate', () => {
    const image = randomImage(5, 4, 3, 7);
    const degenerate = randomImage(5, 4, 3, 8).data;
    expect(blend(degenerate, image, 1).data).toEqual(image.data);
    expect(blend(degenerate, image, 0).data).toEqual(degenerate);
  });

  it('extrapolation clips to [0, 255]', () => {
    const image = { data: Uint8Array.from([0, 100, 250]), width: 3, height: 1, channels: 1 };
    const out = blend(Uint8Array.from([100, 100, 100]), image, 3);
    expect([...out.data]).toEqual([0, 100, 255]);
  });
});
