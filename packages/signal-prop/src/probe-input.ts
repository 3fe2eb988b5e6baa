/**
 * The probe batch an analysis runs on: unit Gaussian "images" N(0, 1) as in the NF-ResNet paper
 * (and timm's `extract_spp_stats`), seeded, or your own tensors (real images).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SignalPropError } from './errors.js';
import type { ProbeDescription } from './report.js';

/** `'gaussian'`: N(0, 1) of the model's input shape; or one tensor per model input. */
export type ProbeInput = 'gaussian' | tf.Tensor | readonly tf.Tensor[];

export interface ProbeInputOptions {
  /** Default `'gaussian'`. Tensors you pass stay yours (never disposed). */
  input?: ProbeInput;
  /** Batch size of the Gaussian probe. Default 8. */
  batchSize?: number;
  /** Seed of the Gaussian probe (input i uses seed + i). Default 0. */
  seed?: number;
  /** Fills the unknown non-batch dimensions of the input shapes: one number for all, or a list in order (e.g. `[64, 64]`). */
  size?: number | readonly number[];
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

function gaussianShape(spec: ModelInputSpec, batchSize: number, size: number | readonly number[] | undefined): number[] {
  const fill = typeof size === 'number' ? null : [...(size ?? [])];
  const shape = spec.shape.map((d, i) => {
    if (i === 0) return batchSize;
    if (d !== null && d !== undefined) return d;
    if (typeof size === 'number') return size;
    return fill!.shift() ?? null;
  });
  if (shape.some((d) => d === null)) {
    throw new SignalPropError('BAD_INPUT', `input '${spec.name}' has unknown dimensions [${spec.shape.map((d) => (d === null ? 'null' : d)).join(', ')}]; pass size (e.g. size: 64 or size: [64, 64]) or a probe tensor.`);
  }
  return shape as number[];
}

/** The probe tensors for a model with inputs `specs`. */
export function makeProbe(specs: readonly ModelInputSpec[], options: ProbeInputOptions = {}): ProbeBatch {
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
    const shapes = specs.map((s) => gaussianShape(s, batchSize, options.size));
    const feeds = shapes.map((shape, i) => tf.randomNormal(shape, 0, 1, 'float32', seed + i));
    return { feeds, owned: true, description: { kind: 'gaussian', shapes, seed } };
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
