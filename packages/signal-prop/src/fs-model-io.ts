/**
 * A `tf.io` handler for a tfjs Layers model on the local file system (model.json + weight
 * shards), since `file://` needs tfjs-node. Used by the CLI; exported from `@nf/signal-prop/node`
 * (it needs `node:fs`), not from the main entry. Every failure is a `SignalPropError` with code `BAD_MODEL_FILE` and a
 * one-line message.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SignalPropError } from './errors.js';

const bad = (message: string, cause?: unknown) => new SignalPropError('BAD_MODEL_FILE', message, { cause });

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error).message.split('\n')[0]!;
}

/** Resolves a directory holding model.json to that file. */
async function modelJsonPath(p: string): Promise<string> {
  const info = await stat(p).catch((e: unknown) => {
    throw bad(`cannot read model file '${p}': ${reason(e)}; pass the path of a tfjs model.json.`, e);
  });
  return info.isDirectory() ? path.join(p, 'model.json') : p;
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** Parses and checks a model.json text: a Layers model (not a graph model) with a topology. */
export function parseModelJson(text: string, where: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw bad(`'${where}' is not JSON (${(e as Error).message}); pass a tfjs model.json.`, e);
  }
  const m = json as Partial<tf.io.ModelJSON> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m) || !m.modelTopology) {
    throw bad(`'${where}' is JSON but not a tfjs model (no modelTopology); pass the model.json written by model.save().`);
  }
  const topology = m.modelTopology as { class_name?: string; className?: string; model_config?: unknown };
  if (m.format === 'graph-model' || (topology as { node?: unknown }).node !== undefined) {
    throw bad(`'${where}' is a tfjs graph model; nf-spp analyzes Layers models (tf.LayersModel saved with model.save()), whose layers it can follow.`);
  }
  if (!(topology.class_name ?? topology.className ?? topology.model_config)) {
    throw bad(`'${where}' has a modelTopology without a model class; pass the model.json of a tf.LayersModel.`);
  }
  return m as tf.io.ModelJSON;
}

/** Loads (and saves) `model.json` plus the weight files it lists, relative to its directory. */
export function fileModel(target: string): tf.io.IOHandler {
  return {
    async load(): Promise<tf.io.ModelArtifacts> {
      const file = await modelJsonPath(target);
      const text = await readFile(file, 'utf8').catch((e: unknown) => {
        throw bad(`cannot read model file '${file}': ${reason(e)}; pass the path of a tfjs model.json.`, e);
      });
      const json = parseModelJson(text, file);
      const dir = path.dirname(file);
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const p of group.paths) {
            const shard = path.join(dir, p);
            const buf = await readFile(shard).catch((e: unknown) => {
              throw bad(`weight file '${p}' listed in '${file}' cannot be read: ${reason(e)}; keep the shards beside model.json.`, e);
            });
            buffers.push(toArrayBuffer(buf));
          }
        }
        return [tf.io.getWeightSpecs(manifest), tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },

    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const file = target.endsWith('.json') ? target : path.join(target, 'model.json');
      const dir = path.dirname(file);
      await mkdir(dir, { recursive: true });
      const weightsName = `${path.basename(file, '.json')}.weights.bin`;
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? 'TensorFlow.js',
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [weightsName], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await writeFile(path.join(dir, weightsName), new Uint8Array(weightData));
      await writeFile(file, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}
