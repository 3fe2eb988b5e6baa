import { describe, expect, it } from 'vitest';
import { EVAL_FIXTURES, fixturePicture, readFixturePng } from '../../test/eval-fixtures.js';
import { randomImage, referenceAntialiasedResize } from '../../test/reference.js';
import { crop } from './crop.js';
import { pilResize } from './pil-resize.js';

const SHAPES: [number, number, number, number, number][] = [
  // in W, in H, C, out H, out W
  [40, 30, 3, 11, 13], // shrink ×3, antialiased
  [17, 23, 1, 9, 7],
  [7, 5, 3, 11, 13], // enlarge
  [32, 24, 3, 24, 20], // one axis only
  [9, 9, 3, 9, 4],
];

describe('pilResize', () => {
  for (const method of ['bicubic', 'bilinear'] as const) {
    it.each(SHAPES)(`${method} %i×%i×%i → %i×%i matches the float64 antialiased reference within Pillow's roundings`, (w, h, c, oh, ow) => {
      const image = randomImage(w, h, c, w * 7 + h);
      const out = pilResize(image, oh, ow, method);
      const ref = referenceAntialiasedResize(image, oh, ow, method);
      let sum = 0;
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(out.data[i]! - Math.min(255, Math.max(0, ref[i]!)));
        // Two roundings to bytes (after each pass) and 22-bit coefficients.
        expect(d).toBeLessThanOrEqual(1.25);
        sum += d;
      }
      expect(sum / ref.length).toBeLessThan(0.4);
    });
  }

  it('a window is the same bytes as resizing everything and cropping', () => {
    const image = randomImage(31, 26, 3, 3);
    for (const method of ['bicubic', 'bilinear'] as const) {
      const full = pilResize(image, 19, 23, method);
      const box = { x: 5, y: 3, width: 11, height: 14 };
      expect(pilResize(image, 19, 23, method, box).data).toEqual(crop(full, box).data);
    }
  });

  it('same size = copy (Pillow skips both passes); the input is not modified', () => {
    const image = randomImage(12, 8, 3, 4);
    const before = image.data.slice();
    const out = pilResize(image, 8, 12);
    expect(out.data).toEqual(image.data);
    expect(out.data).not.toBe(image.data);
    expect(image.data).toEqual(before);
  });

  it("is Pillow's Image.resize byte for byte (through the timm fixtures: whole-image resize, then crop)", async () => {
    const c = EVAL_FIXTURES.cases.find((k) => k.name === 'timm-gray-48-full')!;
    const gray = await fixturePicture(c.picture);
    // crop_pct 1: 67×101 → 48 × int(48·101/67) = 72, crop offset round(12) = 12.
    const out = pilResize(gray, 48, 72, 'bilinear', { x: 12, y: 0, width: 48, height: 48 });
    expect(out.data).toEqual((await readFixturePng(c.file, 1)).data);
  });
});
