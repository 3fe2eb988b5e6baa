/** Evaluation: loss, top-1 (and top-5 when classes > 5) and the confusion matrix, in batches. */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from './dataset.js';
import { lossOf } from './train-step.js';

export interface EvalResult {
  loss: number;
  accuracy: number;
  top5?: number;
  confusion: number[][];
}

export function evaluate(model: tf.LayersModel, data: Dataset, batchSize: number, limit = 0): EvalResult {
  const n = limit > 0 ? Math.min(limit, data.size) : data.size;
  const order = data.order(0, false);
  const k = data.numClasses;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let lossSum = 0;
  let top5 = 0;
  for (let start = 0; start < n; start += batchSize) {
    const idx = order.subarray(start, Math.min(n, start + batchSize));
    const { images, labels } = data.batch(idx, { flip: false, seed: 0 });
    const [loss, pred, hits5] = tf.tidy(() => {
      const logits = model.predict(images) as tf.Tensor;
      const l = lossOf(logits, labels, k, 0);
      const top = k > 5 ? tf.sum(tf.cast(tf.any(tf.equal(tf.topk(logits, 5).indices, tf.expandDims(labels, 1)), 1), 'float32')) : tf.scalar(0);
      return [l.dataSync()[0]!, tf.argMax(logits, 1).dataSync(), top.dataSync()[0]!];
    });
    const truth = labels.dataSync();
    for (let i = 0; i < idx.length; i++) confusion[truth[i]!]![pred[i]!]! += 1;
    lossSum += (loss as number) * idx.length;
    top5 += hits5 as number;
    tf.dispose([images, labels]);
  }
  const correct = confusion.reduce((s, row, i) => s + row[i]!, 0);
  return { loss: lossSum / n, accuracy: correct / n, ...(k > 5 ? { top5: top5 / n } : {}), confusion };
}
