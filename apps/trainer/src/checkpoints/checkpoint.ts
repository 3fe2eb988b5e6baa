/**
 * Checkpoints: a folder per step holding the model weights, the optimizer state, the EMA weights
 * (safetensors, by variable name) and state.json (step, epoch, data position, RNG seed, config,
 * package versions). Written atomically: temp folder, fsync of every file, rename; the last K are
 * kept. A process killed mid-write leaves only a temp folder, which is ignored and cleaned up.
 * Reading checks every file (state.json's fields, each weight's name and shape) before anything is
 * assigned, so a damaged checkpoint can be skipped for the one before it.
 */
import * as tf from '@tensorflow/tfjs';
import { readSafetensors, writeSafetensors, type NamedArray } from '@nf/models';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import type { NamedWeight } from '../step/train-step.js';
import path from 'node:path';
import { TrainerError, oneLine, quote } from '../errors.js';

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
  /** The dataset's class names; label k is classNames[k]. Absent in older checkpoints. */
  classNames?: string[];
  /** Seconds of training up to this checkpoint, summed over every session of the run. */
  elapsedSeconds?: number;
  /** The preset the run started from (absent in older checkpoints). */
  preset?: string;
}

/** A state.json is a few kB; anything past this is not one. */
const MAX_STATE_BYTES = 4 << 20;

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
  return names.filter((n) => /^step-\d{8,}$/.test(n)).sort();
}

export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  const all = await listCheckpoints(dir);
  return all.length ? path.join(dir, all[all.length - 1]!) : undefined;
}

const bad = (folder: string, why: string, cause?: unknown) =>
  new TrainerError('BAD_CHECKPOINT', `checkpoint ${quote(folder)}: ${why}`, cause === undefined ? undefined : { cause });

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Reads and checks a checkpoint's state.json; every problem names the file. */
export async function readCheckpointState(folder: string): Promise<CheckpointState> {
  const file = path.join(folder, 'state.json');
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw bad(folder, `${quote(file)} is not a file.`);
    if (info.size > MAX_STATE_BYTES) throw bad(folder, `${quote(file)} is ${info.size} bytes; a state.json is a few kB (at most ${MAX_STATE_BYTES}). Resume from another checkpoint.`);
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (e instanceof TrainerError) throw e;
    throw bad(folder, `cannot read ${quote(file)} (${(e as NodeJS.ErrnoException).code ?? 'error'}); resume from another checkpoint.`, e);
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (e) {
    throw bad(folder, `${quote(file)} is not valid JSON (${oneLine(String((e as Error).message))}); the checkpoint is damaged: resume from another one.`, e);
  }
  const s = state as Partial<CheckpointState> | null;
  const problem =
    s === null || typeof s !== 'object' || Array.isArray(s)
      ? 'does not hold an object'
      : !isCount(s.step)
        ? `'step' must be an integer >= 0, found ${JSON.stringify(s.step)}`
        : !isCount(s.epoch)
          ? `'epoch' must be an integer >= 0, found ${JSON.stringify(s.epoch)}`
          : !isCount(s.index)
            ? `'index' must be an integer >= 0, found ${JSON.stringify(s.index)}`
            : typeof s.seed !== 'number' || !Number.isInteger(s.seed)
              ? `'seed' must be an integer, found ${JSON.stringify(s.seed)}`
              : s.config === null || typeof s.config !== 'object' || Array.isArray(s.config)
                ? `'config' must be an object, found ${JSON.stringify(s.config)}`
                : s.elapsedSeconds !== undefined && !(typeof s.elapsedSeconds === 'number' && Number.isFinite(s.elapsedSeconds) && s.elapsedSeconds >= 0)
                  ? `'elapsedSeconds' must be a number >= 0, found ${JSON.stringify(s.elapsedSeconds)}`
                  : undefined;
  if (problem) throw bad(folder, `${quote(file)}: ${problem}; the checkpoint is damaged: resume from another one.`);
  return s as CheckpointState;
}

type Arrays = Record<string, NamedArray>;

