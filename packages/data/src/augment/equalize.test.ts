import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { imageOf } from '../../test/reference.js';
import { equalize } from './equalize.js';

describe('equalize', () => {
  it.each(pilCases('equalize'))('matches Pillow on $name', ({ image, expected }) => {
    expect(maxDiff(equalize(image).data, expected)).toBe(0);
  });
  it('leaves an image with a single dominant value unchanged (step 0)', () => {
    const image = imageOf(4, 4, 1, (x, y) => (x + y === 0 ? 9 : 200));
    expect(equalize(image).data).toEqual(image.data);
  });
});
