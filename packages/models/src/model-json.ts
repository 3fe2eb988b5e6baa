/**
 * model.json, read as untrusted and written by `saveModel`, whatever it comes from: a folder (Node),
 * File/Blob objects, ArrayBuffers, a URL, or a tfjs handler (IndexedDB). Every source runs the same
 * checks, in the same order and with the same messages: the JSON itself, its metadata, every weight
 * spec (known dtype, integer shape, unique name) and the bytes each manifest group must hold — all
 * before a weights file is opened or any weight memory allocated.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from './errors.js';
import { checkModelMetadata, MODEL_METADATA_KEY } from './model-metadata.js';
import { oneLine, quote } from './quote.js';
import { elementCount } from './safetensors.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS = 'weights.bin';

/** Reports a problem with model.json (throws); `hint` replaces the default fix. */
export type Bad = (why: string, hint?: string) => never;

/** `bad` for `file` (quoted), with `hint` as the default fix. */
export function badModelJson(file: string, defaultHint: string): Bad {
  return (why, hint = defaultHint) => {
    throw new ModelsError('BAD_FILE', `${quote(file)}: ${why}. ${hint}`);
  };
}

const SPEC_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/** The fields of a checked model.json. */
export interface ModelJson {
  modelTopology: Record<string, unknown>;
  weightsManifest: unknown[];
  format?: unknown;
  generatedBy?: unknown;
  convertedBy?: unknown;
  trainingConfig?: unknown;
  userDefinedMetadata?: unknown;
}

/** model.json's bytes as a checked object (UTF-8 JSON, a layers model, well-typed fields, valid `nf` metadata). */
export function parseModelJson(bytes: Uint8Array, bad: Bad): ModelJson {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return bad('is not valid UTF-8 JSON (truncated or damaged?)');
  }
  return checkModelJson(json, bad);
}

/** A parsed model.json (or a tfjs handler's artifacts in that shape), checked as `parseModelJson` does. */
export function checkModelJson(json: unknown, bad: Bad): ModelJson {
  if (!isRecord(json)) return bad(`is not a tfjs layers model (a JSON object), received ${describe(json)}`);
  const { modelTopology, weightsManifest, format, generatedBy, convertedBy, trainingConfig, userDefinedMetadata } = json;
  if (!isRecord(modelTopology) || !Array.isArray(weightsManifest)) bad('is not a tfjs layers model (no modelTopology / weightsManifest)');
  for (const [key, value] of Object.entries({ format, generatedBy, convertedBy })) {
    if (value !== undefined && value !== null && typeof value !== 'string') bad(`has a ${key} that is ${describe(value)}, not a string`);
  }
  if (trainingConfig !== undefined && trainingConfig !== null && !isRecord(trainingConfig)) bad(`has a trainingConfig that is ${describe(trainingConfig)}, not an object`);
  if (userDefinedMetadata !== undefined && userDefinedMetadata !== null && !isRecord(userDefinedMetadata)) bad(`has a userDefinedMetadata that is ${describe(userDefinedMetadata)}, not an object`);
  if (isRecord(userDefinedMetadata) && userDefinedMetadata[MODEL_METADATA_KEY] !== undefined) {
    checkModelMetadata(userDefinedMetadata[MODEL_METADATA_KEY], (field, why) => bad(`its metadata ${MODEL_METADATA_KEY}${field ? `.${field}` : ''} ${why}`), false);
  }
  return { modelTopology: modelTopology as Record<string, unknown>, weightsManifest: weightsManifest as unknown[], format, generatedBy, convertedBy, trainingConfig, userDefinedMetadata };
}

/** What the weights manifest asks for: the specs, each group's paths and byte count, and the total. */
export interface WeightsPlan {
  specs: tf.io.WeightsManifestEntry[];
  groups: Array<{ paths: unknown[]; need: number }>;
  total: number;
}

/**
 * Checks every weight spec of the manifest (a name, unique, not `__proto__`; a shape of non-negative
 * integers; a known dtype or quantization) and sums the bytes each group needs; over `maxBytes` in
 * total is TOO_LARGE, naming `file`.
 */
