/**
 * The tiny NFNet's training step on wasm is dispatch-bound (~10 µs of engine and tape per kernel
 * call): this pins its kernel calls per step (engine.runKernel, as bench/step-flavours.mjs counts
 * them) so that a change adding calls fails here. 2026-12-07: 1,554 calls → 1,018 after the one-op
 * tape forms of @nf/ws-conv (grouped conv + bias, act·scale, α·branch) and the one-call group split.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { configOf, createModel } from '@nf/models';
import { afterAll, describe, expect, it } from 'vitest';
import { createOptimizer, trainStep } from './train-step.js';

/** Calls of engine.runKernel during `fn`, by kernel name. */
async function kernelCalls(fn: () => Promise<unknown>): Promise<Map<string, number>> {
  const engine = tf.engine();
  const original = engine.runKernel;
  const counts = new Map<string, number>();
  engine.runKernel = function (this: unknown, ...args: Parameters<typeof original>) {
    counts.set(args[0], (counts.get(args[0]) ?? 0) + 1);
    return original.apply(this, args);
  } as typeof original;
  try {
    await fn();
  } finally {
    engine.runKernel = original;
  }
  return counts;
}

describe('kernel calls of one tiny-NFNet training step on wasm (32² b32)', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('stays at or under 1,018 calls (Identity ≤ 321, Reshape ≤ 88, Cast ≤ 36), with flat tensor counts', async () => {
    await tf.setBackend('wasm');
    const config = configOf('dm_nfnet_f0', { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], groupSize: 8, stemChannels: 32, numFeatures: 256, numClasses: 10, dropRate: 0, dropPathRate: 0 });
    const model = createModel(config);
    const optimizer = createOptimizer(model.trainableWeights.map((w) => w.read() as tf.Variable), 0.01, 0.9, true);
    const x = tf.randomNormal([32, 32, 32, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 10), 'int32');
    const options = { clipping: 0.01, weightDecay: 2e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'skip' as const };
    const step = () => trainStep(model, optimizer, x, y, 0.01, options);
    try {
      await step();
      const before = tf.memory().numTensors;
      const counts = await kernelCalls(step);
      expect(tf.memory().numTensors).toBe(before);
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const byName = Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
      expect(total, JSON.stringify(byName)).toBeLessThanOrEqual(1018);
      expect(counts.get('Identity') ?? 0).toBeLessThanOrEqual(321);
      expect(counts.get('Reshape') ?? 0).toBeLessThanOrEqual(88);
      expect(counts.get('Cast') ?? 0).toBeLessThanOrEqual(36);
      // The fused kernels are the ones the step runs (one each way per WS conv / GELU).
      expect(counts.get('NfScaledWS')).toBe(24);
      expect(counts.get('NfGelu')).toBe(20);
    } finally {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    }
  }, 120_000);
});
