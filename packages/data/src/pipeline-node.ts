/**
 * The `@nf/data/node` pipeline: `createPipeline` with worker threads (default min(2, cores)) and image
 * files read and decoded with sharp — loaded on the calling thread before workers start (sharp's rule
 * for worker threads).
 */
import { availableParallelism } from 'node:os';
import { loadSharp } from './decode.js';
import { readFiles } from './file-example-reader.js';
import { workerScriptPath } from './package-paths.js';
import type { PipelineOptions } from './pipeline-options.js';
import { createPipelineOn, type ArrayBatch, type Pipeline, type PipelineHost, type TensorBatch } from './pipeline.js';
import type { DataSource } from './source.js';
import { WorkerPool } from './worker-pool.js';

const NODE_HOST: PipelineHost = {
  defaultWorkers: () => Math.min(2, availableParallelism()),
  startWorkers: async (workers, init) => {
    if (init.spec.kind === 'files') await loadSharp();
    return new WorkerPool(workerScriptPath(), workers, init);
  },
  readFiles,
};

/**
 * A data pipeline over `source`: `for await (const batch of pipeline)` yields batches until the
 * end of epoch `epochs − 1`, prepared ahead in worker threads (`workers`, default min(2, cores); 0
 * prepares them on the calling thread). Tensors are created on the calling thread with
 * @tensorflow/tfjs-core and belong to the caller (dispose them); `output: 'arrays'` yields typed arrays instead.
 */
export function createPipeline(source: DataSource, options: PipelineOptions & { readonly output: 'arrays' }): Pipeline<ArrayBatch>;
export function createPipeline(source: DataSource, options: PipelineOptions & { readonly output?: 'tensors' }): Pipeline<TensorBatch>;
export function createPipeline(source: DataSource, options: PipelineOptions): Pipeline<TensorBatch> | Pipeline<ArrayBatch>;
export function createPipeline(source: DataSource, options: PipelineOptions): Pipeline<TensorBatch> | Pipeline<ArrayBatch> {
  return createPipelineOn(NODE_HOST, source, options);
}
