/**
 * MixUp (Zhang et al. 2018): `lambda·a + (1 − lambda)·b`, lambda ~ Beta(α, α) per example
 * (DeepMind nfnets/dataset.py `my_mixup`, α = 0.2). The partner's label gets weight 1 − lambda.
 * Differs: the mixed image is rounded to bytes (DeepMind keeps floats until RandAugment, which
 * clips and casts to uint8 anyway).
 */
import { toByte, type ImageBuffer } from '../image-buffer.js';
import type { Rng } from '../seeded-random.js';

export function mixup(a: ImageBuffer, b: ImageBuffer, lambda: number): ImageBuffer {
  const data = new Uint8Array(a.data.length);
  const mu = 1 - lambda;
  for (let i = 0; i < data.length; i++) data[i] = toByte(lambda * a.data[i]! + mu * b.data[i]!);
  return { ...a, data };
}

/** A MixUp ratio ~ Beta(α, α): the weight of the example's own image and label. */
export function sampleMixupRatio(rng: Rng, alpha: number): number {
  return rng.beta(alpha, alpha);
}
