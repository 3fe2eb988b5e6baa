/**
 * Save and load our models anywhere tfjs runs, with their metadata (`userDefinedMetadata.nf`,
 * model-metadata.ts): sizes, channels, class names, normalization. Saving goes through any tf.io
 * handler or URL (`indexeddb://`, `localstorage://`, `downloads://`); loading reads what `saveModel`
 * wrote — a model.json and its weight files — from a URL, from File/Blob objects or ArrayBuffers, or
 * from a tfjs handler, as untrusted input with the same checks and limits as a folder in Node
 * (model-json.ts; folders themselves are `@nf/models/node`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import './register.js';
import { planAllocation } from './allocation.js';
import { blobName, fetchOk, isBlob, isFetchUrl, readBlob, readBody, type FetchLike } from './byte-source.js';
import { ModelsError } from './errors.js';
import { DEFAULT_FILE_LIMITS, limitOption } from './file-limits.js';
import { checkModelMetadata, metadataForSave, MODEL_METADATA_KEY, MODEL_METADATA_VERSION, type ModelMetadataInput } from './model-metadata.js';
import {
  artifactsOf,
  badModelJson,
  checkGroupBytes,
  checkModelJson,
  checkWeightsPath,
  isRecord,
  MODEL_JSON,
  outsideFolder,
  parseModelJson,
  planWeights,
  type ModelJson,
} from './model-json.js';
import { oneLine, quote } from './quote.js';

/** Limits of `loadModel` (SECURITY.md), and the `fetch` used for URLs. */
export interface LoadModelOptions {
  /** The most bytes the weight files of the model.json may hold together. Default 4 GiB. */
  maxBytes?: number;
  /** The most bytes model.json may hold. Default 64 MiB. */
  maxModelJsonBytes?: number;
  /** The `fetch` used for a URL (default the global one); pass your own to add headers or credentials. */
  fetch?: FetchLike;
}

/** File contents by file name, as `loadModel` takes them: model.json and the weight files it names. */
export type ModelFiles = Readonly<Record<string, ArrayBuffer | Uint8Array | Blob>>;

/**
 * What `loadModel` reads in the main entry:
 * - a URL of model.json (`URL`, or an `http(s):`/`blob:`/`data:` string; a URL ending in `/` means its
 *   model.json), the weight files beside it;
 * - a tfjs URL such as `indexeddb://name` or `localstorage://name` (what `saveModel` wrote there);
 * - File objects (a list or a `FileList`: the model.json — `model.json`, or the one `.json` — and its
 *   weight files, e.g. from `<input type="file" multiple>` or a drop);
 * - `ModelFiles`: `{ 'model.json': bytes, 'weights.bin': bytes }` (ArrayBuffer, Uint8Array or Blob);
 * - any `tf.io.IOHandler` with a `load`.
 */
export type ModelSource = string | URL | tf.io.IOHandler | ArrayLike<File> | ModelFiles;

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

/** Saves `model` through `handler` with its metadata merged in (the model itself is not changed). */
export async function saveThrough(model: tfl.LayersModel, handler: tf.io.IOHandler, options: SaveModelOptions): Promise<void> {
  const userDefinedMetadata = mergedMetadata(model, options.metadata);
  await model.save({ save: (artifacts) => handler.save!({ ...artifacts, userDefinedMetadata }) }, options.includeOptimizer === undefined ? {} : { includeOptimizer: options.includeOptimizer });
}

/** True for a string naming a URL (`scheme://…`, or a `blob:`/`data:` URL) rather than a path. */
export function isUrlString(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) || isFetchUrl(value);
}

const NODE_HINT = "a folder needs Node: import { saveModel, loadModel } from '@nf/models/node'";

/**
 * Saves a model (topology + weights, optionally the optimizer state) with its metadata in
 * model.json (see `SaveModelOptions.metadata`), through a tfjs URL — `indexeddb://name`,
 * `localstorage://name`, `downloads://name` (a browser download of `name.json` and
 * `name.weights.bin`) — or any `tf.io.IOHandler`. The model itself is not changed. A folder needs
 * `@nf/models/node`, whose `saveModel` takes a path too.
 */
