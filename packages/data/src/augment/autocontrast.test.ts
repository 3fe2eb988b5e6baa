import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { imageOf } from '../../test/reference.js';
import { autocontrast } from './autocontrast.js';

describe('autocontrast', () => {
  it.each(pilCases('autocontrast'))('matches Pillow on $name', ({ image, expected }) => {
    expect(maxDiff(autocontrast(image).data, expected)).toBe(0);
  });
  it('stretches [50, 100, 150] to [0, 127, 255] and leaves a constant channel alone', () => {
    const image = imageOf(3, 1, 2, (x, _y, c) => (c === 0 ? 50 + 50 * x : 77));
    expect([...autocontrast(image).data]).toEqual([0, 77, 127, 77, 255, 77]);
  });
});
