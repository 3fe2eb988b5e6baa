/**
 * Evaluation: loss, top-1 (and top-5 when classes > 5) and the confusion matrix, in batches.
 * `evaluateAsync` reads each batch's results back with `await tensor.data()` and works on every
 * backend (webgpu in Node included); `evaluate` reads them synchronously (cpu, wasm, tfjs-node).
 * Both share everything but the read: one read-back per batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from './dataset.js';
import { lossOf } from './train-step.js';

export interface EvalResult {
  loss: number;
  accuracy: number;
  top5?: number;
  confusion: number[][];
}

/** The batches of an evaluation and the running totals they add to. */
class EvalRun {
  readonly n: number;
  readonly k: number;
  private readonly order: Uint32Array;
  private readonly confusion: number[][];
  private lossSum = 0;
  private top5 = 0;

  constructor(private readonly model: tf.LayersModel, private readonly data: Dataset, private readonly batchSize: number, limit: number) {
    this.n = limit > 0 ? Math.min(limit, data.size) : data.size;
    this.order = data.order(0, false);
    this.k = data.numClasses;
    this.confusion = Array.from({ length: this.k }, () => new Array<number>(this.k).fill(0));
  }

  starts(): number[] {
    const out: number[] = [];
    for (let start = 0; start < this.n; start += this.batchSize) out.push(start);
    return out;
  }

  /** The batch at `start` as one flat tensor: [loss, top-5 hits, predictions…, labels…]. */
  packed(start: number): { size: number; values: tf.Tensor1D } {
    const idx = this.order.subarray(start, Math.min(this.n, start + this.batchSize));
    const { images, labels } = this.data.batch(idx, { flip: false, seed: 0 });
    try {
      const values = tf.tidy(() => {
        const logits = this.model.predict(images) as tf.Tensor;
        const l = lossOf(logits, labels, this.k, 0);
        const top = this.k > 5 ? tf.sum(tf.cast(tf.any(tf.equal(tf.topk(logits, 5).indices, tf.expandDims(labels, 1)), 1), 'float32')) : tf.scalar(0);
        // Class indices are small integers: exact in float32.
        return tf.concat([tf.reshape(l, [1]), tf.reshape(top, [1]), tf.cast(tf.argMax(logits, 1), 'float32'), tf.cast(tf.reshape(labels, [-1]), 'float32')]) as tf.Tensor1D;
      });
      return { size: idx.length, values };
    } finally {
      tf.dispose([images, labels]);
    }
  }

  add(size: number, values: ArrayLike<number>): void {
    this.lossSum += values[0]! * size;
    this.top5 += values[1]!;
    for (let i = 0; i < size; i++) this.confusion[values[2 + size + i]!]![values[2 + i]!]! += 1;
  }

  result(): EvalResult {
    const { n, k, confusion } = this;
    const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
    return { loss: this.lossSum / n, accuracy: correct / n, ...(k > 5 ? { top5: this.top5 / n } : {}), confusion };
  }
}

/** Evaluates synchronously (`dataSync`): cpu, wasm and tfjs-node only; use `evaluateAsync` elsewhere. */
export function evaluate(model: tf.LayersModel, data: Dataset, batchSize: number, limit = 0): EvalResult {
  const run = new EvalRun(model, data, batchSize, limit);
  for (const start of run.starts()) {
    const { size, values } = run.packed(start);
    try {
      run.add(size, values.dataSync());
    } finally {
      values.dispose();
    }
  }
  return run.result();
}

/** Evaluates with asynchronous read-backs (`await tensor.data()`): works on every backend, webgpu included. */
export async function evaluateAsync(model: tf.LayersModel, data: Dataset, batchSize: number, limit = 0): Promise<EvalResult> {
  const run = new EvalRun(model, data, batchSize, limit);
  for (const start of run.starts()) {
    const { size, values } = run.packed(start);
    try {
      run.add(size, await values.data());
    } finally {
      values.dispose();
    }
  }
  return run.result();
}
