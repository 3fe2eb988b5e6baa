/**
 * Data parallelism on one machine. The main thread and N − 1 worker threads each hold a replica of
 * the model on their own backend; a step splits the batch into micro-batches (at least one per
 * thread; the same split as gradient accumulation when that asks for more), each thread computes
 * the gradients of its micro-batches (`partialGradients`: Σₚ sizeₚ/B·∇ meanLossₚ), the main thread
 * sums them — before AGC, so AGC sees the full-batch gradient — and applies the one update
 * (AGC → weight decay → Nesterov SGD). Before the next step the workers copy the new weights.
 *
 * Transport is shared memory: one SharedArrayBuffer holds the weights (written by the main thread,
 * read by the workers), one per worker holds its gradient sum; messages carry only the batch and
 * the part list. Every micro-batch draws its dropout / stochastic-depth masks from a seed of its
 * own (step seed, part index), so a run's result does not depend on which thread did which part:
 * N-thread and single-thread runs agree to float rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { NfConfig } from '@nf/models';
import { availableParallelism } from 'node:os';
import { flatOffsets } from './flat-layout.js';
import { acceleratorState, setAcceleratorThreads } from './load-backend.js';
import { HostMomentum } from './host-momentum.js';
import { DataIds, readFloat32Into } from './host-io.js';
import {
  applyHostUpdate,
  applyUpdate,
  drawStepSeed,
  namedWeights,
  partialGradients,
  splitBatch,
  trainableVariables,
  type BatchPart,
  type PartialGradients,
  type StepOptimizer,
  type StepOptions,
  type StepResult,
} from './train-step.js';

/** What a worker needs to build its replica. */
export interface WorkerInit {
  type: 'init';
  backend: string;
  modelConfig: NfConfig;
  names: string[];
  shapes: number[][];
  weights: SharedArrayBuffer;
  grads: SharedArrayBuffer;
  /** The main thread's oneDNN accelerator state, mirrored in the worker: its threads per worker thread (0 = off). */
  acceleratorThreads?: number;
}

export interface WorkerStep {
  type: 'step';
  images: Float32Array;
  imageShape: [number, number, number, number];
  labels: Float32Array;
  labelShape: number[];
  parts: BatchPart[];
  batch: number;
  seed: number;
  labelSmoothing: number;
  numClasses: number;
  /** Gradients of the classifier only (head-only epochs); the frozen variables' part of the buffer is zeroed. */
  headOnly: boolean;
}

export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'done'; loss: number; correct: number }
  | { type: 'error'; message: string };

/** Worker w's share of the parts: round-robin, so sizes stay balanced. */
export function partsOf(parts: readonly BatchPart[], worker: number, workers: number): BatchPart[] {
  return parts.filter((p) => p.index % workers === worker);
}

function workerUrl(): URL {
  // Built: dist/data-parallel-worker.js beside this file. From sources (tests): the built copy.
  const beside = new URL('./data-parallel-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  const built = new URL('../../dist/data-parallel-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error('data-parallel worker script not found: build the trainer first (pnpm --filter @nf/trainer build).');
}

class WorkerHandle {
  private pending: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(readonly worker: Worker, readonly grads: Float32Array) {
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending;
      this.pending = undefined;
      if (!p) return;
      if (reply.type === 'error') p.reject(new Error(`data-parallel worker: ${reply.message}`));
      else p.resolve(reply);
    });
    const fail = (e: Error) => {
      this.failure = e;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
    };
    worker.on('error', (e) => fail(new Error(`data-parallel worker crashed: ${e.message}`)));
    worker.on('exit', (code) => fail(new Error(`data-parallel worker exited (code ${code})`)));
  }

  request(message: WorkerInit | WorkerStep): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage(message);
    });
  }
}

export class DataParallel {
  /** The variables' data when `weights` last matched them. */
  private readonly published = new DataIds();

  private constructor(
    readonly threads: number,
    private readonly workers: WorkerHandle[],
    private readonly weights: Float32Array,
    private readonly offsets: number[],
    private readonly shapes: number[][],
    /** The main thread's oneDNN threads before start() shared the cores out (0: accelerator off). */
    private readonly acceleratorThreadsBefore = 0,
  ) {}

