/**
 * The probe batch an analysis runs on: unit Gaussian "images" N(0, 1) as in the NF-ResNet paper
 * (and timm's `extract_spp_stats`), seeded, or your own tensors (real images).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SignalPropError } from './errors.js';
import type { RecordedSize } from './recorded-size.js';
import type { ProbeDescription } from './report.js';
import type { DataFormat } from './signal-metrics.js';
import { sizeAdvice, type Wording } from './wording.js';

/** `'gaussian'`: N(0, 1) of the model's input shape; or one tensor per model input. */
export type ProbeInput = 'gaussian' | tf.Tensor | readonly tf.Tensor[];

export interface ProbeInputOptions {
  /** Default `'gaussian'`. Tensors you pass stay yours (never disposed). */
  input?: ProbeInput;
  /** Batch size of the Gaussian probe. Default 8. */
  batchSize?: number;
  /** Seed of the Gaussian probe (input i uses seed + i). Default 0. */
  seed?: number;
  /**
   * Fills the unknown non-batch dimensions of the input shapes: one number for all, or a list in
   * order (e.g. `[64, 64]`). Default: the image size the model records in its metadata
   * (`userDefinedMetadata.nf.trainSize`, written by @nf/models' `saveModel` and nf-train), for
   * image inputs (rank 4).
   */
  size?: number | readonly number[];
}

/** What the analysis knows besides the options: the model's recorded size, the layout, the wording of errors. */
export interface ProbeContext {
  readonly recorded?: RecordedSize | null;
  readonly dataFormat?: DataFormat;
  readonly wording?: Wording;
}

export interface ProbeBatch {
  readonly feeds: tf.Tensor[];
  /** True when the feeds were made here and must be disposed by the caller. */
  readonly owned: boolean;
  readonly description: ProbeDescription;
}

export interface ModelInputSpec {
  readonly name: string;
  readonly shape: ReadonlyArray<number | null>;
  readonly dtype: tf.DataType;
}

const positiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

const showShape = (shape: ReadonlyArray<number | null>) => `[${shape.map((d) => (d === null || d === undefined ? 'null' : d)).join(', ')}]`;

/** The recorded size at the unknown dimensions of an image input (rank 4), by position. */
function fromRecorded(spec: ModelInputSpec, recorded: RecordedSize, dataFormat: DataFormat): Array<number | null> | null {
  if (spec.shape.length !== 4) return null;
  const byAxis = dataFormat === 'channelsFirst' ? [recorded.channels, recorded.height, recorded.width] : [recorded.height, recorded.width, recorded.channels];
  return spec.shape.map((d, i) => (i === 0 ? null : d !== null && d !== undefined ? d : byAxis[i - 1]!));
}

function gaussianShape(
  spec: ModelInputSpec,
  batchSize: number,
  size: number | readonly number[] | undefined,
  context: ProbeContext,
): { shape: number[]; filled: boolean; fromMetadata: boolean } {
  const unknown = spec.shape.some((d, i) => i > 0 && (d === null || d === undefined));
  const recorded = size === undefined && unknown && context.recorded ? fromRecorded(spec, context.recorded, context.dataFormat ?? 'channelsLast') : null;
  const fill = typeof size === 'number' ? null : [...(size ?? [])];
  const shape = spec.shape.map((d, i) => {
    if (i === 0) return batchSize;
    if (d !== null && d !== undefined) return d;
    if (recorded) return recorded[i] ?? null;
    if (typeof size === 'number') return size;
    return fill!.shift() ?? null;
  });
  if (shape.some((d) => d === null)) {
    const wording = context.wording ?? 'api';
    const r = context.recorded;
    const why = r
      ? `; the model's metadata records ${r.height}x${r.width}${r.channels ? `x${r.channels}` : ''} (${r.from}), which does not fill them`
      : size === undefined
        ? ' and the model records no image size in its metadata (userDefinedMetadata.nf.trainSize)'
        : `; size ${JSON.stringify(size)} does not fill them all`;
    throw new SignalPropError('BAD_INPUT', `input '${spec.name}' has unknown dimensions ${showShape(spec.shape)}${why}; ${sizeAdvice(wording, r?.height ?? 64)}.`);
  }
  return { shape: shape as number[], filled: unknown, fromMetadata: recorded !== null };
}

/** The probe tensors for a model with inputs `specs`. */
export function makeProbe(specs: readonly ModelInputSpec[], options: ProbeInputOptions = {}, context: ProbeContext = {}): ProbeBatch {
  const input = options.input ?? 'gaussian';
  if (input === 'gaussian') {
    const batchSize = options.batchSize ?? 8;
    const seed = options.seed ?? 0;
    if (!positiveInt(batchSize)) throw new SignalPropError('BAD_OPTION', `batchSize must be a positive integer, received ${String(options.batchSize)}.`);
    if (!Number.isFinite(seed)) throw new SignalPropError('BAD_OPTION', `seed must be a finite number, received ${String(options.seed)}.`);
    const sizes = typeof options.size === 'number' ? [options.size] : (options.size ?? []);
    if (!sizes.every(positiveInt)) throw new SignalPropError('BAD_OPTION', `size must be a positive integer or a list of them, received ${JSON.stringify(options.size)}.`);
    for (const spec of specs) {
      if (spec.dtype !== 'float32') {
        throw new SignalPropError('BAD_INPUT', `input '${spec.name}' is ${spec.dtype}, so a Gaussian probe does not fit it; pass real inputs as \`input\`.`);
      }
    }
    const planned = specs.map((s) => gaussianShape(s, batchSize, options.size, context));
    const shapes = planned.map((p) => p.shape);
    const sizeFrom = planned.some((p) => p.fromMetadata) ? context.recorded!.from : planned.some((p) => p.filled) ? 'size' : null;
    const feeds = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', seed + i));
    return { feeds, owned: true, description: { kind: 'gaussian', shapes, seed, ...(sizeFrom ? { sizeFrom } : {}) } };
  }
  const feeds = input instanceof tf.Tensor ? [input] : [...(input as readonly tf.Tensor[])];
  if (feeds.length !== specs.length || !feeds.every((t) => t instanceof tf.Tensor)) {
    throw new SignalPropError('BAD_INPUT', `the model has ${specs.length} input(s) (${specs.map((s) => s.name).join(', ')}), received ${feeds.length} probe tensor(s); pass one tensor per input, in order.`);
  }
  feeds.forEach((t, i) => {
    const spec = specs[i]!;
    const fits = t.rank === spec.shape.length && t.shape.every((d, j) => spec.shape[j] === null || spec.shape[j] === undefined || spec.shape[j] === d);
    if (!fits || t.isDisposed) {
      throw new SignalPropError('BAD_INPUT', `probe tensor ${i} has shape [${t.shape.join(', ')}]${t.isDisposed ? ' and is disposed' : ''}; input '${spec.name}' expects [${spec.shape.map((d) => (d === null ? 'null' : d)).join(', ')}].`);
    }
  });
  return { feeds, owned: false, description: { kind: 'tensor', shapes: feeds.map((t) => t.shape), seed: null } };
}