export async function saveModel(model: tfl.LayersModel, destination: string | tf.io.IOHandler, options: SaveModelOptions = {}): Promise<void> {
  let handler: tf.io.IOHandler;
  let where: string;
  if (typeof destination === 'string') {
    where = destination;
    const handlers = isUrlString(destination) ? tf.io.getSaveHandlers(destination) : [];
    if (handlers.length !== 1 || !handlers[0]!.save) {
      throw new ModelsError(
        'BAD_CONFIG',
        `saveModel: no tfjs save handler for ${quote(destination)}; in a browser pass 'indexeddb://<name>', 'localstorage://<name>', 'downloads://<name>' or a tf.io handler; ${NODE_HINT}.`,
      );
    }
    handler = handlers[0]!;
  } else if (typeof destination === 'object' && destination !== null && typeof destination.save === 'function') {
    handler = destination;
    where = 'the given tf.io handler';
  } else {
    throw new ModelsError('BAD_CONFIG', `saveModel: the destination must be a tfjs URL or a tf.io handler with save(), received ${destination === null ? 'null' : typeof destination}; ${NODE_HINT}.`);
  }
  try {
    await saveThrough(model, handler, options);
  } catch (e) {
    if (e instanceof ModelsError) throw e;
    throw new ModelsError('IO', `Cannot save the model to ${quote(where)}: ${oneLine((e as Error)?.message ?? String(e), 300)}.`);
  }
}

/** Builds the model from a checked handler; an error from tfjs-layers becomes one BAD_FILE line naming `where`, with `hint`. */
export async function buildFrom(handler: tf.io.IOHandler, where: string, hint: string): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(handler);
  } catch (e) {
    if (e instanceof ModelsError) throw e;
    throw new ModelsError('BAD_FILE', `${quote(where)}: tfjs-layers cannot build the model from it (${oneLine((e as Error)?.message ?? String(e), 300)}). ${hint}`);
  }
}

interface Limits {
  maxBytes: number;
  maxJson: number;
}

function limitsOf(options: LoadModelOptions): Limits {
  return {
    maxBytes: limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes),
    maxJson: limitOption('maxModelJsonBytes', options.maxModelJsonBytes, DEFAULT_FILE_LIMITS.maxModelJsonBytes),
  };
}

const FILES_HINT = 'Pass the model.json written by saveModel together with its weight files.';

/** `ModelFiles` or a list of Files as one name → contents map (a File's name is its key). */
function filesOf(source: ArrayLike<File> | ModelFiles): Map<string, ArrayBuffer | Uint8Array | Blob> {
  const files = new Map<string, ArrayBuffer | Uint8Array | Blob>();
  if (isFileList(source)) {
    const list = Array.from(source as ArrayLike<File>);
    list.forEach((file, i) => {
      if (!isBlob(file)) throw new ModelsError('BAD_CONFIG', `loadModel: file ${i} of the list is ${file === null ? 'null' : typeof file}, not a File; pass File objects (from an <input type="file"> or a drop) or { name: bytes }.`);
      const name = blobName(file, `file ${i}`);
      if (files.has(name)) throw new ModelsError('BAD_CONFIG', `loadModel: two of the given files are named ${quote(name)}; pass each file once.`);
      files.set(name, file);
    });
    return files;
  }
  for (const [name, value] of Object.entries(source as ModelFiles)) {
    if (!(value instanceof ArrayBuffer || value instanceof Uint8Array || isBlob(value))) {
      throw new ModelsError('BAD_CONFIG', `loadModel: file ${quote(name)} is ${value === null ? 'null' : typeof value}; pass an ArrayBuffer, a Uint8Array or a Blob for each file.`);
    }
    files.set(name, value);
  }
  return files;
}

/** An array, or a list like `FileList` (a `length` and an `item()`). */
function isFileList(value: unknown): value is ArrayLike<File> {
  return Array.isArray(value) || (typeof value === 'object' && value !== null && typeof (value as { length?: unknown }).length === 'number' && typeof (value as { item?: unknown }).item === 'function');
}

const sizeOf = (v: ArrayBuffer | Uint8Array | Blob) => (isBlob(v) ? v.size : v.byteLength);

async function bytesOf(v: ArrayBuffer | Uint8Array | Blob, name: string, max: number, option: string): Promise<Uint8Array> {
  if (isBlob(v)) return readBlob(v, name, max, { what: 'weights file' }, option);
  return v instanceof Uint8Array ? v : new Uint8Array(v);
}

