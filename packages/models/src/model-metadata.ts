/**
 * What a saved model tells the tools that load it later (nf-spp, an app that classifies images):
 * the image size it was trained and tested at, its channels, class names and input normalization,
 * and the module that registers its layers. Kept where tfjs keeps such things: model.json's
 * `userDefinedMetadata` (`tf.io.ModelArtifacts.userDefinedMetadata`,
 * `LayersModel.getUserDefinedMetadata()`), under the key `nf`:
 *
 *     "userDefinedMetadata": { "nf": { "version": 1, "trainSize": [28, 28], "testSize": [28, 28], "channels": 1,
 *       "classNames": ["T-shirt/top", …], "normalization": { "mean": [0.286], "std": [0.353] },
 *       "dataset": "fashion-mnist", "model": "nfnet_base_mnist", "imports": ["@nf/models"] } }
 *
 * @nf/signal-prop reads `trainSize` / `testSize` from there by duck typing (no dependency).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';

/** Input normalization on the [0, 1] pixel scale: `(x/255 − mean) / std`, per channel (or one value for all). */
export interface MetadataNormalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface ModelMetadata {
  /** Image size the model was trained at, `[height, width]` (a number for a square when passed in). */
  readonly trainSize?: readonly [number, number];
  /** Image size it was evaluated at, `[height, width]`. */
  readonly testSize?: readonly [number, number];
  /** Input channels. */
  readonly channels?: number;
  /** One name per output class, in label order. */
  readonly classNames?: readonly string[];
  readonly normalization?: MetadataNormalization;
  /** The dataset it was trained on (a name, e.g. `fashion-mnist`). */
  readonly dataset?: string;
  /** The model's name in the table (e.g. `nfnet_f0`), or any name. */
  readonly model?: string;
  /** Modules to import so that its layer classes are registered (saveModel: `['@nf/models']`). */
  readonly imports?: readonly string[];
}

/** What `saveModel` accepts: sizes may be one number for a square. */
export type ModelMetadataInput = Omit<ModelMetadata, 'trainSize' | 'testSize'> & {
  readonly trainSize?: number | readonly [number, number];
  readonly testSize?: number | readonly [number, number];
};

/** The key of this entry in `userDefinedMetadata`. */
export const MODEL_METADATA_KEY = 'nf';
/** The version written with the entry. */
export const MODEL_METADATA_VERSION = 1;

const FIELDS = ['trainSize', 'testSize', 'channels', 'classNames', 'normalization', 'dataset', 'model', 'imports'] as const;
/** Bounds that keep an untrusted model.json's metadata small enough to show and use. */
const MAX_CLASSES = 100_000;
const MAX_TEXT = 1000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const show = (v: unknown) => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/**
 * Checks `value` as metadata; `fail(field, why)` reports a problem (it throws). `strict`: unknown
 * fields are errors (what you pass to saveModel); otherwise they are ignored (a newer writer's).
 * Returns the metadata with sizes as `[height, width]`.
 */
export function checkModelMetadata(value: unknown, fail: (field: string, why: string) => never, strict: boolean): ModelMetadata {
  if (!isRecord(value)) return fail('', `must be an object, received ${show(value)}`);
  const out: Record<string, unknown> = {};
  if (strict) {
    for (const key of Object.keys(value)) {
      if (!(FIELDS as readonly string[]).includes(key) && key !== 'version') fail(key, `is not a metadata field (fields: ${FIELDS.join(', ')})`);
    }
  }
  const text = (field: string, v: unknown) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) fail(field, `must be a non-empty string of at most ${MAX_TEXT} characters, received ${show(v)}`);
    return v as string;
  };
  for (const field of ['trainSize', 'testSize'] as const) {
    const v = value[field];
    if (v === undefined) continue;
    if (positiveInt(v)) out[field] = [v, v];
    else if (Array.isArray(v) && v.length === 2 && v.every(positiveInt)) out[field] = [v[0], v[1]];
    else fail(field, `must be [height, width] (positive integers) or one for a square, received ${show(v)}`);
  }
  if (value.channels !== undefined) {
    if (!positiveInt(value.channels)) fail('channels', `must be a positive integer, received ${show(value.channels)}`);
    out.channels = value.channels;
  }
  if (value.classNames !== undefined) {
    const v = value.classNames;
    if (!Array.isArray(v) || v.length === 0 || v.length > MAX_CLASSES) fail('classNames', `must be a list of 1 to ${MAX_CLASSES} names, received ${show(v)}`);
    out.classNames = (v as unknown[]).map((name, i) => (typeof name === 'string' && name.length <= MAX_TEXT ? name : fail(`classNames[${i}]`, `must be a string of at most ${MAX_TEXT} characters, received ${show(name)}`)));
  }
  if (value.normalization !== undefined) {
    const n = value.normalization;
    if (!isRecord(n)) fail('normalization', `must be { mean: [...], std: [...] }, received ${show(n)}`);
    const list = (key: 'mean' | 'std') => {
      const v = (n as Record<string, unknown>)[key];
      const ok = Array.isArray(v) && v.length > 0 && v.length <= 4096 && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (key === 'mean' || x > 0));
      if (!ok) fail(`normalization.${key}`, `must be a list of finite numbers${key === 'std' ? ' > 0' : ''} (one, or one per channel), received ${show(v)}`);
      return [...(v as number[])];
    };
    out.normalization = { mean: list('mean'), std: list('std') };
  }
  if (value.dataset !== undefined) out.dataset = text('dataset', value.dataset);
  if (value.model !== undefined) out.model = text('model', value.model);
  if (value.imports !== undefined) {
    const v = value.imports;
    if (!Array.isArray(v) || v.length > 100) fail('imports', `must be a list of module names, received ${show(v)}`);
    out.imports = (v as unknown[]).map((m, i) => text(`imports[${i}]`, m));
  }
  return out as ModelMetadata;
}

/** `metadata` checked for saving (a ModelsError BAD_CONFIG naming the field). */
export function metadataForSave(metadata: unknown): ModelMetadata {
  return checkModelMetadata(
    metadata,
    (field, why) => {
      throw new ModelsError('BAD_CONFIG', `saveModel: metadata${field ? `.${field}` : ''} ${why}.`);
    },
    true,
  );
}

/**
 * The metadata a model carries (loaded by `loadModel`, or set with `setUserDefinedMetadata`), or
 * undefined when it has none. Malformed metadata is a ModelsError BAD_CONFIG naming the field.
 */
export function modelMetadata(model: tfl.LayersModel): ModelMetadata | undefined {
  const all = model.getUserDefinedMetadata() as Record<string, unknown> | undefined;
  const entry = isRecord(all) ? all[MODEL_METADATA_KEY] : undefined;
  if (entry === undefined) return undefined;
  return checkModelMetadata(
    entry,
    (field, why) => {
      throw new ModelsError('BAD_CONFIG', `model ${quote(model.name)}: its metadata ${MODEL_METADATA_KEY}${field ? `.${field}` : ''} ${why}.`);
    },
    false,
  );
}
