import { describe, expect, it } from 'vitest';
import { randomImage } from '../test/reference.js';
import { evalTransform } from './augment/eval-transform.js';
import { flipHorizontal } from './augment/flip.js';
import { randAugment } from './augment/rand-augment.js';
import { randomResizedCrop } from './augment/random-resized-crop.js';
import { resizeCenterCrop } from './augment/resize-center-crop.js';
import { prepareExample, type ExamplePlan } from './prepare-example.js';
import { Rng } from './seeded-random.js';

const base: ExamplePlan = {
  height: 16,
  width: 16,
  channels: 3,
  mode: 'train',
  eval: { convention: 'timm', cropMode: 'center', cropPct: 0.875, padding: null, interpolation: 'bilinear' },
  randomResizedCrop: {},
  flip: true,
  randAugment: { layers: 2, magnitude: 9 },
};

describe('prepareExample', () => {
  it('train = crop, then flip (one draw), then RandAugment, all from the example generator', () => {
    const image = randomImage(40, 30, 3, 1);
    const out = prepareExample(image, new Rng(5), base, true);
    const rng = new Rng(5);
    let expected = randomResizedCrop(image, rng, 16, 16, {});
    if (rng.bool()) expected = flipHorizontal(expected);
    expected = randAugment(expected, rng, base.randAugment!);
    expect(out.data).toEqual(expected.data);
  });

  it('eval = the evaluation transform of the plan, after channel conversion (gray input becomes RGB)', () => {
    const gray = randomImage(30, 20, 1, 2);
    const rgb = { ...gray, data: Uint8Array.from(Array.from(gray.data).flatMap((v) => [v, v, v])), channels: 3 };
    const out = prepareExample(gray, new Rng(1), { ...base, mode: 'eval' }, true);
    expect(out.data).toEqual(evalTransform(rgb, 16, 16, base.eval).data);
    const squash = { convention: 'deepmind', cropMode: 'squash', cropPct: null, padding: 4, interpolation: 'bicubic' } as const;
    const old = prepareExample(gray, new Rng(1), { ...base, mode: 'eval', eval: squash }, true);
    expect(old.data).toEqual(resizeCenterCrop(rgb, 16, 16, 4).data);
  });
});
