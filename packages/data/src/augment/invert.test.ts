import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { randomImage } from '../../test/reference.js';
import { invert } from './invert.js';

describe('invert', () => {
  it.each(pilCases('invert'))('matches Pillow on $name', ({ image, expected }) => {
    expect(maxDiff(invert(image).data, expected)).toBe(0);
  });
  it('twice is the identity', () => {
    const image = randomImage(9, 5, 3, 3);
    expect(invert(invert(image)).data).toEqual(image.data);
  });
});
