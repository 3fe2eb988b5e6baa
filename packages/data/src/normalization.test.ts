import { describe, expect, it } from 'vitest';
import { NORMALIZATION, normalize, normalizationCoefficients } from './normalization.js';

describe('normalize', () => {
  it('is (x/255 − mean)/std per channel (ImageNet: DeepMind subtracts 255·mean, divides by 255·std)', () => {
    const image = { data: Uint8Array.from([0, 128, 255, 10, 20, 30]), width: 2, height: 1, channels: 3 };
    const out = normalize(image, NORMALIZATION.imagenet);
    const m = [0.485, 0.456, 0.406];
    const s = [0.229, 0.224, 0.225];
    for (let i = 0; i < 6; i++) expect(out[i]).toBeCloseTo((image.data[i]! - 255 * m[i % 3]!) / (255 * s[i % 3]!), 5);
  });

  it('broadcasts one mean/std over channels and averages three for a gray image', () => {
    expect(normalizationCoefficients(NORMALIZATION.fashionMnist, 3).bias[2]).toBeCloseTo(-0.286 / 0.353, 6);
    const gray = normalizationCoefficients(NORMALIZATION.imagenet, 1);
    expect(gray.bias[0]).toBeCloseTo(-((0.485 + 0.456 + 0.406) / 3) / ((0.229 + 0.224 + 0.225) / 3), 6);
  });
});
