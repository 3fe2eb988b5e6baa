/**
 * `createPipeline(source, options)`: seeded shuffling, batching, per-example augmentation and
 * batch mixing, prepared on the calling thread or — in `@nf/data/node` — ahead in worker threads;
 * the main thread only wraps ready buffers in tensors. A batch is a pure function of (seed, epoch,
 * its position in the epoch), so the same seed gives the same bytes with any number of workers (and
 * in a browser), and `position()` is all a checkpoint needs to resume exactly. What differs by
 * environment (workers, image files) comes in as a `PipelineHost`; this module reaches no Node module.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchesPerEpoch, batchRange, epochOrder } from './batch-plan.js';
import { DataError } from './errors.js';
import { resolvePipelineOptions, type PipelineOptions, type PipelinePosition, type ResolvedPipeline } from './pipeline-options.js';
import { prepareBatch, type BatchPlan, type BatchTask, type PreparedBatch } from './prepare-batch.js';
import { createExampleReader, filesNeedNode, type FileReaderFactory, type SkippedFile } from './read-example.js';
import { toShared, type DataSource, type SourceSpec } from './source.js';

/** Batches prepared off the calling thread (Node: worker-pool.ts). */
export interface BatchWorkers {
  run(task: BatchTask): Promise<PreparedBatch>;
  readonly size: number;
  close(): Promise<void>;
}

/** What the environment gives the pipeline: the default worker count, a worker pool, a reader of image files. */
export interface PipelineHost {
  readonly defaultWorkers: () => number;
  readonly startWorkers?: (workers: number, init: { spec: SourceSpec; labels: Int32Array; plan: BatchPlan }) => Promise<BatchWorkers>;
  readonly readFiles?: FileReaderFactory;
}

/** The main entry's host: no worker threads, no image files. */
const BROWSER_HOST: PipelineHost = { defaultWorkers: () => 0 };

export interface BatchInfo {
  /** Epoch of the batch (from 0). */
  readonly epoch: number;
  /** Position of its first example in the epoch order. */
  readonly index: number;
  /** Source indices of the examples in the batch (bad files left out). */
  readonly indices: Int32Array;
  /** Examples in the batch (batchSize, less for a last short batch or skipped files). */
  readonly size: number;
  /** Files of this batch that were skipped. */
  readonly skipped: number;
  /** True for the last batch of its epoch. */
  readonly lastInEpoch: boolean;
  /** Where to resume to get the batch after this one. */
  readonly position: PipelinePosition;
}

export interface TensorBatch extends BatchInfo {
  /** [B, H, W, C] float32, normalised. The caller disposes it. */
  readonly images: tf.Tensor4D;
  /** [B] int32 class ids, or [B, K] float32 (one-hot, smoothed or mixed). The caller disposes it. */
  readonly labels: tf.Tensor1D | tf.Tensor2D;
}

export interface ArrayBatch extends BatchInfo {
  /** [B, H, W, C] float32, normalised, row-major. */
  readonly images: Float32Array;
  readonly imageShape: readonly [number, number, number, number];
  readonly labels: Int32Array | Float32Array;
  readonly labelShape: readonly [number] | readonly [number, number];
}

export interface Pipeline<B extends BatchInfo = TensorBatch> extends AsyncIterable<B> {
  readonly source: DataSource;
  readonly batchSize: number;
  /** Batches in a full epoch. */
  readonly batchesPerEpoch: number;
  /** [H, W, C] of the output images. */
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly seed: number;
  /** Where the next batch starts; save it with a checkpoint and pass it as `start` to resume. */
  position(): PipelinePosition;
  /** Every bad file met so far (once each), with its path and reason. */
  readonly skipped: readonly SkippedFile[];
  readonly skippedCount: number;
  /** Worker threads alive now (0 when not iterating). */
  readonly activeWorkers: number;
  /** Ends a running iteration and terminates its workers. */
  close(): Promise<void>;
}