  /** Starts `threads − 1` workers with replicas of `model` (built from `modelConfig`) on `backend`. */
  static async start(model: tf.LayersModel, modelConfig: NfConfig, backend: string, threads: number): Promise<DataParallel> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`workers must be a positive integer, got ${threads}.`);
    const named = namedWeights(model);
    const shapes = named.map((w) => [...w.variable.shape]);
    const { offsets, total } = flatOffsets(shapes);
    const weightBuffer = new SharedArrayBuffer(total * 4);
    const handles: WorkerHandle[] = [];
    // With the oneDNN accelerator on (wasm), every thread runs it on its share of the cores.
    const accelerator = backend === 'wasm' ? await acceleratorState() : { active: false, threads: 0 };
    const acceleratorThreads = accelerator.active ? Math.max(1, Math.floor(availableParallelism() / threads)) : 0;
    const acceleratorThreadsBefore = accelerator.active ? await setAcceleratorThreads(acceleratorThreads) : 0;
    try {
      for (let i = 1; i < threads; i++) {
        const gradBuffer = new SharedArrayBuffer(total * 4);
        const handle = new WorkerHandle(new Worker(workerUrl()), new Float32Array(gradBuffer));
        handles.push(handle);
      }
      await Promise.all(
        handles.map((h) =>
          h.request({ type: 'init', backend, modelConfig, names: named.map((w) => w.name), shapes, weights: weightBuffer, grads: h.grads.buffer as SharedArrayBuffer, acceleratorThreads }),
        ),
      );
    } catch (e) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      if (acceleratorThreadsBefore > 0) await setAcceleratorThreads(acceleratorThreadsBefore);
      throw e;
    }
    return new DataParallel(threads, handles, new Float32Array(weightBuffer), offsets, shapes, acceleratorThreadsBefore);
  }

  /** One training step over all threads; same contract as `trainStep`. */
  async step(model: tf.LayersModel, optimizer: StepOptimizer, images: tf.Tensor4D, labels: tf.Tensor, lr: number, options: StepOptions): Promise<StepResult> {
    // Drawn before any await: the caller's per-step seeding of Math.random is still in force.
    const seed = drawStepSeed();
    const vars = trainableVariables(model);
    const batch = images.shape[0];
    const parts = splitBatch(batch, Math.max(options.accumulation, Math.min(this.threads, batch)));
    const replies: Promise<WorkerReply>[] = [];
    if (this.workers.length > 0) {
      this.publishWeights(vars);
      const imageData = images.dataSync() as Float32Array;
      const labelData = Float32Array.from(labels.dataSync());
      this.workers.forEach((h, i) => {
        const mine = partsOf(parts, i + 1, this.threads);
        if (mine.length === 0) return;
        replies.push(
          h.request({
            type: 'step',
            images: imageData,
            imageShape: images.shape,
            labels: labelData,
            labelShape: labels.shape,
            parts: mine,
            batch,
            seed,
            labelSmoothing: options.labelSmoothing,
            numClasses: options.numClasses,
            headOnly: options.headOnly ?? false,
          }),
        );
      });
    }
    const local = partialGradients(model, vars, images, labels, partsOf(parts, 0, this.threads), batch, seed, options);
    let results: WorkerReply[];
    try {
      results = await Promise.all(replies);
    } catch (e) {
      tf.dispose([local.grads, local.loss, local.correct]);
      throw e;
    }
    const active = this.workers.filter((_, i) => partsOf(parts, i + 1, this.threads).length > 0);
    if (optimizer instanceof HostMomentum) return this.hostUpdate(vars, optimizer, local, active, results, batch, lr, options);
    const total = tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      vars.forEach((v, k) => {
        const size = v.size;
        let g = local.grads[v.name];
        // A frozen variable of a head-only step has no gradient anywhere.
        if (!g) return;
        for (const h of active) g = tf.add(g, tf.tensor(h.grads.subarray(this.offsets[k]!, this.offsets[k]! + size), this.shapes[k]!));
        grads[v.name] = g;
      });
      let loss: tf.Tensor = local.loss;
      let correct: tf.Tensor = local.correct;
      for (const r of results) {
        if (r.type !== 'done') continue;
        loss = tf.add(loss, r.loss);
        correct = tf.add(correct, r.correct);
      }
      return { grads, loss: loss as tf.Scalar, correct: correct as tf.Scalar };
    });
    tf.dispose([local.grads, local.loss, local.correct]);
    return await applyUpdate(vars, optimizer, total, batch, lr, options);
  }

  /** The host path: sums the gradients in the flat buffers and updates there (host-momentum.ts). */
  private hostUpdate(
    vars: tf.Variable[],
    optimizer: HostMomentum,
    local: PartialGradients,
    active: WorkerHandle[],
    results: WorkerReply[],
    batch: number,
    lr: number,
    options: StepOptions,
  ): StepResult {
    try {
      if (optimizer.total !== this.weights.length) throw new Error(`the optimizer holds ${optimizer.total} values but the model ${this.weights.length}; make it for this model's variables.`);
      const grads = optimizer.readGradients(vars.map((v) => local.grads[v.name]));
      for (const h of active) optimizer.addGradients(grads, h.grads);
      let loss = local.loss.dataSync()[0]!;
      let correct = local.correct.dataSync()[0]!;
      for (const r of results) {
        if (r.type !== 'done') continue;
        loss = Math.fround(loss + r.loss);
        correct += r.correct;
      }
      // With workers the shared buffer already holds this step's weights (publishWeights).
      const weights = this.workers.length > 0 ? this.weights : optimizer.readWeights(vars);
      const result = applyHostUpdate(vars, optimizer, grads, weights, loss, correct, batch, lr, options);
      // The variables now hold what the shared buffer does: the next step need not publish them.
      if (this.workers.length > 0) this.published.record(vars);
      return result;
    } finally {
      tf.dispose([local.grads, local.loss, local.correct]);
    }
  }

  /** Copies the variables into the buffer the workers read, unless it already holds their data. */
  private publishWeights(vars: tf.Variable[]): void {
    if (this.published.unchanged(vars)) return;
    vars.forEach((v, k) => readFloat32Into(v, this.weights, this.offsets[k]!));
    this.published.record(vars);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((h) => h.worker.terminate()));
    if (this.acceleratorThreadsBefore > 0) await setAcceleratorThreads(this.acceleratorThreadsBefore);
  }
}
