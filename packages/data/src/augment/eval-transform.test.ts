import { describe, expect, it } from 'vitest';
import { EVAL_FIXTURES, fixturePicture, pixelDiff, readFixturePng, type EvalCase } from '../../test/eval-fixtures.js';
import { imageOf, randomImage } from '../../test/reference.js';
import { evalGeometry, evalTransform, resolveEvalTransform, type EvalTransformOptions } from './eval-transform.js';
import { pilResize } from './pil-resize.js';
import { resizeCenterCrop } from './resize-center-crop.js';
import { resize } from './resize.js';

const optionsOf = (c: EvalCase): EvalTransformOptions => ({
  convention: c.convention,
  cropMode: c.cropMode,
  cropPct: c.cropPct,
  padding: c.padding,
  interpolation: c.interpolation,
});

describe('evalTransform against reference pixels (scripts/make-eval-fixtures.py)', () => {
  it(`covers both conventions on non-square pictures (Pillow ${EVAL_FIXTURES.pillow})`, () => {
    const cases = EVAL_FIXTURES.cases;
    expect(cases.filter((c) => c.convention === 'timm' && c.cropMode === 'center').length).toBeGreaterThanOrEqual(4);
    expect(cases.filter((c) => c.convention === 'deepmind' && c.cropMode === 'center').length).toBeGreaterThanOrEqual(4);
    for (const c of cases) {
      const p = EVAL_FIXTURES.pictures[c.picture]!;
      expect(p.height).not.toBe(p.width);
    }
  });

  it.each(EVAL_FIXTURES.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const picture = await fixturePicture(c.picture);
    const reference = await readFixturePng(c.file, picture.channels);
    const input = picture.data.slice();
    const out = evalTransform(picture, c.size[0], c.size[1], optionsOf(c));
    expect([out.height, out.width, out.channels]).toEqual([reference.height, reference.width, reference.channels]);
    expect(picture.data).toEqual(input);
    const d = pixelDiff(out.data, reference.data);
    if (c.convention === 'timm') {
      // Pillow's resampling is reproduced exactly: the same bytes.
      expect(d.max).toBe(0);
    } else {
      // TF2's bicubic uses a 1024-entry weight table in float32; ours exact weights in float64.
      expect(d.max).toBeLessThanOrEqual(1);
      expect(d.mean).toBeLessThan(0.05);
    }
    // The old squashing transform (resize to S+32 squares, crop) misses every aspect-keeping
    // reference by far more than the tolerance.
    if (c.cropMode === 'center') expect(pixelDiff(resizeCenterCrop(picture, c.size[0], c.size[1]).data, reference.data).mean).toBeGreaterThan(15);
  });
});

describe('evalGeometry', () => {
  const timm = resolveEvalTransform();
  const deepmind = resolveEvalTransform({ convention: 'deepmind' });

  it("timm: shorter side to floor(S / crop_pct), longer int(T·long/short), torchvision's centre offsets (halves to even)", () => {
    // 160×120 → T = floor(64 / 0.875) = 73; 73 × int(73·160/120 = 97.3) = 97; offsets round(4.5) = 4, round(16.5) = 16.
    expect(evalGeometry(120, 160, 64, 64, timm)).toEqual({ resize: { height: 73, width: 97 }, crop: { x: 16, y: 4, width: 64, height: 64 } });
    // Portrait 200×120 → 73 wide, int(73·200/120 = 121.7) = 121 high; offsets round(28.5) = 28, round(4.5) = 4.
    expect(evalGeometry(200, 120, 64, 64, timm)).toEqual({ resize: { height: 121, width: 73 }, crop: { x: 4, y: 28, width: 64, height: 64 } });
    // Halves go to the even side: round(17.5) = 18 and round(5.5) = 6 here, round(4.5) = 4 and round(16.5) = 16 above.
    expect(evalGeometry(120, 160, 62, 62, resolveEvalTransform({ padding: 11 })).crop).toMatchObject({ x: 18, y: 6 });
    // Square images: the same geometry as the old S+32 resize when T = S + 32.
    expect(evalGeometry(300, 300, 224, 224, timm)).toEqual({ resize: { height: 256, width: 256 }, crop: { x: 16, y: 16, width: 224, height: 224 } });
    expect(evalGeometry(300, 300, 224, 224, resolveEvalTransform({ padding: 32 }))).toEqual(evalGeometry(300, 300, 224, 224, timm));
  });

  it('timm: the aspect ratio is kept (to the pixel), including non-square targets (ResizeKeepRatio)', () => {
    for (const [h, w] of [
      [120, 160],
      [200, 120],
      [375, 500],
      [333, 1000],
      [17, 23],
    ]) {
      for (const [sh, sw] of [
        [64, 64],
        [224, 224],
        [48, 64],
        [64, 48],
      ]) {
        const g = evalGeometry(h!, w!, sh!, sw!, timm);
        const { height: rh, width: rw } = g.resize!;
        // Each resized side is within one pixel of the other side scaled by the image's ratio.
        expect(Math.abs(rw - (rh * w!) / h!)).toBeLessThanOrEqual(1);
        expect(Math.abs(rh - (rw * h!) / w!)).toBeLessThanOrEqual(1);
        expect(rh).toBeGreaterThanOrEqual(sh!);
        expect(rw).toBeGreaterThanOrEqual(sw!);
        expect(g.crop.x + g.crop.width).toBeLessThanOrEqual(rw);
        expect(g.crop.y + g.crop.height).toBeLessThanOrEqual(rh);
      }
    }
  });

  it("deepmind: crop int(S / (S + 32) · short side) in float32, offsets (H − h + 1) // 2, no resize before", () => {
    // 160×120, S = 64: scale = min(120/96, 160/96) = 1.25, crop 80; offsets (40+1)//2 = 20, (80+1)//2 = 40.
    expect(evalGeometry(120, 160, 64, 64, deepmind)).toEqual({ resize: null, crop: { x: 40, y: 20, width: 80, height: 80 } });
    // 500×375, S = 224: scale = 375/256 = 1.46484375, crop int(328.125) = 328.
    expect(evalGeometry(375, 500, 224, 224, deepmind).crop).toEqual({ x: 86, y: 24, width: 328, height: 328 });
    // Non-square target keeps the target's ratio: 48×64 from 160×120: scale min(120/80, 160/96) = 1.5 → 72 × 96.
    expect(evalGeometry(120, 160, 48, 64, deepmind).crop).toEqual({ x: 32, y: 24, width: 96, height: 72 });
    // cropPct instead of padding: T = floor(64 / 0.8) = 80, scale 1.5, crop 96.
    expect(evalGeometry(120, 160, 64, 64, resolveEvalTransform({ convention: 'deepmind', cropPct: 0.8 })).crop.width).toBe(96);
  });

  it('squash: both sides to T (aspect not kept), then the centre crop', () => {
    expect(evalGeometry(120, 160, 64, 64, resolveEvalTransform({ cropMode: 'squash', cropPct: 0.9 }))).toEqual({ resize: { height: 71, width: 71 }, crop: { x: 4, y: 4, width: 64, height: 64 } });
    expect(evalGeometry(120, 160, 64, 64, resolveEvalTransform({ convention: 'deepmind', cropMode: 'squash' }))).toEqual({ resize: { height: 96, width: 96 }, crop: { x: 16, y: 16, width: 64, height: 64 } });
  });
});

