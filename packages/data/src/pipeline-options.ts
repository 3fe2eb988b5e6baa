/**
 * The options of `createPipeline`, their defaults, and their validation into the serialisable
 * plan a worker receives. Every check names the option, the value received and what is allowed.
 */
import { resolveEvalTransform, type EvalConvention, type EvalCropMode } from './augment/eval-transform.js';
import { RAND_AUGMENT_DEFAULTS, RAND_AUGMENT_OPS, type RandAugmentOptions } from './augment/rand-augment.js';
import { RANDOM_RESIZED_CROP_DEFAULTS, type RandomResizedCropOptions } from './augment/random-resized-crop.js';
import type { ResizeMethod } from './augment/resize.js';
import { DataError } from './errors.js';
import type { Normalization } from './normalization.js';
import type { BatchPlan, MixPlan } from './prepare-batch.js';
import type { DataSource } from './source.js';

/** Training augmentation; every part is off unless given. */
export interface AugmentOptions {
  /** Random resized crop to the output size (true = area [0.08, 1], ratio [3/4, 4/3], 10 attempts). */
  readonly randomResizedCrop?: boolean | RandomResizedCropOptions;
  /** Random horizontal flip with probability ½. */
  readonly flip?: boolean;
  /** RandAugment (true = 2 layers, magnitude 10). */
  readonly randAugment?: boolean | RandAugmentOptions;
  /** MixUp (true = α 0.2, DeepMind's default). */
  readonly mixup?: boolean | { readonly alpha?: number };
  /** CutMix with DeepMind's box rule. */
  readonly cutmix?: boolean;
  /** With both: 'split' (half the batch each, default) or 'switch' (one of the two per batch). */
  readonly mixMode?: 'split' | 'switch';
  /** RandAugment after mixing (NFNet paper App. A.3; default true) or before. */
  readonly randAugmentAfterMix?: boolean;
}

/** Where a pipeline stands: the next batch starts at `index` in the order of `epoch`. */
export interface PipelinePosition {
  readonly epoch: number;
  readonly index: number;
  /** The pipeline's seed (checked on resume). */
  readonly seed: number;
}

export interface PipelineOptions {
  /** Examples per batch. */
  readonly batchSize: number;
  /** Seed of shuffling and every augmentation draw. Default 0. */
  readonly seed?: number;
  /** Shuffle each epoch (seeded by seed and epoch). Default true. */
  readonly shuffle?: boolean;
  /** Iteration ends when this epoch number is reached (epochs count from 0). Default 1; Infinity allowed. */
  readonly epochs?: number;
  /** Leave out each epoch's last, short batch. Default false. */
  readonly dropRemainder?: boolean;
  /** Output height and width (a number for square). Default: the source's size; required for image folders. */
  readonly imageSize?: number | readonly [number, number];
  /** Output channels, 1 or 3. Default: the source's. */
  readonly channels?: 1 | 3;
  /** 'none' (default: resize only), 'eval' (resize and centre crop, see evalConvention) or training augmentation. */
  readonly augment?: 'none' | 'eval' | AugmentOptions;
  /** Evaluation transform: 'timm' (default; shorter side to floor(S / evalCropPct), centre crop S) or 'deepmind' (centre crop S / (S + evalPadding) of the shorter side, resize to S). */
  readonly evalConvention?: EvalConvention;
  /** 'center' (default: aspect ratio kept) or 'squash' (both sides resized, as DeepMind's resize_crop_32 and timm's dm_nfnet configs). */
  readonly evalCropMode?: EvalCropMode;
  /** timm's crop_pct in (0, 1]: scaled size floor(S / evalCropPct). Default 0.875 with timm. */
  readonly evalCropPct?: number;
  /** Or the scaled size S + evalPadding. Default 32 with DeepMind. Give at most one of evalCropPct and evalPadding. */
  readonly evalPadding?: number;
  /** 'bilinear' or 'bicubic'. Default 'bilinear' with timm, 'bicubic' with DeepMind. */
  readonly evalInterpolation?: ResizeMethod;
  /** 'int' ([B] int32, default) or 'one-hot' ([B, K] float32). Mixing always gives one-hot soft labels. */
  readonly labels?: 'int' | 'one-hot';
  /** Label smoothing ε (one-hot only): y·(1 − ε) + ε/K. Default 0. */
  readonly labelSmoothing?: number;
  /** Mean/std on the [0, 1] scale; default the source's; false = raw 0–255 floats. */
  readonly normalization?: Normalization | false;
  /** Worker threads; 0 prepares batches on the calling thread. Default min(2, cores) in `@nf/data/node`; the main entry starts none (0 only). */
  readonly workers?: number;
  /** Batches prepared ahead. Default 2 per worker. */
  readonly prefetch?: number;
  /** Resume here (from `pipeline.position()` of an earlier run with the same options). */
  readonly start?: { readonly epoch: number; readonly index: number; readonly seed?: number };
  /** 'tensors' (default: tf.Tensor images and labels) or 'arrays' (typed arrays). */
  readonly output?: 'tensors' | 'arrays';
}

