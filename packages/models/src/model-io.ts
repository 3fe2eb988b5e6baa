/**
 * Save and load our models to a directory (model.json + one weight shard) in Node without
 * tfjs-node, through a tf.io handler over `fs`. Writes are atomic: the files go to a temporary
 * sibling directory, are fsynced, and the directory is renamed into place; an existing directory
 * is replaced only after the new one is complete. model.json carries the model's metadata
 * (`userDefinedMetadata.nf`, model-metadata.ts): sizes, channels, class names, normalization.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import './register.js';
import { planAllocation } from './allocation.js';
import { ModelsError } from './errors.js';
import { DEFAULT_FILE_LIMITS, limitOption } from './file-limits.js';
import { checkSize, ioReason, readPlainFileInto, resolveInside, type PlainFile } from './plain-file.js';
import { oneLine, quote } from './quote.js';
import { elementCount } from './safetensors.js';
import { checkModelMetadata, metadataForSave, MODEL_METADATA_KEY, MODEL_METADATA_VERSION, type ModelMetadataInput } from './model-metadata.js';

const MODEL_JSON = 'model.json';
const WEIGHTS = 'weights.bin';

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A tf.io handler that writes model.json and weights.bin into `dir` atomically. */
export function directorySaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const target = path.resolve(dir);
      const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
      await mkdir(temp, { recursive: true });
      try {
        const weightData = artifacts.weightData
          ? new Uint8Array(Array.isArray(artifacts.weightData) ? tf.io.concatenateArrayBuffers(artifacts.weightData) : artifacts.weightData)
          : new Uint8Array(0);
        const json = {
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy,
          ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
          ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
          weightsManifest: [{ paths: [WEIGHTS], weights: artifacts.weightSpecs ?? [] }],
        };
        await writeSynced(path.join(temp, WEIGHTS), weightData);
        await writeSynced(path.join(temp, MODEL_JSON), JSON.stringify(json));
        const old = `${target}.old-${process.pid}-${Date.now()}`;
        const exists = await stat(target).then(() => true, () => false);
        if (exists) await rename(target, old);
        await rename(temp, target);
        if (exists) await rm(old, { recursive: true, force: true });
      } catch (e) {
        await rm(temp, { recursive: true, force: true });
        const reason = (e as NodeJS.ErrnoException)?.code ? ioReason(e) : oneLine((e as Error)?.message ?? String(e), 300);
        throw new ModelsError('IO', `Cannot save the model to ${quote(target)}: ${reason}.`);
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
}

/** Limits of `loadModel` / `directoryLoadHandler` (README "Untrusted files"). */
export interface LoadModelOptions {
  /** The most bytes the weight files of the model.json may hold together. Default 4 GiB. */
  maxBytes?: number;
  /** The most bytes model.json may hold. Default 64 MiB. */
  maxModelJsonBytes?: number;
}

const SPEC_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, complex64: 8 };
const QUANTIZED_BYTES: Record<string, number> = { uint8: 1, uint16: 2, float16: 2 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * A tf.io handler that reads a directory written by `saveModel` (or any tfjs layers-model.json with
 * its shards), as an untrusted folder: model.json and every weights path it names must be regular
 * files inside `dir` (no absolute paths, `..`, symbolic links leading out, devices or FIFOs); every
 * weight spec must have a known dtype and a shape of non-negative integers; the files of each manifest
 * group must hold exactly the bytes their specs need — checked from their sizes before anything is
 * read or allocated, and within `maxBytes` — and are then read into one buffer.
 */
export function directoryLoadHandler(dir: string, options: LoadModelOptions = {}): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
      const maxJson = limitOption('maxModelJsonBytes', options.maxModelJsonBytes, DEFAULT_FILE_LIMITS.maxModelJsonBytes);
      const root = path.resolve(dir);
      const file = path.join(root, MODEL_JSON);
      const label = { what: 'a model from', hint: 'Pass a directory written by saveModel.' };
      let realRoot: string;
      try {
        realRoot = await realpath(root);
      } catch (e) {
        throw new ModelsError('IO', `Cannot read a model from ${quote(file)}: ${ioReason(e)}. Pass a directory written by saveModel.`);
      }
      const bad: (why: string, hint?: string) => never = (why, hint = 'Pass a directory written by saveModel.') => {
        throw new ModelsError('BAD_FILE', `${quote(file)}: ${why}. ${hint}`);
      };

      const jsonFile = await resolveInside(realRoot, MODEL_JSON, file, label, true);
      checkSize(file, jsonFile.size, maxJson, 'maxModelJsonBytes');
      planAllocation(jsonFile.size, 'model.json');
      const jsonBytes = new Uint8Array(jsonFile.size);
      await readPlainFileInto(jsonFile, jsonBytes, 0, label);
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
      } catch {
        return bad('is not valid UTF-8 JSON (truncated or damaged?)');
      }
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

      // The specs and what each manifest group's files must hold, before any weights file is opened.
      const specs: tf.io.WeightsManifestEntry[] = [];
      const names = new Set<string>();
      const groups: Array<{ paths: unknown[]; need: number }> = [];
      let total = 0;
      (weightsManifest as unknown[]).forEach((group, g) => {
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
        groups.push({ paths, need });
      });
      if (total > maxBytes) {
        throw new ModelsError('TOO_LARGE', `${quote(file)}: its weight specs need ${total} bytes, over the limit of ${maxBytes} (maxBytes); pass a larger { maxBytes } if you trust the model.`);
      }

      // Every weights file: a regular file inside the folder, sized exactly as its group's specs need.
      const weightsLabel = { what: 'weights file', hint: 'Pass a directory written by saveModel.' };
      const seen = new Set<string>();
      const files: PlainFile[] = [];
      for (const [g, { paths, need }] of groups.entries()) {
        const group: PlainFile[] = [];
        for (const p of paths) {
          const f = await resolveInside(realRoot, p, file, weightsLabel);
          if (seen.has(f.path)) bad(`weights file ${quote(String(p))} is listed twice`);
          seen.add(f.path);
          group.push(f);
        }
        const held = group.reduce((n, f) => n + f.size, 0);
        if (held !== need) {
          const shown = group.length === 0 ? 'no weights file' : `weights file${group.length > 1 ? 's' : ''} ${group.map((f) => quote(f.path)).join(', ')}`;
          bad(
            `${shown} of weightsManifest[${g}] hold${group.length === 1 ? 's' : ''} ${held} bytes, but its weight specs need exactly ${need} (${held > need ? `${held - need} extra bytes` : `${need - held} bytes missing: truncated`})`,
            'The weights do not belong to this model.json, or were damaged; save the model again.',
          );
        }
        files.push(...group);
      }
      planAllocation(total, 'weights');
      const weightData = new Uint8Array(total);
      let at = 0;
      for (const f of files) {
        await readPlainFileInto(f, weightData, at, weightsLabel);
        at += f.size;
      }
      return {
        modelTopology,
        weightSpecs: specs,
        weightData: weightData.buffer,
        ...(typeof format === 'string' ? { format } : {}),
        ...(typeof generatedBy === 'string' ? { generatedBy } : {}),
        ...(typeof convertedBy === 'string' ? { convertedBy } : {}),
        ...(isRecord(trainingConfig) ? { trainingConfig: trainingConfig as unknown as tf.io.TrainingConfig } : {}),
        ...(isRecord(userDefinedMetadata) ? { userDefinedMetadata: userDefinedMetadata as Record<string, object> } : {}),
      };
    },
  };
}

