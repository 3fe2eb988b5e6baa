import { describe, expect, it } from 'vitest';
import { randomImage } from '../../test/reference.js';
import { flipHorizontal } from './flip.js';

describe('flipHorizontal', () => {
  it('mirrors each row and twice is the identity', () => {
    const image = { data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), width: 2, height: 2, channels: 3 };
    expect([...flipHorizontal(image).data]).toEqual([4, 5, 6, 1, 2, 3, 10, 11, 12, 7, 8, 9]);
    const big = randomImage(13, 7, 3, 4);
    expect(flipHorizontal(flipHorizontal(big)).data).toEqual(big.data);
  });
});
