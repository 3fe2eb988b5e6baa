/**
 * A real training step of a small NFNet (@nf/models: grouped 3×3 convs through @nf/ws-conv, Scaled
 * WS, SE, the stem's strided convs, the classifier's matMul) with the oneDNN kernels on and off:
 * the same losses and weights to float tolerance, every conv and matMul of the step on oneDNN, and
 * no tensor leaked. (apps/trainer tests the trainer's own trainStep with --accelerator on and off.)
 */
import * as tf from '@tensorflow/tfjs';
import { createModel } from '@nf/models';
import { afterAll, expect, it } from 'vitest';
import { oneDnnCallCounts, registerOneDnnKernels, unregisterOneDnnKernels } from '../src/index.js';
import { describeOneDnn, expectClose, seeded } from './support.js';

const CONFIG = { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], groupSize: 8, stemChannels: 16, numFeatures: 128, numClasses: 10, dropRate: 0, dropPathRate: 0 };

/** Three SGD steps of softmax cross-entropy from seeded weights; the losses and the final weights. */
async function train(onednn: boolean): Promise<{ losses: number[]; weights: Float32Array[]; gradNorms: number[] }> {
  await tf.setBackend('wasm');
  if (onednn) registerOneDnnKernels();
  else unregisterOneDnnKernels();
  const before = tf.memory().numTensors;
  const model = createModel('dm_nfnet_f0', CONFIG);
  // Seeded weights, the same on both runs.
  tf.tidy(() =>
    model.trainableWeights.forEach((w, i) => {
      const shape = w.shape as number[];
      w.write(tf.mul(tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), 100 + i), shape), 0.2));
    }),
  );
  const x = tf.tensor4d(seeded(4 * 24 * 24 * 3, 7), [4, 24, 24, 3]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([1, 3, 5, 7], 'int32'), 10));
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  for (let step = 0; step < 3; step++) {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    losses.push(value.dataSync()[0]!);
    gradNorms.push(tf.tidy(() => tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0]!));
    tf.tidy(() => vars.forEach((v) => v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.05)))));
    tf.dispose([value, ...Object.values(grads)]);
  }
  const weights = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
  tf.dispose([x, y]);
  model.dispose();
  expect(tf.memory().numTensors, 'no tensor leaked').toBe(before);
  return { losses, weights, gradNorms };
}

describeOneDnn('a small NFNet trains the same with the oneDNN kernels', () => {
  afterAll(async () => {
    unregisterOneDnnKernels();
    await tf.setBackend('cpu');
  });

  it('losses, gradient norms and weights after 3 steps: on vs off', async () => {
    const off = await train(false);
    oneDnnCallCounts.clear();
    const on = await train(true);
    for (const name of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'NfGroupedConv2D', 'NfGroupedConv2DBackpropInput', 'NfGroupedConv2DBackpropFilter', 'BatchMatMul']) {
      const c = oneDnnCallCounts.get(name);
      expect(c?.fallback, name).toBe(0);
      expect(c?.onednn, name).toBeGreaterThan(0);
    }
    expect(off.losses[2]).toBeLessThan(off.losses[0]!);
    on.losses.forEach((l, i) => expect(Math.abs(l - off.losses[i]!) / Math.abs(off.losses[i]!), `loss ${i}: ${l} vs ${off.losses[i]}`).toBeLessThan(1e-4));
    on.gradNorms.forEach((g, i) => expect(Math.abs(g - off.gradNorms[i]!) / off.gradNorms[i]!, `grad norm ${i}`).toBeLessThan(1e-3));
    on.weights.forEach((w, i) => expectClose(w, off.weights[i]!, 1e-3, `weight ${i}`));
  });
});