export interface SaveModelOptions {
  /** Also save the optimizer state (tfjs' `includeOptimizer`). */
  includeOptimizer?: boolean;
  /**
   * What later tools need to use the model (model-metadata.ts): `trainSize`, `testSize`, `channels`,
   * `classNames`, `normalization`, `dataset`, `model`, `imports`. Written to model.json's
   * `userDefinedMetadata.nf`, over what the model already carries there (a loaded model keeps its
   * own); `imports` defaults to `['@nf/models']` and `channels` to the input's last dimension.
   */
  metadata?: ModelMetadataInput;
}

/** The model's own `nf` metadata, the input channels and `imports: ['@nf/models']`, under `metadata`. */
function mergedMetadata(model: tfl.LayersModel, metadata: ModelMetadataInput | undefined): Record<string, object> {
  const fresh = metadataForSave(metadata ?? {});
  const own = (model.getUserDefinedMetadata() ?? {}) as Record<string, object>;
  const ownEntry =
    own[MODEL_METADATA_KEY] === undefined
      ? {}
      : checkModelMetadata(
          own[MODEL_METADATA_KEY],
          (field, why) => {
            throw new ModelsError('BAD_CONFIG', `saveModel: the model's own metadata ${MODEL_METADATA_KEY}${field ? `.${field}` : ''} ${why}.`);
          },
          false,
        );
  const shape = model.inputs.length === 1 ? model.inputs[0]!.shape : [];
  const channels = shape.length === 4 && typeof shape[3] === 'number' ? { channels: shape[3] } : {};
  return { ...own, [MODEL_METADATA_KEY]: { imports: ['@nf/models'], ...channels, ...ownEntry, ...fresh, version: MODEL_METADATA_VERSION } };
}

/**
 * Saves a model (topology + weights, optionally the optimizer state) to `dir`, atomically, with its
 * metadata in model.json (see `SaveModelOptions.metadata`). The model itself is not changed.
 */
export async function saveModel(model: tfl.LayersModel, dir: string, options: SaveModelOptions = {}): Promise<void> {
  const userDefinedMetadata = mergedMetadata(model, options.metadata);
  const handler = directorySaveHandler(dir);
  await model.save({ save: (artifacts) => handler.save!({ ...artifacts, userDefinedMetadata }) }, options.includeOptimizer === undefined ? {} : { includeOptimizer: options.includeOptimizer });
}

/**
 * Loads a model saved by `saveModel`. Our layers (and @nf/ws-conv's) are registered by this package.
 * The folder is read as untrusted (see `directoryLoadHandler`); an error from tfjs-layers while it
 * builds the model (an unknown layer, weights that do not fit it) becomes one BAD_FILE line naming model.json.
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(directoryLoadHandler(dir, options));
  } catch (e) {
    if (e instanceof ModelsError) throw e;
    throw new ModelsError(
      'BAD_FILE',
      `${quote(path.join(path.resolve(dir), MODEL_JSON))}: tfjs-layers cannot build the model from it (${oneLine((e as Error)?.message ?? String(e), 300)}). Pass a directory written by saveModel.`,
    );
  }
}
