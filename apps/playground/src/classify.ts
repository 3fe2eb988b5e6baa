/**
 * Classifying one image the way `nf-train predict` does: @nf/data's evaluation preparation (channel
 * conversion, then timm's resize keeping the aspect ratio and centre crop at the model's test size),
 * normalised with the model's recorded mean/std, then softmax and the top classes.
 */
import * as tf from '@tensorflow/tfjs';
import { convertChannels, evalTransform, imageFrom, normalize } from '@nf/data';
import type { Prediction } from './protocol.js';

export interface ModelInput {
  /** [height, width] the image is resized and centre-cropped to. */
  size: [number, number];
  channels: 1 | 3;
  normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

/** RGBA pixels (canvas ImageData order) to RGB bytes; alpha is dropped as nf-train's decoder drops it. */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): Uint8Array {
  if (rgba.length !== width * height * 4) throw new Error(`expected ${width}×${height}×4 RGBA bytes, received ${rgba.length}.`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return rgb;
}

/** The model's input [1, H, W, C] for an RGB image, prepared as nf-train's `predict` and `eval --data` do. */
export function prepareImage(rgb: Uint8Array, width: number, height: number, input: ModelInput): tf.Tensor4D {
  const image = convertChannels(imageFrom(rgb, width, height, 3), input.channels);
  const [h, w] = input.size;
  // @nf/data's normalization, as its pipeline applies it for nf-train predict: the same floats.
  const values = normalize(evalTransform(image, h, w), input.normalization);
  return tf.tensor4d(values, [1, h, w, input.channels]);
}

/** The `k` most probable classes of `probabilities` (one image), best first. */
export function topK(probabilities: ArrayLike<number>, classNames: readonly string[], k = 3): Prediction[] {
  const order = Array.from({ length: probabilities.length }, (_, i) => i).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  return order.slice(0, k).map((index) => ({ index, name: classNames[index] ?? `class ${index}`, probability: probabilities[index]! }));
}

/** Softmax probabilities of `model` for one prepared image. */
export function probabilities(model: tf.LayersModel, input: tf.Tensor4D): Float32Array {
  return tf.tidy(() => tf.softmax(model.predict(input) as tf.Tensor2D).dataSync() as Float32Array);
}
