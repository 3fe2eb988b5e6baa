/**
 * Running a model in training mode changes its state: BatchNormalization updates its moving mean
 * and variance. An analysis must not, so the non-trainable weights are copied before and written
 * back after (also when the run throws).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Runs `fn` and restores every non-trainable weight of `model` afterwards. */
export async function preservingState<T>(model: { nonTrainableWeights: tfl.LayerVariable[] }, fn: () => T | Promise<T>): Promise<T> {
  const weights = model.nonTrainableWeights;
  const saved = weights.map((w) => tf.clone(w.read()));
  try {
    return await fn();
  } finally {
    weights.forEach((w, i) => w.write(saved[i]!));
    tf.dispose(saved);
  }
}
