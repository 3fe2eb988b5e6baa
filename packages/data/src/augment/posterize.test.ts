import { describe, expect, it } from 'vitest';
import { maxDiff, pilCases } from '../../test/pil-fixtures.js';
import { posterize } from './posterize.js';

describe('posterize', () => {
  it.each(pilCases('posterize'))('matches Pillow on $name bits', ({ image, arg, expected }) => {
    expect(maxDiff(posterize(image, arg!).data, expected)).toBe(0);
  });
});
