import { describe, expect, it } from 'vitest';
import { imageOf, randomImage } from '../../test/reference.js';
import { affineTransform, rotate, shearX, shearY, translateX, translateY } from './affine.js';

const at = (im: { data: Uint8Array; width: number; channels: number }, x: number, y: number, c = 0) => im.data[(y * im.width + x) * im.channels + c];

describe('affine ops (TF AutoAugment semantics, nearest, fill 128)', () => {
  it('rotate 90° is counter-clockwise: out(x, y) = in(W−1−y, x) on a square image', () => {
    const image = randomImage(5, 5, 3, 11);
    const out = rotate(image, 90);
    for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) for (let c = 0; c < 3; c++) expect(at(out, x, y, c)).toBe(at(image, 4 - y, x, c));
  });

  it('four quarter turns are the identity; 0° is the identity', () => {
    const image = randomImage(6, 6, 1, 3);
    let out = image;
    for (let i = 0; i < 4; i++) out = rotate(out, 90);
    expect(out.data).toEqual(image.data);
    expect(rotate(image, 0).data).toEqual(image.data);
  });

  it('rotation fills the corners with 128 on a non-square image', () => {
    const image = imageOf(8, 4, 1, () => 0);
    const out = rotate(image, 30);
    expect(at(out, 0, 0)).toBe(128);
    expect(at(out, 4, 2)).toBe(0); // centre stays inside
  });

  it('translateX/Y shift by whole pixels and fill the uncovered side', () => {
    const image = imageOf(4, 3, 1, (x, y) => 10 * y + x + 1);
    expect([...translateX(image, 1).data]).toEqual([128, 1, 2, 3, 128, 11, 12, 13, 128, 21, 22, 23]);
    expect([...translateX(image, -2).data]).toEqual([3, 4, 128, 128, 13, 14, 128, 128, 23, 24, 128, 128]);
    expect([...translateY(image, 1).data]).toEqual([128, 128, 128, 128, 1, 2, 3, 4, 11, 12, 13, 14]);
    // A fractional shift: source x − 0.5 rounds half away from zero (std::round), so −0.5 → −1 (fill).
    expect([...translateX(image, 0.5).data]).toEqual([128, 2, 3, 4, 128, 12, 13, 14, 128, 22, 23, 24]);
  });

  it('shearX reads (x + level·y, y); shearY reads (x, level·x + y)', () => {
    const image = imageOf(4, 4, 1, (x, y) => 10 * y + x);
    const sx = shearX(image, 0.5);
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        const src = x + 0.5 * y;
        const r = Math.round(src);
        expect(at(sx, x, y)).toBe(r < 4 ? 10 * y + r : 128);
      }
    }
    const sy = shearY(image, -0.3);
    expect(at(sy, 3, 3)).toBe(10 * Math.round(3 - 0.9) + 3);
  });

  it('the identity matrix copies and the input is never modified', () => {
    const image = randomImage(7, 5, 3, 2);
    const before = image.data.slice();
    expect(affineTransform(image, [1, 0, 0, 0, 1, 0]).data).toEqual(image.data);
    rotate(image, 17);
    shearX(image, 0.2);
    expect(image.data).toEqual(before);
  });
});