export interface ResolvedPipeline {
  readonly plan: BatchPlan;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly epochs: number;
  readonly dropRemainder: boolean;
  readonly workers: number;
  readonly prefetch: number;
  readonly start: PipelinePosition;
  readonly output: 'tensors' | 'arrays';
}

function fail(name: string, value: unknown, allowed: string): never {
  const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
  throw new DataError('BAD_OPTION', `createPipeline: ${name} must be ${allowed}, received ${shown}.`);
}

function integer(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) fail(name, value, `an integer ≥ ${min}`);
  return value;
}

function range(name: string, value: readonly [number, number] | undefined, fallback: readonly [number, number], min: number, max: number): readonly [number, number] {
  if (value === undefined) return fallback;
  if (!Array.isArray(value) || value.length !== 2 || !(value[0] > min) || !(value[1] >= value[0]) || !(value[1] <= max)) {
    fail(name, value, `[lo, hi] with ${min} < lo ≤ hi ≤ ${max}`);
  }
  return [value[0], value[1]];
}

function resolveRandAugment(value: AugmentOptions['randAugment']): Required<RandAugmentOptions> | null {
  if (!value) return null;
  const o = value === true ? {} : value;
  const layers = integer('augment.randAugment.layers', o.layers, 0, RAND_AUGMENT_DEFAULTS.layers);
  const magnitude = o.magnitude ?? RAND_AUGMENT_DEFAULTS.magnitude;
  if (typeof magnitude !== 'number' || !(magnitude >= 0) || !Number.isFinite(magnitude)) fail('augment.randAugment.magnitude', magnitude, 'a number ≥ 0 (0–10 scale)');
  const ops = o.ops ?? RAND_AUGMENT_OPS;
  const unknown = ops.filter((op) => !(RAND_AUGMENT_OPS as readonly string[]).includes(op));
  if (ops.length === 0 || unknown.length > 0) fail('augment.randAugment.ops', ops, `a non-empty list of ${RAND_AUGMENT_OPS.join(', ')}`);
  return { ...RAND_AUGMENT_DEFAULTS, ...o, layers, magnitude, ops: [...ops] };
}

function resolveMix(a: AugmentOptions): MixPlan | null {
  let mixupAlpha: number | null = null;
  if (a.mixup) {
    const alpha = a.mixup === true ? 0.2 : (a.mixup.alpha ?? 0.2);
    if (typeof alpha !== 'number' || !(alpha > 0) || !Number.isFinite(alpha)) fail('augment.mixup.alpha', alpha, 'a number > 0');
    mixupAlpha = alpha;
  }
  const cutmix = a.cutmix === true;
  if (mixupAlpha === null && !cutmix) return null;
  const mode = a.mixMode ?? 'split';
  if (mode !== 'split' && mode !== 'switch') fail('augment.mixMode', mode, "'split' or 'switch'");
  return { mixupAlpha, cutmix, mode };
}

