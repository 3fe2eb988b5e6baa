/**
 * Evaluation preprocessing of NFNets (DeepMind nfnets/dataset.py `_decode_and_resize_then_crop`,
 * `eval_preproc='resize_crop_32'`): resize the whole image, aspect ratio NOT kept, to
 * (S + 32) × (S + 32) bicubic, then take the centred S × S crop (offset 16).
 */
import type { ImageBuffer } from '../image-buffer.js';
import { centerCrop } from './crop.js';
import { resize } from './resize.js';

export function resizeCenterCrop(image: ImageBuffer, height: number, width = height, padding = 32): ImageBuffer {
  return centerCrop(resize(image, height + padding, width + padding, 'bicubic'), height, width);
}