/** Removes leading `./` segments: tfjs' downloads write `./name.weights.bin`. */
const plain = (name: string) => name.replace(/^(\.\/)+/, '');
const baseName = (name: string) => name.split(/[\\/]/).pop()!;

/**
 * A tf.io handler over in-memory files (`ModelFiles` or Files): model.json — the file named so, else the
 * only `.json` — checked like a folder's; every weights path it names must be one of the given files
 * (by its path, else by its base name when one file has it); each group's files must hold exactly the
 * bytes its specs need, checked from their sizes before anything is read.
 */
function filesLoadHandler(source: ArrayLike<File> | ModelFiles, options: LoadModelOptions): { handler: tf.io.IOHandler; where: string } {
  const files = filesOf(source);
  const jsons = [...files.keys()].filter((n) => n.toLowerCase().endsWith('.json'));
  const jsonName = files.has(MODEL_JSON) ? MODEL_JSON : jsons.length === 1 ? jsons[0]! : undefined;
  if (jsonName === undefined) {
    throw new ModelsError(
      'BAD_CONFIG',
      `loadModel: ${jsons.length === 0 ? 'no model.json among' : `${jsons.length} .json files (${jsons.map(quote).join(', ')}) and no model.json among`} the given files (${[...files.keys()].map(quote).join(', ') || 'none'}). ${FILES_HINT}`,
    );
  }
  return {
    where: jsonName,
    handler: {
      async load(): Promise<tf.io.ModelArtifacts> {
        const { maxBytes, maxJson } = limitsOf(options);
        const bad = badModelJson(jsonName, FILES_HINT);
        const jsonFile = files.get(jsonName)!;
        const jsonSize = sizeOf(jsonFile);
        if (jsonSize > maxJson) throw new ModelsError('TOO_LARGE', `${quote(jsonName)} is ${jsonSize} bytes, over the limit of ${maxJson} (maxModelJsonBytes); pass a larger { maxModelJsonBytes } if you trust the file.`);
        const json = parseModelJson(await bytesOf(jsonFile, jsonName, maxJson, 'maxModelJsonBytes'), bad);
        const plan = planWeights(json.weightsManifest, jsonName, maxBytes, bad);
        const seen = new Set<string>();
        const chosen: Array<{ name: string; value: ArrayBuffer | Uint8Array | Blob }> = [];
        for (const [g, { paths, need }] of plan.groups.entries()) {
          const group: Array<{ name: string; value: ArrayBuffer | Uint8Array | Blob }> = [];
          for (const p of paths) {
            checkWeightsPath(p, jsonName, 'the given files');
            const name = plain(p);
            let key: string | undefined = files.has(name) ? name : undefined;
            if (key === undefined) {
              const same: string[] = [...files.keys()].filter((k) => k !== jsonName && baseName(k) === baseName(name));
              if (same.length === 1) key = same[0];
            }
            if (key === undefined || key === jsonName) {
              throw new ModelsError('IO', `Cannot read weights file ${quote(p)} (named by ${quote(jsonName)}): it is not among the given files (${[...files.keys()].map(quote).join(', ')}). ${FILES_HINT}`);
            }
            if (seen.has(key)) bad(`weights file ${quote(p)} is listed twice`);
            seen.add(key);
            group.push({ name: key, value: files.get(key)! });
          }
          checkGroupBytes(bad, g, group.map((f) => quote(f.name)), group.reduce((n, f) => n + sizeOf(f.value), 0), need);
          chosen.push(...group);
        }
        planAllocation(plan.total, 'weights');
        const weightData = new Uint8Array(plan.total);
        let at = 0;
        for (const f of chosen) {
          const bytes = await bytesOf(f.value, f.name, sizeOf(f.value), 'maxBytes');
          weightData.set(bytes, at);
          at += bytes.byteLength;
        }
        return artifactsOf(json, plan.specs, weightData.buffer);
      },
    },
  };
}

