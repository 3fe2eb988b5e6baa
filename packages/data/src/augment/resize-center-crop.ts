/**
 * DeepMind's squashing evaluation preprocessing (nfnets/dataset.py `_decode_and_resize_then_crop`,
 * `eval_preproc='resize_crop_32'`, the setting of experiment_nfnets.py): resize the whole image,
 * aspect ratio NOT kept, to (S + 32) × (S + 32) bicubic, then take the centred S × S crop (offset
 * 16). The pipeline's `augment: 'eval'` no longer uses it by default: see `evalTransform`
 * (`{ convention: 'deepmind', cropMode: 'squash' }` is this, with TF2's edge renormalisation).
 */
import type { ImageBuffer } from '../image-buffer.js';
import { centerCrop } from './crop.js';
import { resize } from './resize.js';

export function resizeCenterCrop(image: ImageBuffer, height: number, width = height, padding = 32): ImageBuffer {
  return centerCrop(resize(image, height + padding, width + padding, 'bicubic'), height, width);
}
