import { describe, expect, it } from 'vitest';
import { randomImage } from '../test/reference.js';
import { flipHorizontal } from './augment/flip.js';
import { randAugment } from './augment/rand-augment.js';
import { randomResizedCrop } from './augment/random-resized-crop.js';
import { resizeCenterCrop } from './augment/resize-center-crop.js';
import { prepareExample, type ExamplePlan } from './prepare-example.js';
import { Rng } from './seeded-random.js';

const base: ExamplePlan = { height: 16, width: 16, channels: 3, mode: 'train', evalPadding: 32, randomResizedCrop: {}, flip: true, randAugment: { layers: 2, magnitude: 9 } };

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

  it('eval = resize to S + padding and centre crop; gray input becomes RGB', () => {
    const gray = randomImage(20, 20, 1, 2);
    const out = prepareExample(gray, new Rng(1), { ...base, mode: 'eval', evalPadding: 4 }, true);
    const rgb = resizeCenterCrop({ ...gray, data: Uint8Array.from(Array.from(gray.data).flatMap((v) => [v, v, v])), channels: 3 }, 16, 16, 4);
    expect(out.data).toEqual(rgb.data);
  });
});
