/**
 * Evaluation: loss, top-1 (and top-5 when classes > 5) and the confusion matrix, in batches.
 * `evaluateAsync` reads each batch's results back with `await tensor.data()` and works on every
 * backend (webgpu in Node included); `evaluate` reads them synchronously (cpu, wasm, tfjs-node).
 * Both share everything but the read: one read-back per batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset, RasterDataset } from '../data/raster-dataset.js';
import { lossOf } from '../step/train-step.js';

export interface EvalResult {
  loss: number;
  accuracy: number;
  top5?: number;
  confusion: number[][];
  /** Per evaluated example, in order: the true class and the predicted one, and its dataset index. */
  labels: Int32Array;
  predicted: Int32Array;
  indices: Int32Array;
}

/** The running totals of an evaluation, batch by batch. */
class EvalRun {
  readonly k: number;
  private readonly confusion: number[][];
  private readonly labels: number[] = [];
  private readonly predicted: number[] = [];
  private readonly indices: number[] = [];
  private lossSum = 0;
  private top5 = 0;

  constructor(private readonly model: tf.LayersModel, numClasses: number) {
    this.k = numClasses;
    this.confusion = Array.from({ length: this.k }, () => new Array<number>(this.k).fill(0));
  }

  /** One batch as one flat tensor: [loss, top-5 hits, predictions…, labels…]; disposes the batch. */
  packed(images: tf.Tensor4D, labels: tf.Tensor1D): tf.Tensor1D {
    try {
      return tf.tidy(() => {
        const logits = this.model.predict(images) as tf.Tensor;
        const l = lossOf(logits, labels, this.k, 0);
        const top = this.k > 5 ? tf.sum(tf.cast(tf.any(tf.equal(tf.topk(logits, 5).indices, tf.expandDims(labels, 1)), 1), 'float32')) : tf.scalar(0);
        // Class indices are small integers: exact in float32.
        return tf.concat([tf.reshape(l, [1]), tf.reshape(top, [1]), tf.cast(tf.argMax(logits, 1), 'float32'), tf.cast(tf.reshape(labels, [-1]), 'float32')]) as tf.Tensor1D;
      });
    } finally {
      tf.dispose([images, labels]);
    }
  }

  add(size: number, values: ArrayLike<number>, indices: ArrayLike<number>): void {
    for (let i = 0; i < size; i++) this.indices.push(indices[i]!);
    this.lossSum += values[0]! * size;
    this.top5 += values[1]!;
    for (let i = 0; i < size; i++) {
      const predicted = values[2 + i]!;
      const label = values[2 + size + i]!;
      this.confusion[label]![predicted]! += 1;
      this.labels.push(label);
      this.predicted.push(predicted);
    }
  }

  result(): EvalResult {
    const { k, confusion } = this;
    const n = this.labels.length;
    const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
    return {
      loss: n > 0 ? this.lossSum / n : Number.NaN,
      accuracy: n > 0 ? correct / n : Number.NaN,
      ...(k > 5 ? { top5: n > 0 ? this.top5 / n : Number.NaN } : {}),
      confusion,
      labels: Int32Array.from(this.labels),
      predicted: Int32Array.from(this.predicted),
      indices: Int32Array.from(this.indices),
    };
  }
}

/** Evaluates synchronously (`dataSync`): cpu, wasm and tfjs-node only; use `evaluateAsync` elsewhere. */
export function evaluate(model: tf.LayersModel, data: RasterDataset, batchSize: number, limit = 0): EvalResult {
  const run = new EvalRun(model, data.numClasses);
  const n = limit > 0 ? Math.min(limit, data.size) : data.size;
  const order = data.order(0, false);
  for (let start = 0; start < n; start += batchSize) {
    const idx = order.subarray(start, Math.min(n, start + batchSize));
    const { images, labels } = data.batch(idx, { flip: false, seed: 0 });
    const size = idx.length;
    const values = run.packed(images, labels);
    try {
      run.add(size, values.dataSync(), idx);
    } finally {
      values.dispose();
    }
  }
  return run.result();
}

/** Evaluates with asynchronous read-backs (`await tensor.data()`): works on every backend, webgpu included. */
export async function evaluateAsync(model: tf.LayersModel, data: Dataset, batchSize: number, limit = 0): Promise<EvalResult> {
  const run = new EvalRun(model, data.numClasses);
  for await (const { images, labels, size, indices } of data.evalBatches(batchSize, limit)) {
    const values = run.packed(images, labels);
    try {
      run.add(size, await values.data(), indices);
    } finally {
      values.dispose();
    }
  }
  return run.result();
}
