/**
 * Evaluation preprocessing: resize and centre crop to the test size, in timm's or DeepMind's
 * convention, keeping the aspect ratio unless `cropMode: 'squash'`.
 *
 * timm (huggingface/pytorch-image-models, timm/data/transforms_factory.py
 * `transforms_imagenet_eval`, crop_mode 'center'): the scaled size T = floor(S / crop_pct); the
 * shorter side is resized to T and the longer to int(T · long / short) (torchvision `Resize(T)`),
 * with Pillow's antialiased resampling (`pilResize`); then torchvision's `CenterCrop(S)`, offset
 * int(round((H − S) / 2)) with Python's round (half to even). A non-square S_h × S_w target uses
 * timm's `ResizeKeepRatio`: scale by min(H / T_h, W / T_w), sizes rounded half to even.
 * crop_mode 'squash' resizes both sides to T (aspect not kept), then crops.
 *
 * DeepMind (google-deepmind/deepmind-research nfnets/dataset.py): eval_preproc 'crop_resize'
 * (`_decode_and_center_crop`): scale = min(H / T_h, W / T_w) in float32 with T = S + 32, crop
 * int(scale · S) per side, offset (H − h + 1) // 2, then `tf.image.resize` to S (bicubic, no
 * antialias: `resize`); eval_preproc 'resize_crop_32' (`_decode_and_resize_then_crop`, what
 * experiment_nfnets.py sets) is `cropMode: 'squash'`: resize to T × T, crop S (`resizeCenterCrop`).
 *
 * Differs: timm ignores its interpolation for non-square targets (always bilinear), here it is
 * honoured. `padding` (T = S + padding) is accepted by timm's convention and `cropPct`
 * (T = floor(S / cropPct)) by DeepMind's. TF returns floats; here bytes (rounded, clamped).
 */
import { DataError } from '../errors.js';
import type { ImageBuffer } from '../image-buffer.js';
import { centerCropBox, crop, type CropBox } from './crop.js';
import { pilResize } from './pil-resize.js';
import { resize, type ResizeMethod } from './resize.js';

export type EvalConvention = 'timm' | 'deepmind';
export type EvalCropMode = 'center' | 'squash';

export interface EvalTransformOptions {
  /** 'timm' (default) or 'deepmind'. */
  readonly convention?: EvalConvention;
  /** 'center' (default: aspect ratio kept, the centre cropped) or 'squash' (both sides resized). */
  readonly cropMode?: EvalCropMode;
  /** Fraction of the scaled size kept: T = floor(S / cropPct), in (0, 1]. Default 0.875 for timm. */
  readonly cropPct?: number;
  /** Or pixels added: T = S + padding. Default 32 for DeepMind. Give at most one of the two. */
  readonly padding?: number;
  /** Default 'bilinear' for timm (its `transforms_imagenet_eval` default), 'bicubic' for DeepMind. */
  readonly interpolation?: ResizeMethod;
}

/** The defaults of each convention. */
export const EVAL_DEFAULTS = {
  timm: { cropMode: 'center', cropPct: 0.875, interpolation: 'bilinear' },
  deepmind: { cropMode: 'center', padding: 32, interpolation: 'bicubic' },
} as const;

/** Validated options: exactly one of `cropPct` and `padding` is a number. */
export interface ResolvedEvalTransform {
  readonly convention: EvalConvention;
  readonly cropMode: EvalCropMode;
  readonly cropPct: number | null;
  readonly padding: number | null;
  readonly interpolation: ResizeMethod;
}

function fail(where: string, name: string, value: unknown, allowed: string): never {
  throw new DataError('BAD_OPTION', `${where}: ${name} must be ${allowed}, received ${typeof value === 'object' ? JSON.stringify(value) : String(value)}.`);
}

/**
 * Fills in the defaults and checks the options; `where` and `names` word the messages (the
 * pipeline's options are called `evalConvention`, `evalCropPct`, …).
 */
