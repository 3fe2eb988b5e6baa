/**
 * The worker-thread entry (built to dist/worker.js and dist/worker.cjs). It receives the source
 * spec (pixels in shared memory, file paths, or generator parameters) and the batch plan once,
 * then prepares the batches it is sent and transfers the result buffers back without copying.
 * It never writes files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareBatch, type BatchPlan, type BatchTask } from './prepare-batch.js';
import { createNodeExampleReader } from './file-example-reader.js';
import type { SourceSpec } from './source.js';

export interface WorkerInit {
  readonly spec: SourceSpec;
  readonly labels: Int32Array;
  readonly plan: BatchPlan;
}

export interface WorkerRequest {
  readonly id: number;
  readonly task: BatchTask;
}

if (parentPort) {
  const port = parentPort;
  const { spec, labels, plan } = workerData as WorkerInit;
  const read = createNodeExampleReader(spec);
  port.on('message', (request: WorkerRequest) => {
    prepareBatch(read, labels, request.task, plan).then(
      (result) => port.postMessage({ id: request.id, result }, [result.images.buffer as ArrayBuffer, result.labels.buffer as ArrayBuffer, result.indices.buffer as ArrayBuffer]),
      (error: unknown) => port.postMessage({ id: request.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
}
