import { describe, expect, it } from 'vitest';
import { randomImage, referenceResize } from '../../test/reference.js';
import { centerCrop } from './crop.js';
import { resizeCenterCrop } from './resize-center-crop.js';
import { resize } from './resize.js';

describe('resizeCenterCrop (evaluation)', () => {
  it('equals a bicubic resize to S+32 followed by the centred S crop', () => {
    const image = randomImage(50, 37, 3, 8);
    const out = resizeCenterCrop(image, 20);
    const full = referenceResize(image, 52, 52, 'bicubic');
    expect([out.height, out.width]).toEqual([20, 20]);
    for (let y = 0; y < 20; y++) {
      for (let x = 0; x < 20; x++) {
        for (let c = 0; c < 3; c++) {
          const ref = Math.min(255, Math.max(0, full[((y + 16) * 52 + x + 16) * 3 + c]!));
          expect(Math.abs(out.data[(y * 20 + x) * 3 + c]! - ref)).toBeLessThanOrEqual(0.5 + 1e-3);
        }
      }
    }
    expect(resizeCenterCrop(image, 20).data).toEqual(centerCrop(resize(image, 52, 52), 20, 20).data);
  });
});