/**
 * A tf.io handler over a model.json URL: model.json within `maxModelJsonBytes`, checked like a
 * folder's; every weights path must be a relative name that resolves beside model.json (same origin,
 * under its directory: no absolute path, `..` or URL of its own — OUTSIDE_FOLDER); each file's
 * Content-Length is checked against what its group still needs before its body is read, and a body
 * without one is stopped at the first chunk past it.
 */
function urlLoadHandler(jsonUrl: URL, options: LoadModelOptions): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const { maxBytes, maxJson } = limitsOf(options);
      const file = jsonUrl.href;
      const hint = 'Pass the URL of a model.json written by saveModel, with its weight files beside it.';
      const bad = badModelJson(file, hint);
      const label = { what: 'a model from', hint };
      const response = await fetchOk(file, label, options.fetch);
      const body = await readBody(response, file, maxJson);
      if (!body.bytes) {
        throw new ModelsError('TOO_LARGE', `${quote(file)} is ${body.exact ? '' : 'more than '}${body.exact ? body.held : maxJson} bytes, over the limit of ${maxJson} (maxModelJsonBytes); pass a larger { maxModelJsonBytes } if you trust the file.`);
      }
      const json = parseModelJson(body.bytes, bad);
      const plan = planWeights(json.weightsManifest, file, maxBytes, bad);
      const folder = new URL('.', jsonUrl);
      const seen = new Set<string>();
      const buffers: ArrayBuffer[] = [];
      const weightsLabel = { what: 'weights file', hint };
      for (const [g, { paths, need }] of plan.groups.entries()) {
        const urls = paths.map((p) => {
          checkWeightsPath(p, file, folder.href, false, true);
          const resolved = new URL(p, jsonUrl);
          resolved.search = jsonUrl.search;
          if (resolved.origin !== folder.origin || !resolved.pathname.startsWith(folder.pathname)) throw outsideFolder(file, p, folder.href, 'which resolves outside the folder');
          if (seen.has(resolved.href)) bad(`weights file ${quote(p)} is listed twice`);
          seen.add(resolved.href);
          return resolved.href;
        });
        let held = 0;
        let exact = true;
        const parts: Uint8Array[] = [];
        for (const u of urls) {
          const r = await fetchOk(u, weightsLabel, options.fetch);
          if (held > need) {
            // Already too long: only the remaining sizes, for the message.
            const length = r.headers.get('content-encoding') ? undefined : Number(r.headers.get('content-length') ?? Number.NaN);
            await r.body?.cancel().catch(() => undefined);
            if (length !== undefined && Number.isSafeInteger(length)) held += length;
            else exact = false;
            continue;
          }
          const got = await readBody(r, u, need - held);
          held += got.held;
          exact &&= got.exact;
          if (got.bytes) parts.push(got.bytes);
        }
        if (!exact && held > need) {
          bad(
            `weights file${urls.length > 1 ? 's' : ''} ${urls.map(quote).join(', ')} of weightsManifest[${g}] hold${urls.length === 1 ? 's' : ''} more than ${need} bytes, but its weight specs need exactly ${need} (extra bytes)`,
            'The weights do not belong to this model.json, or were damaged; save the model again.',
          );
        }
        checkGroupBytes(bad, g, urls.map(quote), held, need);
        for (const p of parts) buffers.push(p.byteOffset === 0 && p.byteLength === p.buffer.byteLength ? (p.buffer as ArrayBuffer) : (p.slice().buffer as ArrayBuffer));
      }
      const artifacts = artifactsOf(json, plan.specs, new ArrayBuffer(0));
      return { ...artifacts, weightData: buffers.length === 1 ? buffers[0]! : buffers };
    },
  };
}

/**
 * A tfjs handler's artifacts (IndexedDB, localStorage, your own) checked as a model.json is: the same
 * JSON and metadata checks, weight specs, `maxBytes`, and weights of exactly the size the specs need.
 */