/** Pixels shared with workers: copied once per source array into a SharedArrayBuffer if needed. */
const sharedCopies = new WeakMap<Uint8Array, Uint8Array>();
function shareableSpec(spec: SourceSpec): SourceSpec {
  if (spec.kind !== 'raster' || spec.data.buffer instanceof SharedArrayBuffer) return spec;
  let shared = sharedCopies.get(spec.data);
  if (!shared) {
    shared = toShared(spec.data);
    sharedCopies.set(spec.data, shared);
  }
  return { ...spec, data: shared };
}

class DataPipeline implements Pipeline<TensorBatch | ArrayBatch> {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  readonly imageShape: readonly [number, number, number];
  readonly numClasses: number;
  readonly seed: number;
  private readonly settings: ResolvedPipeline;
  private pos: PipelinePosition;
  private readonly skippedByIndex = new Map<number, SkippedFile>();
  private pool: BatchWorkers | undefined;
  private running: AsyncGenerator<TensorBatch | ArrayBatch> | undefined;
  private order: { epoch: number; order: Int32Array } | undefined;

  constructor(
    readonly source: DataSource,
    options: PipelineOptions,
    private readonly host: PipelineHost,
  ) {
    if (source.spec.kind === 'files' && !host.readFiles) throw filesNeedNode('createPipeline', source.name);
    this.settings = resolvePipelineOptions(source, options, host.defaultWorkers());
    if (this.settings.workers > 0 && !host.startWorkers) {
      throw new DataError(
        'BAD_OPTION',
        `createPipeline: workers: ${this.settings.workers} needs worker threads, which this entry does not start; pass workers: 0 (the default here), or in Node import { createPipeline } from '@nf/data/node'.`,
      );
    }
    const { plan } = this.settings;
    this.batchSize = this.settings.batchSize;
    this.batchesPerEpoch = batchesPerEpoch(source.size, this.batchSize, this.settings.dropRemainder);
    this.imageShape = [plan.example.height, plan.example.width, plan.example.channels];
    this.numClasses = source.numClasses;
    this.seed = plan.seed;
    this.pos = this.settings.start;
  }

  position(): PipelinePosition {
    return { ...this.pos };
  }

  get skipped(): readonly SkippedFile[] {
    return [...this.skippedByIndex.values()];
  }

  get skippedCount(): number {
    return this.skippedByIndex.size;
  }

  get activeWorkers(): number {
    return this.pool?.size ?? 0;
  }

  async close(): Promise<void> {
    await this.running?.return(undefined);
  }

  [Symbol.asyncIterator](): AsyncIterator<TensorBatch | ArrayBatch> {
    if (this.running) {
      throw new DataError('BUSY', `createPipeline: ${this.source.name} is already being iterated; finish or break that loop (or call close()) first, or create a second pipeline.`);
    }
    const generator = this.iterate();
    this.running = generator;
    return generator;
  }

  private epochOrder(epoch: number): Int32Array {
    if (this.order?.epoch !== epoch) {
      this.order = { epoch, order: epochOrder(this.source.size, this.seed, epoch, this.settings.shuffle) };
    }
    return this.order.order;
  }

  /** The tasks from the current position to the end of the last epoch. */
  private *tasks(): Generator<BatchTask> {
    let { epoch, index } = this.pos;
    const { size } = this.source;
    while (epoch < this.settings.epochs) {
      const range = batchRange(size, this.batchSize, this.settings.dropRemainder, index);
      if (!range) {
        epoch += 1;
        index = 0;
        if (size === 0 || this.batchesPerEpoch === 0) return;
        continue;
      }
      yield { epoch, start: range.start, indices: this.epochOrder(epoch).slice(range.start, range.end) };
      index = range.end;
    }
  }

