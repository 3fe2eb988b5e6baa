import { describe, expect, it } from 'vitest';
import { nfnetAugment } from './nfnet-augment.js';

describe('nfnetAugment', () => {
  it("encodes DeepMind's 'cutmix_mixup_randaugment_4NN' per variant", () => {
    expect(nfnetAugment('F0')).toEqual({
      randomResizedCrop: true,
      flip: true,
      randAugment: { layers: 4, magnitude: 5 },
      mixup: { alpha: 0.2 },
      cutmix: true,
      mixMode: 'split',
      randAugmentAfterMix: true,
    });
    expect(nfnetAugment('F2').randAugment).toEqual({ layers: 4, magnitude: 10 });
    expect(nfnetAugment('F7').randAugment).toEqual({ layers: 4, magnitude: 15 });
    expect(() => nfnetAugment('F9' as 'F0')).toThrow(/F0 … F7, received F9/);
  });
});
