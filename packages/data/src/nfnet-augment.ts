/**
 * The NFNet training augmentation (DeepMind nfnets/experiment_nfnets.py, augment name
 * 'cutmix_mixup_randaugment_' + {F0: 405, F1: 410, F2: 410, F3–F7: 415}): random resized crop,
 * flip, MixUp (α 0.2) on half the batch and CutMix on the other half, then RandAugment with 4
 * layers at magnitude 5, 10 or 15. Use with `labelSmoothing: 0.1`.
 */
import { DataError } from './errors.js';
import type { AugmentOptions } from './pipeline-options.js';

export type NfnetVariant = 'F0' | 'F1' | 'F2' | 'F3' | 'F4' | 'F5' | 'F6' | 'F7';

const MAGNITUDE: Record<NfnetVariant, number> = { F0: 5, F1: 10, F2: 10, F3: 15, F4: 15, F5: 15, F6: 15, F7: 15 };

export function nfnetAugment(variant: NfnetVariant = 'F0'): AugmentOptions {
  const magnitude = MAGNITUDE[variant];
  if (magnitude === undefined) throw new DataError('BAD_OPTION', `nfnetAugment: variant must be one of F0 … F7, received ${String(variant)}.`);
  return {
    randomResizedCrop: true,
    flip: true,
    randAugment: { layers: 4, magnitude },
    mixup: { alpha: 0.2 },
    cutmix: true,
    mixMode: 'split',
    randAugmentAfterMix: true,
  };
}
