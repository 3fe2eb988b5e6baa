/**
 * The per-example part of a batch, in the reference order (DeepMind nfnets/dataset.py): channel
 * conversion, then for training a random resized crop (bicubic) and a random horizontal flip,
 * for evaluation `evalTransform` (timm's or DeepMind's resize and centre crop, aspect ratio kept
 * unless squashing), otherwise a plain bicubic resize; RandAugment here only when it is not
 * applied after mixing. All draws come from the example's own generator.
 */
import { convertChannels } from './augment/convert-channels.js';
import { evalTransform, type ResolvedEvalTransform } from './augment/eval-transform.js';
import { flipHorizontal } from './augment/flip.js';
import { randAugment, type RandAugmentOptions } from './augment/rand-augment.js';
import { randomResizedCrop, type RandomResizedCropOptions } from './augment/random-resized-crop.js';
import { resize } from './augment/resize.js';
import type { ImageBuffer } from './image-buffer.js';
import type { Rng } from './seeded-random.js';

export interface ExamplePlan {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** 'train': crop/flip/RandAugment as configured; 'eval': `evalTransform` with `eval`; 'none': resize only. */
  readonly mode: 'train' | 'eval' | 'none';
  /** The evaluation transform (used in mode 'eval'). */
  readonly eval: ResolvedEvalTransform;
  readonly randomResizedCrop: RandomResizedCropOptions | null;
  readonly flip: boolean;
  readonly randAugment: RandAugmentOptions | null;
}

export function prepareExample(image: ImageBuffer, rng: Rng, plan: ExamplePlan, withRandAugment: boolean): ImageBuffer {
  let out = convertChannels(image, plan.channels);
  const { height, width } = plan;
  if (plan.mode === 'eval') {
    out = evalTransform(out, height, width, plan.eval);
  } else if (plan.mode === 'train' && plan.randomResizedCrop) {
    out = randomResizedCrop(out, rng, height, width, plan.randomResizedCrop);
  } else if (out.height !== height || out.width !== width) {
    out = resize(out, height, width, 'bicubic');
  }
  if (plan.mode === 'train' && plan.flip && rng.bool()) out = flipHorizontal(out);
  if (plan.mode === 'train' && withRandAugment && plan.randAugment) out = randAugment(out, rng, plan.randAugment);
  return out;
}
