import { describe, expect, it } from 'vitest';
import { imageOf, randomImage, referenceResize } from '../../test/reference.js';
import { keysCubic, resize } from './resize.js';

const SHAPES: [number, number, number, number, number][] = [
  // in W, in H, C, out H, out W
  [7, 5, 3, 11, 13],
  [16, 16, 1, 5, 7],
  [32, 24, 3, 24, 32],
  [9, 9, 3, 9, 4],
];

describe('resize', () => {
  for (const method of ['bicubic', 'bilinear'] as const) {
    it.each(SHAPES)(`${method} %i×%i×%i → %i×%i matches the direct 2-D reference within rounding`, (w, h, c, oh, ow) => {
      const image = randomImage(w, h, c, w * 31 + h);
      const out = resize(image, oh, ow, method);
      const ref = referenceResize(image, oh, ow, method);
      for (let i = 0; i < ref.length; i++) {
        const expected = Math.min(255, Math.max(0, ref[i]!));
        expect(Math.abs(out.data[i]! - expected)).toBeLessThanOrEqual(0.5 + 1e-3);
      }
    });
  }

  it('resizes a box as if it had been cropped first', () => {
    const image = randomImage(20, 15, 3, 5);
    const box = { x: 3, y: 2, width: 11, height: 9 };
    const out = resize(image, 7, 6, 'bicubic', box);
    const ref = referenceResize(image, 7, 6, 'bicubic', box);
    for (let i = 0; i < ref.length; i++) expect(Math.abs(out.data[i]! - Math.min(255, Math.max(0, ref[i]!)))).toBeLessThanOrEqual(0.5 + 1e-3);
  });

  it.each(SHAPES)("edges 'renormalize' (TF2's bicubic) %i×%i×%i → %i×%i matches the reference; 'clamp' differs only at the border", (w, h, c, oh, ow) => {
    const image = randomImage(w, h, c, w * 13 + h);
    const box = { x: 1, y: 1, width: w - 2, height: h - 1 };
    const out = resize(image, oh, ow, 'bicubic', box, 'renormalize');
    const ref = referenceResize(image, oh, ow, 'bicubic', box, 'renormalize');
    for (let i = 0; i < ref.length; i++) expect(Math.abs(out.data[i]! - Math.min(255, Math.max(0, ref[i]!)))).toBeLessThanOrEqual(0.5 + 1e-3);
    const clamped = resize(image, oh, ow, 'bicubic', box);
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        // Taps reach 2 source pixels: outputs whose taps stay inside the box are identical.
        const sx = ((x + 0.5) * box.width) / ow - 0.5;
        const sy = ((y + 0.5) * box.height) / oh - 0.5;
        if (Math.floor(sx) - 1 < 0 || Math.floor(sx) + 2 >= box.width || Math.floor(sy) - 1 < 0 || Math.floor(sy) + 2 >= box.height) continue;
        for (let ch = 0; ch < c; ch++) expect(out.data[(y * ow + x) * c + ch]).toBe(clamped.data[(y * ow + x) * c + ch]);
      }
    }
    // Bilinear clamps in TF2 too: 'renormalize' changes nothing there.
    expect(resize(image, oh, ow, 'bilinear', box, 'renormalize').data).toEqual(resize(image, oh, ow, 'bilinear', box).data);
  });

  it('is the identity at the same size and keeps a constant image constant', () => {
    const image = randomImage(8, 6, 3, 9);
    expect(resize(image, 6, 8).data).toEqual(image.data);
    const flat = imageOf(5, 7, 3, () => 77);
    expect(resize(flat, 12, 3, 'bicubic').data.every((v) => v === 77)).toBe(true);
  });

  it('bilinear 2× upsampling of [0, 100] gives TF half-pixel values [0, 25, 75, 100]', () => {
    const image = { data: Uint8Array.from([0, 100]), width: 2, height: 1, channels: 1 };
    expect([...resize(image, 1, 4, 'bilinear').data]).toEqual([0, 25, 75, 100]);
  });

  it("Keys' kernel interpolates (k(0) = 1, k(±1) = k(±2) = 0) and its taps sum to 1", () => {
    expect(keysCubic(0)).toBe(1);
    expect(keysCubic(1)).toBe(0);
    expect(keysCubic(-2)).toBe(0);
    for (const t of [0.1, 0.25, 0.5, 0.9]) {
      expect(keysCubic(t + 1) + keysCubic(t) + keysCubic(1 - t) + keysCubic(2 - t)).toBeCloseTo(1, 12);
    }
  });
});
