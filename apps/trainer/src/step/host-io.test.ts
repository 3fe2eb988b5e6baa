import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { afterAll, describe, expect, it } from 'vitest';
import { DataIds, float32Tensor, readFloat32Into } from './host-io.js';
import { HostMomentum } from './host-momentum.js';

describe.each(['cpu', 'wasm'])('host copies on %s', (backend) => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reads a tensor into a buffer at an offset, exactly', async () => {
    await tf.setBackend(backend);
    const t = tf.tensor([1.5, -2, 3.25, 1e-30, -0, 9], [2, 3]);
    const out = new Float32Array(9).fill(7);
    readFloat32Into(t, out, 3);
    expect(Array.from(out)).toEqual([7, 7, 7, 1.5, -2, 3.25, Math.fround(1e-30), -0, 9]);
    expect(() => readFloat32Into(tf.tensor([1], [1], 'int32'), out, 0)).toThrow(/float32/);
    t.dispose();
  });

  it('reads a tensor made on the other backend (its data moves on lookup)', async () => {
    await tf.setBackend(backend === 'cpu' ? 'wasm' : 'cpu');
    const t = tf.tensor([4, 5, 6]);
    await tf.setBackend(backend);
    const out = new Float32Array(3);
    readFloat32Into(t, out, 0);
    expect(Array.from(out)).toEqual([4, 5, 6]);
    t.dispose();
  });

  it('makes tensors that own their values (a view of a larger buffer is copied)', async () => {
    await tf.setBackend(backend);
    const buffer = Float32Array.from([0, 1, 2, 3, 4, 5]);
    const t = float32Tensor(buffer.subarray(2, 6), [2, 2]);
    buffer.fill(-1);
    expect(Array.from(t.dataSync())).toEqual([2, 3, 4, 5]);
    t.dispose();
  });

  it('tells unchanged variables from assigned ones', async () => {
    await tf.setBackend(backend);
    const v = tf.variable(tf.zeros([3]));
    const w = tf.variable(tf.ones([2]));
    const ids = new DataIds();
    expect(ids.unchanged([v, w])).toBe(false);
    ids.record([v, w]);
    expect(ids.unchanged([v, w])).toBe(true);
    expect(ids.unchanged([v])).toBe(false);
    v.assign(tf.tensor([1, 2, 3]));
    expect(ids.unchanged([v, w])).toBe(false);
    ids.record([v, w]);
    ids.forget();
    expect(ids.unchanged([v, w])).toBe(false);
    tf.dispose([v, w]);
  });

  it('HostMomentum reads the weights again only when a variable was given new values', async () => {
    await tf.setBackend(backend);
    const v = tf.variable(tf.tensor([1, 2, 3, 4], [2, 2]), true, 'a/kernel');
    const b = tf.variable(tf.tensor([0.5, -0.5]), true, 'a/bias');
    const opt = new HostMomentum([v, b], 0.9, true);
    expect(Array.from(opt.readWeights([v, b]))).toEqual([1, 2, 3, 4, 0.5, -0.5]);
    // Changed from outside (a checkpoint load, setWeights): read again.
    v.assign(tf.tensor([5, 6, 7, 8], [2, 2]));
    expect(Array.from(opt.readWeights([v, b]))).toEqual([5, 6, 7, 8, 0.5, -0.5]);
    // After an update the buffer and the variables agree without reading.
    const weights = opt.readWeights([v, b]);
    const grads = Float32Array.from([1, 1, 1, 1, 1, 1]);
    opt.apply([v, b], grads, weights, 0.1, { clipping: 0, weightDecay: 0 });
    const after = Array.from(opt.readWeights([v, b]));
    expect(after).toEqual([...Array.from(v.dataSync()), ...Array.from(b.dataSync())]);
    expect(after[0]).toBeCloseTo(5 - 0.1 * (1 + 0.9), 6);
    // Writing the update into another buffer (the data-parallel one) leaves the optimizer's stale: read again.
    const shared = Float32Array.from(after);
    opt.apply([v, b], Float32Array.from(grads), shared, 0.1, { clipping: 0, weightDecay: 0 });
    expect(Array.from(opt.readWeights([v, b]))).toEqual(Array.from(shared));
    tf.dispose([v, b]);
  });
});