export function resolveEvalTransform(
  options: EvalTransformOptions | ResolvedEvalTransform = {},
  where = 'evalTransform',
  names: Record<keyof EvalTransformOptions, string> = { convention: 'convention', cropMode: 'cropMode', cropPct: 'cropPct', padding: 'padding', interpolation: 'interpolation' },
): ResolvedEvalTransform {
  const convention = options.convention ?? 'timm';
  if (convention !== 'timm' && convention !== 'deepmind') fail(where, names.convention, convention, "'timm' or 'deepmind'");
  const cropMode = options.cropMode ?? 'center';
  if (cropMode !== 'center' && cropMode !== 'squash') fail(where, names.cropMode, cropMode, "'center' or 'squash'");
  const interpolation = options.interpolation ?? EVAL_DEFAULTS[convention].interpolation;
  if (interpolation !== 'bilinear' && interpolation !== 'bicubic') fail(where, names.interpolation, interpolation, "'bilinear' or 'bicubic'");
  // null (a resolved value's "not this one") counts as not given.
  const cropPct = options.cropPct ?? undefined;
  const padding = options.padding ?? undefined;
  if (cropPct !== undefined && padding !== undefined) {
    throw new DataError('BAD_OPTION', `${where}: give ${names.cropPct} or ${names.padding}, not both (received ${cropPct} and ${padding}); ${names.cropPct} sets T = floor(S / ${names.cropPct}), ${names.padding} T = S + ${names.padding}.`);
  }
  if (cropPct !== undefined && (typeof cropPct !== 'number' || !(cropPct > 0 && cropPct <= 1))) fail(where, names.cropPct, cropPct, 'a number in (0, 1]');
  if (padding !== undefined && (typeof padding !== 'number' || !Number.isSafeInteger(padding) || padding < 0)) fail(where, names.padding, padding, 'an integer ≥ 0');
  if (cropPct === undefined && padding === undefined) {
    return convention === 'timm'
      ? { convention, cropMode, cropPct: EVAL_DEFAULTS.timm.cropPct, padding: null, interpolation }
      : { convention, cropMode, cropPct: null, padding: EVAL_DEFAULTS.deepmind.padding, interpolation };
  }
  return { convention, cropMode, cropPct: cropPct ?? null, padding: padding ?? null, interpolation };
}

/** Python's round(): nearest integer, halves to even. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 || (d === 0.5 && f % 2 !== 0) ? f + 1 : f;
}

/** The scaled size T of one side. */
function scaled(side: number, o: ResolvedEvalTransform): number {
  return o.cropPct !== null ? Math.floor(side / o.cropPct) : side + o.padding!;
}

/**
 * Where the evaluation transform takes its pixels from: either `resize` (the whole image resized to
 * `resize.height × resize.width`, then `crop` taken from that), or `crop` of the original image
 * resized to the output (`resize` null: DeepMind's 'crop_resize').
 */
export interface EvalGeometry {
  readonly resize: { readonly height: number; readonly width: number } | null;
  readonly crop: CropBox;
}

export function evalGeometry(imageHeight: number, imageWidth: number, height: number, width: number, options: ResolvedEvalTransform): EvalGeometry {
  const th = scaled(height, options);
  const tw = scaled(width, options);
  if (options.convention === 'deepmind') {
    if (options.cropMode === 'squash') return { resize: { height: th, width: tw }, crop: centerCropBox(th, tw, height, width) };
    // float32 as in TF: scale = min(float32(H) / T_h, float32(W) / T_w); crop = int32(scale · S).
    const f = Math.fround;
    const scale = Math.min(f(f(imageHeight) / th), f(f(imageWidth) / tw));
    const ch = Math.max(1, Math.trunc(f(scale * height)));
    const cw = Math.max(1, Math.trunc(f(scale * width)));
    return { resize: null, crop: centerCropBox(imageHeight, imageWidth, ch, cw) };
  }
  let rh: number;
  let rw: number;
  if (options.cropMode === 'squash') {
    [rh, rw] = [th, tw];
  } else if (th === tw) {
    // torchvision Resize(T): shorter side T, longer int(T · long / short).
    if (imageWidth <= imageHeight) [rw, rh] = [th, Math.trunc((th * imageHeight) / imageWidth)];
    else [rh, rw] = [th, Math.trunc((th * imageWidth) / imageHeight)];
  } else {
    // timm ResizeKeepRatio(T): ratio = min(H / T_h, W / T_w), sizes round(H / ratio), round(W / ratio).
    const ratio = Math.min(imageHeight / th, imageWidth / tw);
    [rh, rw] = [roundHalfEven(imageHeight / ratio), roundHalfEven(imageWidth / ratio)];
  }
  rh = Math.max(rh, height);
  rw = Math.max(rw, width);
  // torchvision CenterCrop: offset int(round((H − S) / 2)).
  return { resize: { height: rh, width: rw }, crop: { x: roundHalfEven((rw - width) / 2), y: roundHalfEven((rh - height) / 2), width, height } };
}

/**
 * The evaluation transform of `image` to `height × width` (defaults: timm, centre crop, crop_pct
 * 0.875, bilinear). Returns a new image; the input is not modified.
 */
export function evalTransform(image: ImageBuffer, height: number, width = height, options: EvalTransformOptions | ResolvedEvalTransform = {}): ImageBuffer {
  const o = resolveEvalTransform(options);
  const g = evalGeometry(image.height, image.width, height, width, o);
  if (o.convention === 'timm') return pilResize(image, g.resize!.height, g.resize!.width, o.interpolation, g.crop);
  if (g.resize === null) return resize(image, height, width, o.interpolation, g.crop, 'renormalize');
  return crop(resize(image, g.resize.height, g.resize.width, o.interpolation, undefined, 'renormalize'), g.crop);
}