/** `defaultWorkers`: the default of `workers` (min(2, cores) in `@nf/data/node`, 0 in the main entry). */
export function resolvePipelineOptions(source: DataSource, options: PipelineOptions, defaultWorkers: number): ResolvedPipeline {
  if (typeof options !== 'object' || options === null) fail('options', options, 'an object with at least batchSize');
  const batchSize = integer('batchSize', options.batchSize ?? NaN, 1, 0);
  const seed = integer('seed', options.seed, 0, 0);
  const epochs = options.epochs ?? 1;
  if (epochs !== Infinity && (!Number.isSafeInteger(epochs) || epochs < 0)) fail('epochs', epochs, 'an integer ≥ 0 or Infinity');
  const size = options.imageSize ?? (source.imageSize ? [source.imageSize.height, source.imageSize.width] : undefined);
  if (size === undefined) {
    throw new DataError('BAD_OPTION', `createPipeline: ${source.name} has images of different sizes; pass imageSize (for example 224).`);
  }
  const [height, width] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isSafeInteger(height) || !Number.isSafeInteger(width) || height! < 1 || width! < 1) fail('imageSize', size, 'a positive integer or [height, width]');
  const channels = options.channels ?? (source.channels === 1 ? 1 : 3);
  if (channels !== 1 && channels !== 3) fail('channels', channels, '1 or 3');
  const augment = options.augment ?? 'none';
  const train = typeof augment === 'object' && augment !== null ? augment : undefined;
  if (!train && augment !== 'none' && augment !== 'eval') fail('augment', augment, "'none', 'eval' or an object of augmentation options");
  const rrc = train?.randomResizedCrop
    ? train.randomResizedCrop === true
      ? RANDOM_RESIZED_CROP_DEFAULTS
      : {
          scale: range('augment.randomResizedCrop.scale', train.randomResizedCrop.scale, RANDOM_RESIZED_CROP_DEFAULTS.scale, 0, 1),
          ratio: range('augment.randomResizedCrop.ratio', train.randomResizedCrop.ratio, RANDOM_RESIZED_CROP_DEFAULTS.ratio, 0, Infinity),
          attempts: integer('augment.randomResizedCrop.attempts', train.randomResizedCrop.attempts, 0, RANDOM_RESIZED_CROP_DEFAULTS.attempts),
        }
    : null;
  const mix = train ? resolveMix(train) : null;
  const labels = options.labels ?? (mix ? 'one-hot' : 'int');
  if (labels !== 'int' && labels !== 'one-hot') fail('labels', labels, "'int' or 'one-hot'");
  if (mix && labels === 'int') fail('labels', labels, "'one-hot' when MixUp or CutMix is on (mixed labels are soft)");
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing < 1)) fail('labelSmoothing', labelSmoothing, 'a number in [0, 1)');
  if (labelSmoothing > 0 && labels === 'int') fail('labelSmoothing', labelSmoothing, "0 with labels: 'int' (pass labels: 'one-hot')");
  const normalization = options.normalization === false ? { mean: [0], std: [1 / 255] } : (options.normalization ?? source.normalization);
  for (const key of ['mean', 'std'] as const) {
    const v = normalization[key];
    if (!Array.isArray(v) || (v.length !== 1 && v.length !== 3) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x)) || (key === 'std' && v.some((x) => x <= 0))) {
      fail(`normalization.${key}`, v, `1 or 3 finite numbers${key === 'std' ? ' > 0' : ''}`);
    }
  }
  const workers = integer('workers', options.workers, 0, defaultWorkers);
  const prefetch = integer('prefetch', options.prefetch, 1, Math.max(1, 2 * workers));
  const evalPlan = resolveEvalTransform(
    { convention: options.evalConvention, cropMode: options.evalCropMode, cropPct: options.evalCropPct, padding: options.evalPadding, interpolation: options.evalInterpolation },
    'createPipeline',
    { convention: 'evalConvention', cropMode: 'evalCropMode', cropPct: 'evalCropPct', padding: 'evalPadding', interpolation: 'evalInterpolation' },
  );
  const output = options.output ?? 'tensors';
  if (output !== 'tensors' && output !== 'arrays') fail('output', output, "'tensors' or 'arrays'");
  const start = options.start ?? { epoch: 0, index: 0 };
  if (typeof start !== 'object' || start === null) fail('start', start, '{ epoch, index } from pipeline.position()');
  if (start.seed !== undefined && start.seed !== seed) {
    throw new DataError('BAD_POSITION', `createPipeline: start position was recorded with seed ${start.seed}, this pipeline has seed ${seed}; resume with the same seed (and options) as the run that saved it.`);
  }
  const startEpoch = integer('start.epoch', start.epoch, 0, 0);
  const startIndex = integer('start.index', start.index, 0, 0);
  if (startIndex > source.size) {
    throw new DataError('BAD_POSITION', `createPipeline: start.index ${startIndex} is past the ${source.size} examples of ${source.name}; resume from a position of this dataset.`);
  }
  return {
    plan: {
      seed,
      example: {
        height: height!,
        width: width!,
        channels,
        mode: train ? 'train' : augment === 'eval' ? 'eval' : 'none',
        eval: evalPlan,
        randomResizedCrop: rrc,
        flip: train?.flip === true,
        randAugment: resolveRandAugment(train?.randAugment),
      },
      mix,
      randAugmentAfterMix: train?.randAugmentAfterMix ?? true,
      numClasses: source.numClasses,
      labels,
      labelSmoothing,
      normalization: { mean: [...normalization.mean], std: [...normalization.std] },
    },
    batchSize,
    shuffle: options.shuffle ?? true,
    epochs,
    dropRemainder: options.dropRemainder ?? false,
    workers,
    prefetch,
    start: { epoch: startEpoch, index: startIndex, seed },
    output,
  };
}
