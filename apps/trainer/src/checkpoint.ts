/**
 * Checkpoints: a folder per step holding the model weights, the optimizer state, the EMA weights
 * (safetensors, by variable name) and state.json (step, epoch, data position, RNG seed, config,
 * package versions). Written atomically: temp folder, fsync of every file, rename; the last K are
 * kept. A process killed mid-write leaves only a temp folder, which is ignored and cleaned up.
 */
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors, type NamedArray } from '@nf/models';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import type { NamedWeight } from './train-step.js';
import path from 'node:path';

export interface CheckpointState {
  step: number;
  epoch: number;
  /** Examples of the current epoch already consumed. */
  index: number;
  seed: number;
  config: unknown;
  /** The resolved model configuration (classes and channels included), so that the weights can be
   * rebuilt without the dataset (`nf-train spp --checkpoint`). Absent in older checkpoints. */
  modelConfig?: unknown;
  metrics?: Record<string, number>;
}

const PREFIX = 'step-';

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function tensorsOf(named: Array<{ name: string; tensor: tf.Tensor }>): Promise<Record<string, NamedArray>> {
  const out: Record<string, NamedArray> = {};
  for (const { name, tensor } of named) out[name] = { shape: tensor.shape, data: Float32Array.from(await tensor.data()) };
  return out;
}

/** A tensor with its name, as tfjs optimizers give their state. */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

/** What a checkpoint needs of an optimizer: its state as named tensors, tfjs's format. */
export interface OptimizerState {
  getWeights(): Promise<NamedTensor[]>;
  setWeights(weights: NamedTensor[]): Promise<void>;
}

export interface CheckpointParts {
  /** Model weights under their stable names. */
  weights: NamedWeight[];
  optimizer: OptimizerState;
  ema?: Map<string, tf.Variable>;
}

export async function writeCheckpoint(dir: string, parts: CheckpointParts, state: CheckpointState, keep: number): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `${PREFIX}${String(state.step).padStart(8, '0')}`;
  const final = path.join(dir, name);
  const temp = path.join(dir, `.tmp-${name}-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp);
  const optimizerWeights = await parts.optimizer.getWeights();
  // getWeights hands out new tensors (tfjs's 'iter', all of HostMomentum's) beside live variables.
  const optimizerTensors = await tensorsOf(optimizerWeights).finally(() => tf.dispose(optimizerWeights.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable))));
  await writeSynced(path.join(temp, 'model.safetensors'), writeSafetensors(await tensorsOf(parts.weights.map((w) => ({ name: w.name, tensor: w.variable })))));
  await writeSynced(path.join(temp, 'optimizer.safetensors'), writeSafetensors(optimizerTensors));
  if (parts.ema) {
    await writeSynced(path.join(temp, 'ema.safetensors'), writeSafetensors(await tensorsOf([...parts.ema].map(([n, t]) => ({ name: n, tensor: t })))));
  }
  await writeSynced(path.join(temp, 'state.json'), JSON.stringify(state, null, 2));
  await rm(final, { recursive: true, force: true });
  await rename(temp, final);
  const handle = await open(dir, 'r');
  await handle.sync().catch(() => undefined);
  await handle.close();
  const all = (await listCheckpoints(dir)).slice(0, -keep);
  for (const old of all) await rm(path.join(dir, old), { recursive: true, force: true });
  return final;
}

/** Completed checkpoints, oldest first (temp folders of interrupted writes are not listed). */
export async function listCheckpoints(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(PREFIX)).sort();
}

export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  const all = await listCheckpoints(dir);
  return all.length ? path.join(dir, all[all.length - 1]!) : undefined;
}

/** Restores weights, optimizer state and EMA into the given parts; returns the saved state. */
export async function readCheckpoint(folder: string, parts: CheckpointParts): Promise<CheckpointState> {
  const read = async (file: string) => readSafetensors(new Uint8Array(await readFile(path.join(folder, file))), path.join(folder, file)).tensors;
  const weights = await read('model.safetensors');
  for (const { name, variable } of parts.weights) {
    const t = weights[name];
    if (!t) throw new Error(`checkpoint ${folder} has no weight '${name}'; was it written by another model?`);
    tf.tidy(() => variable.assign(tf.tensor(t.data, t.shape)));
  }
  const opt = await read('optimizer.safetensors');
  const named = Object.entries(opt).map(([name, t]) => ({ name, tensor: tf.tensor(t.data, t.shape) }));
  await parts.optimizer.setWeights(named);
  tf.dispose(named.map((n) => n.tensor));
  if (parts.ema) {
    const ema = await read('ema.safetensors');
    for (const [name, v] of parts.ema) tf.tidy(() => v.assign(tf.tensor(ema[name]!.data, ema[name]!.shape)));
  }
  return JSON.parse(await readFile(path.join(folder, 'state.json'), 'utf8')) as CheckpointState;
}

/** Which weights of a checkpoint: the live ones, or their EMA (what evaluation and the saved model use). */
export type CheckpointWeights = 'model' | 'ema';

/** Loads only the weights of a checkpoint into `weights` (no optimizer): the EMA when asked for
 * and present, else the live weights. Returns which were loaded and the checkpoint's state. */
export async function readCheckpointWeights(folder: string, weights: NamedWeight[], prefer: CheckpointWeights = 'ema'): Promise<{ loaded: CheckpointWeights; state: CheckpointState }> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const loaded: CheckpointWeights = prefer === 'ema' && names.includes('ema.safetensors') ? 'ema' : 'model';
  const file = path.join(folder, `${loaded}.safetensors`);
  const tensors = readSafetensors(new Uint8Array(await readFile(file)), file).tensors;
  for (const { name, variable } of weights) {
    const t = tensors[name];
    if (!t) throw new Error(`checkpoint ${folder} has no weight '${name}'; was it written by another model?`);
    if (t.shape.join(',') !== variable.shape.join(',')) {
      throw new Error(`checkpoint ${folder}: weight '${name}' has shape [${t.shape.join(', ')}], the model expects [${variable.shape.join(', ')}]; was it written by another model?`);
    }
    tf.tidy(() => variable.assign(tf.tensor(t.data, t.shape)));
  }
  const state = JSON.parse(await readFile(path.join(folder, 'state.json'), 'utf8')) as CheckpointState;
  return { loaded, state };
}
