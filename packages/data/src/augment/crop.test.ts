import { describe, expect, it } from 'vitest';
import { randomImage } from '../../test/reference.js';
import { centerCrop, centerCropBox, crop } from './crop.js';

describe('crop', () => {
  it('copies exactly the pixels inside the box', () => {
    const image = randomImage(6, 5, 3, 1);
    const out = crop(image, { x: 2, y: 1, width: 3, height: 2 });
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 3; x++) {
        for (let c = 0; c < 3; c++) expect(out.data[(y * 3 + x) * 3 + c]).toBe(image.data[((y + 1) * 6 + x + 2) * 3 + c]);
      }
    }
  });

  it("centre crop offsets are (H − h + 1) // 2 (DeepMind's rule)", () => {
    expect(centerCropBox(256, 256, 224, 224)).toEqual({ x: 16, y: 16, width: 224, height: 224 });
    expect(centerCropBox(5, 8, 2, 3)).toEqual({ x: 3, y: 2, width: 3, height: 2 });
    expect(centerCrop(randomImage(4, 4, 1), 9, 9).width).toBe(4); // clamped
  });
});
