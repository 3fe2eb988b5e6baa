import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import './index.js';

describe('Identity on wasm: shared data, reference counted', () => {
  useWasmBackend();

  it('is registered on import, wrapping upstream', () => {
    expect((tf.getKernel('Identity', 'wasm') as { nfReplaced?: boolean }).nfReplaced).toBe(true);
  });

  it('a clone outlives its source, holds the same values and frees the buffer with the last owner', () => {
    const before = tf.memory();
    const backend = tf.backend();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(backend.numDataIds()).toBe(before.numDataBuffers + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(backend.numDataIds()).toBe(before.numDataBuffers);
  });

  it('keeps variables independent: assigning one leaves its clones and its initial value alone', () => {
    const init = tf.tensor1d([1, 2, 3]);
    const v = tf.variable(init);
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(init.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([init, v, snapshot]);
  });

  it('int32 and bool tensors, and gradients through clone', () => {
    const i = tf.tensor1d([3, -4], 'int32');
    const b = tf.tensor1d([true, false], 'bool');
    expect(Array.from(tf.clone(i).dataSync())).toEqual([3, -4]);
    expect(Array.from(tf.clone(b).dataSync())).toEqual([1, 0]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.clone(t))))(tf.tensor1d([1, -2, 3]));
    expect(Array.from(g.dataSync())).toEqual([2, -4, 6]);
  });
});
