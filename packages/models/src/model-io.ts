/**
 * Save and load our models to a directory (model.json + one weight shard) in Node without
 * tfjs-node, through a tf.io handler over `fs`. Writes are atomic: the files go to a temporary
 * sibling directory, are fsynced, and the directory is renamed into place; an existing directory
 * is replaced only after the new one is complete.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import './register.js';
import { ModelsError } from './errors.js';

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
        throw new ModelsError('IO', `Cannot save the model to '${target}': ${(e as Error).message}.`);
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
}

/** A tf.io handler that reads a directory written by `saveModel` (or any tfjs layers-model.json with its shards). */
export function directoryLoadHandler(dir: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = path.join(path.resolve(dir), MODEL_JSON);
      let json: { modelTopology?: object; weightsManifest?: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>; format?: string; generatedBy?: string; convertedBy?: string; trainingConfig?: tf.io.TrainingConfig };
      try {
        json = JSON.parse(await readFile(file, 'utf8'));
      } catch (e) {
        throw new ModelsError('IO', `Cannot read a model from '${file}': ${(e as Error).message}. Pass a directory written by saveModel.`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new ModelsError('BAD_FILE', `'${file}' is not a tfjs layers model (no modelTopology / weightsManifest).`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) buffers.push(new Uint8Array(await readFile(path.join(path.dirname(file), p))));
      }
      const total = buffers.reduce((n, b) => n + b.byteLength, 0);
      const weightData = new Uint8Array(total);
      let at = 0;
      for (const b of buffers) {
        weightData.set(b, at);
        at += b.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: weightData.buffer,
        ...(json.format ? { format: json.format } : {}),
        ...(json.generatedBy ? { generatedBy: json.generatedBy } : {}),
        ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
      };
    },
  };
}

/** Saves a model (topology + weights, optionally the optimizer state) to `dir`, atomically. */
export async function saveModel(model: tfl.LayersModel, dir: string, options: { includeOptimizer?: boolean } = {}): Promise<void> {
  await model.save(directorySaveHandler(dir), options);
}

/** Loads a model saved by `saveModel`. Our layers (and @nf/ws-conv's) are registered by this package. */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(directoryLoadHandler(dir));
}