export function planWeights(weightsManifest: unknown[], file: string, maxBytes: number, bad: Bad): WeightsPlan {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const names = new Set<string>();
  const groups: Array<{ paths: unknown[]; need: number }> = [];
  let total = 0;
  weightsManifest.forEach((group, g) => {
    if (!isRecord(group)) bad(`weightsManifest[${g}] is ${describe(group)}, not {paths, weights}`);
    const { paths, weights } = group;
    if (!Array.isArray(paths)) bad(`weightsManifest[${g}] has no paths list`);
    if (!Array.isArray(weights)) bad(`weightsManifest[${g}] has no weights list`);
    let need = 0;
    for (const spec of weights as unknown[]) {
      if (!isRecord(spec) || typeof spec.name !== 'string') bad(`weightsManifest[${g}] has a weight spec without a name: ${oneLine(JSON.stringify(spec) ?? String(spec), 200)}`);
      const s = spec as Record<string, unknown> & { name: string };
      const what = `weight ${quote(s.name)}`;
      if (s.name === '__proto__') bad(`${what} has a name tfjs cannot hold`);
      if (names.has(s.name)) bad(`${what} appears twice in the manifest`);
      names.add(s.name);
      const count = elementCount(s.shape);
      if (count === undefined) bad(`${what} has shape ${oneLine(JSON.stringify(s.shape) ?? 'undefined', 200)}; expected non-negative integers`);
      if (s.group !== undefined && typeof s.group !== 'string') bad(`${what} has a group that is not a string`);
      let width = typeof s.dtype === 'string' ? SPEC_BYTES[s.dtype] : undefined;
      if (width === undefined) bad(`${what} has dtype ${typeof s.dtype === 'string' ? quote(s.dtype) : describe(s.dtype)}; supported: float32, int32, bool, complex64`);
      if (s.quantization !== undefined) {
        const q = s.quantization;
        width = isRecord(q) && typeof q.dtype === 'string' ? QUANTIZED_BYTES[q.dtype] : undefined;
        if (width === undefined) bad(`${what} has an unsupported quantization; supported: uint8, uint16, float16`);
      }
      const bytes = count! * width!;
      if (!Number.isSafeInteger(need + bytes)) bad(`${what} is too large to address`);
      need += bytes;
      specs.push(s as unknown as tf.io.WeightsManifestEntry);
    }
    total += need;
    groups.push({ paths: paths as unknown[], need });
  });
  if (total > maxBytes) {
    throw new ModelsError('TOO_LARGE', `${quote(file)}: its weight specs need ${total} bytes, over the limit of ${maxBytes} (maxBytes); pass a larger { maxBytes } if you trust the model.`);
  }
  return { specs, groups, total };
}

/** Refuses a manifest group whose files (`shown`, already quoted) hold `held` bytes instead of exactly `need`. */
export function checkGroupBytes(bad: Bad, g: number, files: string[], held: number, need: number): void {
  if (held === need) return;
  const shown = files.length === 0 ? 'no weights file' : `weights file${files.length > 1 ? 's' : ''} ${files.join(', ')}`;
  bad(
    `${shown} of weightsManifest[${g}] hold${files.length === 1 ? 's' : ''} ${held} bytes, but its weight specs need exactly ${need} (${held > need ? `${held - need} extra bytes` : `${need - held} bytes missing: truncated`})`,
    'The weights do not belong to this model.json, or were damaged; save the model again.',
  );
}

/**
 * Refuses a weights path that is not a plain relative name inside the model's own place: not a
 * non-empty string (BAD_FILE), absolute, with a `..` segment, or (`urls`) a URL of its own
 * (OUTSIDE_FOLDER). `where` names the model's place (a folder, a URL, "the given files").
 */
export function checkWeightsPath(name: unknown, manifest: string, where: string, self = false, urls = false): asserts name is string {
  if (typeof name !== 'string' || name === '' || name.includes('\0')) {
    throw new ModelsError('BAD_FILE', `${quote(manifest)}: a weights path must be a non-empty file name, received ${typeof name === 'string' ? quote(name) : JSON.stringify(name) ?? String(name)}. Re-save the model with saveModel.`);
  }
  const outside = (why: string) => outsideFolder(manifest, name, where, why, self);
  if (/^[A-Za-z]:|^[\\/]/.test(name)) throw outside('an absolute path');
  if (urls && /^[A-Za-z][A-Za-z0-9+.-]*:/.test(name)) throw outside('a URL of its own');
  if (name.split(/[\\/]/).includes('..')) throw outside("a path with a '..' segment");
}

/** OUTSIDE_FOLDER: `name` (named by `manifest`, or the manifest itself when `self`) is `why`, outside `where`. */
export function outsideFolder(manifest: string, name: string, where: string, why: string, self = false): ModelsError {
  return new ModelsError(
    'OUTSIDE_FOLDER',
    self
      ? `${quote(manifest)} is ${why}, outside the model folder ${quote(where)}; only plain files inside the folder are read. Copy the file into the folder.`
      : `${quote(manifest)} names weights file ${quote(name)}, ${why}; a model.json may only name plain files inside its own folder ${quote(where)}. Move the file there and name it relative to the folder.`,
  );
}

/** The artifacts tfjs-layers builds a model from: the checked JSON, its specs and the weights. */
export function artifactsOf(json: ModelJson, specs: tf.io.WeightsManifestEntry[], weightData: ArrayBuffer): tf.io.ModelArtifacts {
  const { modelTopology, format, generatedBy, convertedBy, trainingConfig, userDefinedMetadata } = json;
  return {
    modelTopology,
    weightSpecs: specs,
    weightData,
    ...(typeof format === 'string' ? { format } : {}),
    ...(typeof generatedBy === 'string' ? { generatedBy } : {}),
    ...(typeof convertedBy === 'string' ? { convertedBy } : {}),
    ...(isRecord(trainingConfig) ? { trainingConfig: trainingConfig as unknown as tf.io.TrainingConfig } : {}),
    ...(isRecord(userDefinedMetadata) ? { userDefinedMetadata: userDefinedMetadata as Record<string, object> } : {}),
  };
}

/** model.json's content for saved artifacts whose weights are in `paths` (one group). */
export function modelJsonOf(artifacts: tf.io.ModelArtifacts, paths: string[] = [WEIGHTS]): Record<string, unknown> {
  return {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
}
