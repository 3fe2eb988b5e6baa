/**
 * Our models in a folder (model.json + one weight shard), in Node without tfjs-node, through tf.io
 * handlers over `fs` — the `@nf/models/node` versions of `saveModel` and `loadModel`, which take a
 * folder path as well as everything the main entry's take. Writes are atomic: the files go to a
 * temporary sibling directory, are fsynced, and the directory is renamed into place; an existing
 * directory is replaced only after the new one is complete. Reading checks model.json as every source
 * does (model-json.ts), and confines the weight files to the folder (plain-file.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { planAllocation } from './allocation.js';
import { ModelsError } from './errors.js';
import { DEFAULT_FILE_LIMITS, limitOption } from './file-limits.js';
import {
  buildFrom,
  loadModel as loadModelAnywhere,
  saveModel as saveModelAnywhere,
  saveThrough,
  type LoadModelOptions,
  type ModelSource,
  type SaveModelOptions,
} from './model-io.js';
import { artifactsOf, badModelJson, checkGroupBytes, MODEL_JSON, modelJsonOf, parseModelJson, planWeights, WEIGHTS } from './model-json.js';
import { checkSize, ioReason, localPath, readPlainFileInto, resolveInside, type PlainFile } from './plain-file.js';
import { oneLine, quote } from './quote.js';

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
        await writeSynced(path.join(temp, WEIGHTS), weightData);
        await writeSynced(path.join(temp, MODEL_JSON), JSON.stringify(modelJsonOf(artifacts)));
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

const HINT = 'Pass a directory written by saveModel.';

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
      const label = { what: 'a model from', hint: HINT };
      let realRoot: string;
      try {
        realRoot = await realpath(root);
      } catch (e) {
        throw new ModelsError('IO', `Cannot read a model from ${quote(file)}: ${ioReason(e)}. ${HINT}`);
      }
      const bad = badModelJson(file, HINT);

      const jsonFile = await resolveInside(realRoot, MODEL_JSON, file, label, true);
      checkSize(file, jsonFile.size, maxJson, 'maxModelJsonBytes');
      planAllocation(jsonFile.size, 'model.json');
      const jsonBytes = new Uint8Array(jsonFile.size);
      await readPlainFileInto(jsonFile, jsonBytes, 0, label);
      const json = parseModelJson(jsonBytes, bad);
      // The specs and what each manifest group's files must hold, before any weights file is opened.
      const { specs, groups, total } = planWeights(json.weightsManifest, file, maxBytes, bad);

      // Every weights file: a regular file inside the folder, sized exactly as its group's specs need.
      const weightsLabel = { what: 'weights file', hint: HINT };
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
        checkGroupBytes(bad, g, group.map((f) => quote(f.path)), group.reduce((n, f) => n + f.size, 0), need);
        files.push(...group);
      }
      planAllocation(total, 'weights');
      const weightData = new Uint8Array(total);
      let at = 0;
      for (const f of files) {
        await readPlainFileInto(f, weightData, at, weightsLabel);
        at += f.size;
      }
      return artifactsOf(json, specs, weightData.buffer);
    },
  };
}

/**
 * Saves a model (topology + weights, optionally the optimizer state) with its metadata in model.json
 * (see `SaveModelOptions.metadata`): to the folder `destination` (a path or `file:` URL), atomically;
 * or, as the main entry's `saveModel`, through a tfjs URL or handler. The model itself is not changed.
 */
export async function saveModel(model: tfl.LayersModel, destination: string | URL | tf.io.IOHandler, options: SaveModelOptions = {}): Promise<void> {
  const dir = localPath(destination);
  if (dir === undefined) return saveModelAnywhere(model, destination as string | tf.io.IOHandler, options);
  await saveThrough(model, directorySaveHandler(dir), options);
}

/**
 * Loads a model saved by `saveModel` from the folder `source` (a path or `file:` URL), read as
 * untrusted (see `directoryLoadHandler`); or, as the main entry's `loadModel`, from a URL, Files,
 * ArrayBuffers or a tf.io handler. Our layers (and @nf/ws-conv's) are registered by this package. An
 * error from tfjs-layers while it builds the model (an unknown layer, weights that do not fit it)
 * becomes one BAD_FILE line naming model.json.
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<tfl.LayersModel> {
  const dir = localPath(source);
  if (dir === undefined) return loadModelAnywhere(source, options);
  return buildFrom(directoryLoadHandler(dir, options), path.join(path.resolve(dir), MODEL_JSON), HINT);
}