describe('evalTransform', () => {
  it('timm = Pillow resize of the whole image, then the crop; deepmind = crop, then the TF2 resize', () => {
    const image = randomImage(45, 31, 3, 4);
    const t = evalGeometry(31, 45, 20, 20, resolveEvalTransform());
    const full = pilResize(image, t.resize!.height, t.resize!.width, 'bilinear');
    const cropped = pilResize(full, full.height, full.width, 'bilinear', t.crop);
    expect(evalTransform(image, 20).data).toEqual(cropped.data);
    const d = evalGeometry(31, 45, 20, 20, resolveEvalTransform({ convention: 'deepmind' }));
    expect(evalTransform(image, 20, 20, { convention: 'deepmind' }).data).toEqual(resize(image, 20, 20, 'bicubic', d.crop, 'renormalize').data);
  });

  it("deepmind squash with TF2's edges equals the old resizeCenterCrop except at the outermost pixels", () => {
    const image = imageOf(50, 40, 3, (x, y, c) => (x * 5 + y * 3 + c * 40) % 256);
    const a = evalTransform(image, 20, 20, { convention: 'deepmind', cropMode: 'squash', padding: 8 });
    const b = resizeCenterCrop(image, 20, 20, 8);
    expect(pixelDiff(a.data, b.data).mean).toBeLessThan(0.5);
  });

  it('upsamples images smaller than the output, keeping 1-channel images 1-channel', () => {
    const image = randomImage(10, 6, 1, 9);
    for (const convention of ['timm', 'deepmind'] as const) {
      const out = evalTransform(image, 16, 16, { convention });
      expect([out.height, out.width, out.channels]).toEqual([16, 16, 1]);
    }
  });

  it('rejects bad options with the name, the value and the fix', () => {
    const image = randomImage(8, 8, 3, 1);
    const bad: [EvalTransformOptions, RegExp][] = [
      [{ convention: 'tf' as 'timm' }, /convention must be 'timm' or 'deepmind', received tf/],
      [{ cropMode: 'border' as 'center' }, /cropMode must be 'center' or 'squash', received border/],
      [{ cropPct: 0 }, /cropPct must be a number in \(0, 1\], received 0/],
      [{ cropPct: 1.2 }, /cropPct must be a number in \(0, 1\]/],
      [{ padding: -1 }, /padding must be an integer ≥ 0, received -1/],
      [{ padding: 2.5 }, /padding must be an integer ≥ 0/],
      [{ cropPct: 0.9, padding: 32 }, /give cropPct or padding, not both/],
      [{ interpolation: 'lanczos' as 'bicubic' }, /interpolation must be 'bilinear' or 'bicubic'/],
    ];
    for (const [options, message] of bad) {
      expect(() => evalTransform(image, 4, 4, options)).toThrow(message);
      expect(() => evalTransform(image, 4, 4, options)).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    }
    expect(resolveEvalTransform()).toEqual({ convention: 'timm', cropMode: 'center', cropPct: 0.875, padding: null, interpolation: 'bilinear' });
    expect(resolveEvalTransform({ convention: 'deepmind' })).toEqual({ convention: 'deepmind', cropMode: 'center', cropPct: null, padding: 32, interpolation: 'bicubic' });
  });
});