function checkedHandler(inner: tf.io.IOHandler, where: string, options: LoadModelOptions): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const { maxBytes } = limitsOf(options);
      const bad = badModelJson(where, 'Save the model again with saveModel.');
      let artifacts: tf.io.ModelArtifacts;
      try {
        artifacts = await inner.load!();
      } catch (e) {
        throw new ModelsError('IO', `Cannot read a model from ${quote(where)}: ${oneLine((e as Error)?.message ?? String(e), 300)}.`);
      }
      if (!isRecord(artifacts)) bad(`is not a tfjs model (its handler returned ${artifacts === null ? 'null' : typeof artifacts})`);
      const json: ModelJson = checkModelJson({ ...artifacts, weightsManifest: [{ paths: [], weights: artifacts.weightSpecs ?? [] }] }, bad);
      const plan = planWeights(json.weightsManifest, where, maxBytes, bad);
      const data = artifacts.weightData as ArrayBuffer | ArrayBuffer[] | null | undefined;
      const held = data == null ? 0 : Array.isArray(data) ? data.reduce((n, b) => n + b.byteLength, 0) : data.byteLength;
      checkGroupBytes(bad, 0, ['(stored weights)'], held, plan.groups[0]!.need);
      return { ...artifactsOf(json, plan.specs, new ArrayBuffer(0)), weightData: data ?? new ArrayBuffer(0) };
    },
  };
}

/**
 * The checked tf.io handler `loadModel` reads `source` with (see `ModelSource`), and the name its
 * errors give. A string that is not a URL is refused: folders are `@nf/models/node`.
 */
export function modelLoadHandler(source: ModelSource, options: LoadModelOptions = {}): { handler: tf.io.IOHandler; where: string } {
  if (source instanceof URL || (typeof source === 'string' && isFetchUrl(source))) {
    let jsonUrl: URL;
    try {
      jsonUrl = new URL(String(source));
    } catch {
      throw new ModelsError('BAD_CONFIG', `loadModel: ${quote(String(source))} is not a valid URL; pass the absolute URL of a model.json.`);
    }
    if (jsonUrl.protocol !== 'http:' && jsonUrl.protocol !== 'https:') {
      throw new ModelsError(
        'BAD_CONFIG',
        `loadModel: ${quote(oneLine(String(source), 100))} is a ${jsonUrl.protocol} URL, beside which no weight file can be found; pass an http(s) URL, or the model.json and its weight files as File/Blob objects ({ 'model.json': blob, 'weights.bin': blob }).`,
      );
    }
    if (jsonUrl.pathname.endsWith('/')) jsonUrl.pathname += MODEL_JSON;
    return { handler: urlLoadHandler(jsonUrl, options), where: jsonUrl.href };
  }
  if (typeof source === 'string') {
    const handlers = isUrlString(source) ? tf.io.getLoadHandlers(source) : [];
    if (handlers.length !== 1 || !handlers[0]!.load) {
      throw new ModelsError(
        'BAD_CONFIG',
        `loadModel: ${quote(source)} is ${isUrlString(source) ? 'a URL no tfjs handler loads here' : 'not a URL'}; in a browser pass the URL of a model.json, 'indexeddb://<name>', File objects or { 'model.json': bytes, ... }; ${NODE_HINT}.`,
      );
    }
    return { handler: checkedHandler(handlers[0]!, source, options), where: source };
  }
  if (typeof source === 'object' && source !== null && typeof (source as tf.io.IOHandler).load === 'function') {
    return { handler: checkedHandler(source as tf.io.IOHandler, 'the given tf.io handler', options), where: 'the given tf.io handler' };
  }
  if (typeof source === 'object' && source !== null) return filesLoadHandler(source as ArrayLike<File> | ModelFiles, options);
  throw new ModelsError('BAD_CONFIG', `loadModel: expected a URL, File objects, { 'model.json': bytes, ... } or a tf.io handler, received ${source === null ? 'null' : typeof source}; ${NODE_HINT}.`);
}

/**
 * Loads a model saved by `saveModel` — from a URL, an `indexeddb://` (or other tfjs) URL, File objects,
 * ArrayBuffers or a tf.io handler (see `ModelSource`) — with its metadata (`modelMetadata(model)`).
 * Our layers (and @nf/ws-conv's) are registered by this package. The input is untrusted: model.json,
 * the weight specs and the weight sizes are checked before weights are read (`maxBytes`,
 * `maxModelJsonBytes`; SECURITY.md); an error from tfjs-layers while it builds the model becomes one
 * BAD_FILE line. A folder needs `@nf/models/node`.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<tfl.LayersModel> {
  const { handler, where } = modelLoadHandler(source, options);
  return buildFrom(handler, where, 'Pass a model written by saveModel.');
}
