/**
 * Per-dataset channel statistics (on the [0, 1] scale) and the normalisation `(x/255 − mean)/std`.
 * ImageNet: the torchvision/DeepMind constants (nfnets/dataset.py multiplies them by 255).
 * CIFAR-10/100: per-channel mean and population std of the training set. MNIST and Fashion-MNIST:
 * mean and std of the training images.
 */
import type { ImageBuffer } from './image-buffer.js';

export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export const NORMALIZATION = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  cifar10: { mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  cifar100: { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] },
  mnist: { mean: [0.1307], std: [0.3081] },
  fashionMnist: { mean: [0.286], std: [0.353] },
  /** No normalisation beyond the [0, 1] scale. */
  unit: { mean: [0], std: [1] },
} as const satisfies Record<string, Normalization>;

/**
 * Per-channel `scale` and `bias` so that `x·scale + bias = (x/255 − mean)/std`. A single mean/std
 * applies to every channel; three values used on a one-channel image are averaged.
 */
export function normalizationCoefficients(n: Normalization, channels: number): { scale: Float32Array; bias: Float32Array } {
  const pick = (values: readonly number[], c: number) =>
    values.length === channels ? values[c]! : values.length === 1 ? values[0]! : values.reduce((a, b) => a + b, 0) / values.length;
  const scale = new Float32Array(channels);
  const bias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const mean = pick(n.mean, c);
    const std = pick(n.std, c);
    scale[c] = 1 / (255 * std);
    bias[c] = -mean / std;
  }
  return { scale, bias };
}

/** Writes the normalised image into `out` starting at `offset` (HWC float32). */
export function normalizeInto(
  image: ImageBuffer,
  coefficients: { scale: Float32Array; bias: Float32Array },
  out: Float32Array,
  offset = 0,
): void {
  const { data, channels: c } = image;
  const { scale, bias } = coefficients;
  for (let i = 0; i < data.length; i += c) {
    for (let ch = 0; ch < c; ch++) out[offset + i + ch] = data[i + ch]! * scale[ch]! + bias[ch]!;
  }
}

/** The image as normalised HWC float32. */
export function normalize(image: ImageBuffer, normalization: Normalization): Float32Array {
  const out = new Float32Array(image.data.length);
  normalizeInto(image, normalizationCoefficients(normalization, image.channels), out);
  return out;
}
