import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks, tensorOf } from '../test/leak-check.js';
import { closeness, groupNormRef, mulberry32, numericGrad, randomNormal } from '../test/reference.js';
import { groupNorm, groupNormalization, GroupNormalization, WsConvError } from './index.js';

const CASES: Array<[number[], number]> = [
  [[2, 8], 4],
  [[3, 5, 6], 3],
  [[2, 4, 5, 8], 2],
  [[1, 3, 3, 16], 16],
  [[2, 7, 6, 32], 1],
];

describe.each(BACKENDS)('groupNorm on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  it.each(CASES.map(([s, g]) => [JSON.stringify(s), g, s] as const))('shape %s, %i groups, against float64', (_, groups, shape) => {
    const rand = mulberry32(shape.length * 10 + groups);
    const size = shape.reduce((a, b) => a * b, 1);
    const c = shape[shape.length - 1]!;
    const x = randomNormal(size, rand, 3).map((v, i) => v + (i % 7)); // non-zero mean
    const gamma = randomNormal(c, rand);
    const beta = randomNormal(c, rand);
    const xt = tensorOf(x, shape);
    const gt = tensorOf(gamma, [c]);
    const bt = tensorOf(beta, [c]);
    const y = groupNorm(xt, groups, { gamma: gt, beta: bt });
    const ref = groupNormRef(Float32Array.from(x), shape, groups, { gamma: Float32Array.from(gamma), beta: Float32Array.from(beta) });
    expect(closeness(y.dataSync(), ref, 1e-4, 1e-4)).toBeLessThan(1);
    tf.dispose([xt, gt, bt, y]);
  });

  it('the layer normalises like the function and serializes', async () => {
    const layer = groupNormalization({ groups: 4, epsilon: 1e-3 });
    const model = tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [5, 5, 8] }), layer] });
    const init = [tf.randomNormal([8], 1, 0.2, 'float32', 1), tf.randomNormal([8], 0, 0.2, 'float32', 2)];
    layer.setWeights(init);
    tf.dispose(init);
    const x = tf.randomNormal([2, 5, 5, 8], 0, 1, 'float32', 4);
    const y = model.predict(x) as tf.Tensor;
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const restored = loaded.layers.find((l) => l instanceof GroupNormalization) as GroupNormalization;
    expect(restored.epsilon).toBe(1e-3);
    expect(restored.groups).toBe(4);
    const y2 = loaded.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));
    tf.dispose([x, y, y2]);
    model.dispose();
    loaded.dispose();
  });
});

describe('groupNorm gradient and errors (cpu)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('d/dx, d/dgamma, d/dbeta match central differences', () => {
    const shape = [2, 3, 2, 4];
    const rand = mulberry32(5);
    const x = randomNormal(48, rand);
    const gamma = randomNormal(4, rand);
    const beta = randomNormal(4, rand);
    const r = randomNormal(48, rand);
    const loss = (xv: ArrayLike<number>, gv: ArrayLike<number>, bv: ArrayLike<number>) =>
      groupNormRef(xv, shape, 2, { gamma: gv, beta: bv }).reduce((s, v, i) => s + v * r[i]!, 0);
    const [xt, gt, bt, rt] = [tensorOf(x, shape), tensorOf(gamma, [4]), tensorOf(beta, [4]), tensorOf(r, shape)];
    const grads = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(groupNorm(a, 2, { gamma: g, beta: b }), rt)))([xt, gt, bt]);
    expect(closeness(grads[0]!.dataSync(), numericGrad((v) => loss(v, gamma, beta), x, 1e-4), 2e-3, 2e-4)).toBeLessThan(1);
    expect(closeness(grads[1]!.dataSync(), numericGrad((v) => loss(x, v, beta), gamma, 1e-4), 2e-3, 2e-4)).toBeLessThan(1);
    expect(closeness(grads[2]!.dataSync(), numericGrad((v) => loss(x, gamma, v), beta, 1e-4), 2e-3, 2e-4)).toBeLessThan(1);
    tf.dispose([xt, gt, bt, rt, ...grads]);
  });

  it('rejects channels not divisible by groups, naming the layer', () => {
    const x = tf.zeros([1, 2, 2, 6]);
    expect(() => groupNorm(x, 4)).toThrow(/6 channels are not divisible by groups=4/);
    const layer = groupNormalization({ groups: 4, name: 'gn_bad' });
    expect(() => layer.apply(tf.input({ shape: [2, 2, 6] }))).toThrow(WsConvError);
    expect(() => groupNormalization({ groups: 4, name: 'gn_bad2' }).apply(tf.input({ shape: [2, 2, 6] }))).toThrow(/GroupNormalization 'gn_bad2': 6 channels/);
    x.dispose();
  });
});