async function readArrays(folder: string, name: string): Promise<Arrays> {
  const file = path.join(folder, name);
  try {
    // A regular file only: a device or FIFO put in its place would hang the read or never end.
    if (!(await stat(file)).isFile()) throw bad(folder, `${quote(file)} is not a regular file; resume from another checkpoint.`);
    return readSafetensors(new Uint8Array(await readFile(file)), file).tensors;
  } catch (e) {
    if (e instanceof TrainerError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${quote(file)} is missing` : oneLine(String((e as Error).message));
    throw bad(folder, `${why}; the checkpoint is incomplete or damaged: resume from another one.`, e);
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** Every weight of `expected` is in `arrays` with the same shape; else one line naming the first problem. */
function checkArrays(folder: string, file: string, arrays: Arrays, expected: ReadonlyArray<{ name: string; shape: readonly number[] }>): void {
  for (const { name, shape } of expected) {
    const t = Object.hasOwn(arrays, name) ? arrays[name] : undefined;
    if (!t) throw bad(folder, `${file} has no weight ${quote(name)}; was it written by another model?`);
    if (!sameShape(t.shape, shape)) {
      throw bad(folder, `${file}: weight ${quote(name)} has shape [${t.shape.join(', ')}], the model expects [${shape.join(', ')}]; was it written by another model?`);
    }
  }
}

/**
 * The optimizer state as both optimizers write it (tf.train.momentum's format): 'iter', then either
 * nothing (no step taken yet) or one momentum per trainable weight, in the weights' order and shapes.
 */
function checkOptimizerState(folder: string, state: ReadonlyArray<{ name: string; shape: readonly number[] }>, weights: readonly NamedWeight[]): void {
  const [iter, ...rest] = state;
  const file = 'optimizer.safetensors';
  if (!iter || iter.name !== 'iter' || iter.shape.length !== 0) throw bad(folder, `${file} must start with the scalar 'iter'; found ${iter ? quote(iter.name) : 'nothing'}.`);
  if (rest.length !== 0 && rest.length !== weights.length) {
    throw bad(folder, `${file} holds ${rest.length} momentum tensors, the model has ${weights.length} trainable weights; was it written by another model?`);
  }
  rest.forEach(({ name, shape }, k) => {
    const want = weights[k]!.variable.shape;
    if (!sameShape(shape, want)) throw bad(folder, `${file}: ${quote(name)} has shape [${shape.join(', ')}], weight ${quote(weights[k]!.name)} has [${want.join(', ')}]; was it written by another model?`);
  });
}

/** A checkpoint read into memory and checked against the model, not yet applied. */
export interface LoadedCheckpoint {
  folder: string;
  state: CheckpointState;
  weights: Arrays;
  optimizer: Array<{ name: string; shape: readonly number[]; data: Float32Array }>;
  ema?: Arrays;
}

/**
 * Reads every file of a checkpoint and checks it against `parts` (names, shapes, the optimizer's
 * state layout) without changing anything: a damaged checkpoint leaves the model as it was.
 */
export async function loadCheckpoint(folder: string, parts: CheckpointParts): Promise<LoadedCheckpoint> {
  const state = await readCheckpointState(folder);
  const weights = await readArrays(folder, 'model.safetensors');
  checkArrays(folder, 'model.safetensors', weights, parts.weights.map((w) => ({ name: w.name, shape: w.variable.shape })));
  const optimizerArrays = await readArrays(folder, 'optimizer.safetensors');
  const optimizer = Object.entries(optimizerArrays).map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
  checkOptimizerState(folder, optimizer, parts.weights);
  let ema: Arrays | undefined;
  if (parts.ema) {
    ema = await readArrays(folder, 'ema.safetensors');
    checkArrays(folder, 'ema.safetensors', ema, [...parts.ema].map(([name, v]) => ({ name, shape: v.shape })));
  }
  return { folder, state, weights, optimizer, ...(ema ? { ema } : {}) };
}

/** Applies a loaded checkpoint to the model, optimizer and EMA. */
export async function restoreCheckpoint(loaded: LoadedCheckpoint, parts: CheckpointParts): Promise<CheckpointState> {
  for (const { name, variable } of parts.weights) tf.tidy(() => variable.assign(tf.tensor(loaded.weights[name]!.data, loaded.weights[name]!.shape)));
  const named = loaded.optimizer.map(({ name, shape, data }) => ({ name, tensor: name === 'iter' ? tf.scalar(data[0]!, 'int32') : tf.tensor(data, [...shape]) }));
  try {
    await parts.optimizer.setWeights(named);
  } finally {
    tf.dispose(named.map((n) => n.tensor));
  }
  if (parts.ema && loaded.ema) for (const [name, v] of parts.ema) tf.tidy(() => v.assign(tf.tensor(loaded.ema![name]!.data, loaded.ema![name]!.shape)));
  return loaded.state;
}

/** Restores weights, optimizer state and EMA into the given parts; returns the saved state. */
export async function readCheckpoint(folder: string, parts: CheckpointParts): Promise<CheckpointState> {
  return restoreCheckpoint(await loadCheckpoint(folder, parts), parts);
}

/**
 * The newest checkpoint of `dir` that reads whole and fits the model; a damaged newer one is
 * reported through `log` and skipped. Throws when none is intact (naming each problem's first).
 */
export async function newestIntactCheckpoint(dir: string, parts: CheckpointParts, log: (line: string) => void): Promise<LoadedCheckpoint> {
  const all = (await listCheckpoints(dir)).reverse();
  if (all.length === 0) throw new TrainerError('BAD_CHECKPOINT', `no checkpoint in ${quote(dir)}; start without --resume.`);
  const problems: string[] = [];
  for (const name of all) {
    try {
      const loaded = await loadCheckpoint(path.join(dir, name), parts);
      if (problems.length > 0) log(`resume: using ${name}, the newest intact checkpoint (skipped ${problems.length} damaged: ${problems.join('; ')})`);
      return loaded;
    } catch (e) {
      if (!(e instanceof TrainerError)) throw e;
      problems.push(e.message);
    }
  }
  throw new TrainerError('BAD_CHECKPOINT', `no intact checkpoint in ${quote(dir)} (${problems.length} damaged; newest: ${problems[0]}). Start without --resume.`);
}

/** A checkpoint folder (state.json + model.safetensors), or the run directory whose checkpoints/ to use. */
export async function findCheckpoint(dir: string, option = '--checkpoint'): Promise<{ folder?: string; runDir?: string }> {
  const exists = (p: string) => stat(p).then(() => true, () => false);
  if ((await exists(path.join(dir, 'state.json'))) && (await exists(path.join(dir, 'model.safetensors')))) {
    const parent = path.dirname(path.resolve(dir));
    return path.basename(parent) === 'checkpoints' ? { folder: dir, runDir: path.dirname(parent) } : { folder: dir };
  }
  if (await exists(path.join(dir, 'checkpoints'))) return { runDir: dir };
  if (!(await exists(dir))) throw new TrainerError('BAD_CHECKPOINT', `${option} ${quote(dir)} does not exist; give a run folder (with checkpoints/) or a checkpoint folder (with state.json).`);
  throw new TrainerError('BAD_CHECKPOINT', `${option} ${quote(dir)} is neither a run directory (with checkpoints/) nor a checkpoint folder (with state.json and model.safetensors).`);
}

/** Which weights of a checkpoint: the live ones, or their EMA (what evaluation and the saved model use). */
export type CheckpointWeights = 'model' | 'ema';

/** Loads only the weights of a checkpoint into `weights` (no optimizer): the EMA when asked for
 * and present, else the live weights. Returns which were loaded and the checkpoint's state. */
export async function readCheckpointWeights(folder: string, weights: NamedWeight[], prefer: CheckpointWeights = 'ema'): Promise<{ loaded: CheckpointWeights; state: CheckpointState }> {
  const state = await readCheckpointState(folder);
  const names = await readdir(folder).catch(() => [] as string[]);
  const loaded: CheckpointWeights = prefer === 'ema' && names.includes('ema.safetensors') ? 'ema' : 'model';
  const tensors = await readArrays(folder, `${loaded}.safetensors`);
  checkArrays(folder, `${loaded}.safetensors`, tensors, weights.map((w) => ({ name: w.name, shape: w.variable.shape })));
  for (const { name, variable } of weights) tf.tidy(() => variable.assign(tf.tensor(tensors[name]!.data, tensors[name]!.shape)));
  return { loaded, state };
}