  private async *iterate(): AsyncGenerator<TensorBatch | ArrayBatch> {
    const { workers, prefetch, plan } = this.settings;
    const spec = workers > 0 ? shareableSpec(this.source.spec) : this.source.spec;
    try {
      if (workers > 0) this.pool = await this.host.startWorkers!(workers, { spec, labels: this.source.labels, plan });
      const read = workers > 0 ? undefined : createExampleReader(spec, this.host.readFiles);
      const tasks = this.tasks();
      const queue: { task: BatchTask; result: Promise<PreparedBatch> }[] = [];
      const enqueue = (limit: number) => {
        while (queue.length < limit) {
          const next = tasks.next();
          if (next.done) return;
          const result = this.pool ? this.pool.run(next.value) : prepareBatch(read!, this.source.labels, next.value, plan);
          result.catch(() => undefined); // awaited below; this only keeps early failures from being "unhandled"
          queue.push({ task: next.value, result });
        }
      };
      for (;;) {
        enqueue(this.pool ? prefetch : 1);
        const head = queue.shift();
        if (!head) return;
        const prepared = await head.result;
        if (this.pool) enqueue(prefetch);
        const batch = this.finish(head.task, prepared);
        if (batch) yield batch;
      }
    } finally {
      this.running = undefined;
      const pool = this.pool;
      this.pool = undefined;
      await pool?.close();
    }
  }

  /** Records skips, advances the position, wraps the buffers; undefined when every file was bad. */
  private finish(task: BatchTask, prepared: PreparedBatch): TensorBatch | ArrayBatch | undefined {
    for (const s of prepared.skipped) this.skippedByIndex.set(s.index, s);
    const end = task.start + task.indices.length;
    const lastInEpoch = batchRange(this.source.size, this.batchSize, this.settings.dropRemainder, end) === undefined;
    this.pos = lastInEpoch ? { epoch: task.epoch + 1, index: 0, seed: this.seed } : { epoch: task.epoch, index: end, seed: this.seed };
    const b = prepared.indices.length;
    if (b === 0) return undefined;
    const [h, w, c] = this.imageShape;
    const info: BatchInfo = {
      epoch: task.epoch,
      index: task.start,
      indices: prepared.indices,
      size: b,
      skipped: prepared.skipped.length,
      lastInEpoch,
      position: this.position(),
    };
    const oneHot = prepared.labels instanceof Float32Array;
    if (this.settings.output === 'arrays') {
      return {
        ...info,
        images: prepared.images,
        imageShape: [b, h, w, c],
        labels: prepared.labels,
        labelShape: oneHot ? [b, this.numClasses] : [b],
      };
    }
    const images = tf.tensor4d(prepared.images, [b, h, w, c], 'float32');
    const labels = oneHot ? tf.tensor2d(prepared.labels, [b, this.numClasses], 'float32') : tf.tensor1d(prepared.labels, 'int32');
    return { ...info, images, labels };
  }
}

/**
 * A data pipeline over `source`: `for await (const batch of pipeline)` yields batches until the
 * end of epoch `epochs − 1`. Tensors are created on the calling thread with @tensorflow/tfjs-core
 * and belong to the caller (dispose them); `output: 'arrays'` yields typed arrays instead. This
 * entry prepares batches on the calling thread (`workers: 0`) from pixels or generated images;
 * `@nf/data/node`'s `createPipeline` adds worker threads (the default there) and image folders.
 */
export function createPipeline(source: DataSource, options: PipelineOptions & { readonly output: 'arrays' }): Pipeline<ArrayBatch>;
export function createPipeline(source: DataSource, options: PipelineOptions & { readonly output?: 'tensors' }): Pipeline<TensorBatch>;
export function createPipeline(source: DataSource, options: PipelineOptions): Pipeline<TensorBatch> | Pipeline<ArrayBatch>;
export function createPipeline(source: DataSource, options: PipelineOptions): Pipeline<TensorBatch> | Pipeline<ArrayBatch> {
  return createPipelineOn(BROWSER_HOST, source, options);
}

/** `createPipeline` with the environment's workers and file reader (`@nf/data/node` passes Node's). */
export function createPipelineOn(host: PipelineHost, source: DataSource, options: PipelineOptions): Pipeline<TensorBatch> | Pipeline<ArrayBatch> {
  if (typeof source !== 'object' || source === null || !source.spec || !(source.labels instanceof Int32Array)) {
    throw new DataError('BAD_OPTION', `createPipeline: source must come from fashionMnist, mnist, cifar, imageFolder, fromArrays or syntheticImages, received ${String(source)}.`);
  }
  return new DataPipeline(source, options, host) as Pipeline<TensorBatch> | Pipeline<ArrayBatch>;
}
