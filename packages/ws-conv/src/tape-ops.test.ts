/**
 * The one-op-on-the-tape forms (groupedConv2dBias's split path, mulConstant, scaledActivationFn)
 * against the autodiff composites they replace: the same values and gradients bit for bit, fewer
 * kernel calls, no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { mulberry32, randomNormal } from '../test/reference.js';
import { ACTIVATIONS, groupedConv2d, groupedConv2dBias, mulConstant, scaledActivationFn, type Padding } from './index.js';

/** Kernel calls made by `fn`, counted at engine.runKernel. */
function countCalls(fn: () => void): number {
  const engine = tf.engine();
  const original = engine.runKernel;
  let calls = 0;
  engine.runKernel = function (this: unknown, ...args: Parameters<typeof original>) {
    calls++;
    return original.apply(this, args);
  } as typeof original;
  try {
    fn();
  } finally {
    engine.runKernel = original;
  }
  return calls;
}

/** Value of f and its gradients for every input, as flat arrays, plus the kernel calls taken. */
function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dySeed: number): { value: Float32Array; grads: Float32Array[]; calls: number } {
  let out: { value: Float32Array; grads: Float32Array[] } | undefined;
  const calls = countCalls(() => {
    tf.tidy(() => {
      const shape = tf.tidy(() => f(...xs).shape);
      const size = shape.reduce((a, b) => a * b, 1);
      const dy = tf.tensor(Float32Array.from(randomNormal(size, mulberry32(dySeed))), shape);
      const { value, grads } = tf.valueAndGrads((...ins: tf.Tensor[]) => f(...ins))(xs, dy);
      out = { value: value.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
    });
  });
  return { ...out!, calls };
}

const tensor = (shape: number[], seed: number, std = 1) => tf.tensor(Float32Array.from(randomNormal(shape.reduce((a, b) => a * b, 1), mulberry32(seed), std)), shape);

for (const backend of BACKENDS) {
  describe(`one-op tape forms equal autodiff bit for bit (${backend})`, () => {
    beforeAll(() => useBackend(backend));
    expectNoLeaks();

    const convCases: Array<{ x: number[]; k: number; cout: number; groups: number; strides: [number, number]; padding: Padding }> = [
      { x: [2, 7, 8, 8], k: 3, cout: 12, groups: 2, strides: [1, 1], padding: 'same' },
      { x: [2, 8, 8, 16], k: 3, cout: 16, groups: 4, strides: [2, 2], padding: 'same' },
      { x: [1, 9, 9, 12], k: 3, cout: 24, groups: 6, strides: [1, 1], padding: 'valid' },
      { x: [3, 5, 6, 6], k: 1, cout: 9, groups: 3, strides: [2, 2], padding: [[1, 1], [0, 2]] },
    ];
    for (const c of convCases) {
      // Plain tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter (@nf/wasm-kernels adds it): autodiff cannot run there.
      it.skipIf(backend === 'wasm' && !tf.getKernel('Conv2DBackpropFilter', 'wasm'))(`groupedConv2dBias: x[${c.x}] k${c.k} out${c.cout} g${c.groups} s${c.strides.join('')} ${JSON.stringify(c.padding)}`, () => {
        const x = tensor(c.x, 1);
        const w = tensor([c.k, c.k, c.x[3]! / c.groups, c.cout], 2, 0.3);
        const b = tensor([c.cout], 3, 0.1);
        const options = { strides: c.strides, padding: c.padding, groups: c.groups };
        const ours = valueAndGrads((xi, wi, bi) => groupedConv2dBias(xi!, wi!, bi, options), [x, w, b], 4);
        const autodiff = valueAndGrads((xi, wi, bi) => tf.add(groupedConv2d(xi!, wi!, options), bi!), [x, w, b], 4);
        expect(ours.value).toEqual(autodiff.value);
        for (let i = 0; i < 3; i++) expect(ours.grads[i]).toEqual(autodiff.grads[i]);
        expect(ours.calls).toBeLessThan(autodiff.calls);
        tf.dispose([x, w, b]);
      });
    }

    it('groupedConv2dBias without a bias, or with groups 1, is groupedConv2d (+ tf.add)', () => {
      const x = tensor([1, 5, 5, 4], 5);
      const w = tensor([3, 3, 2, 6], 6);
      const b = tensor([6], 7);
      const [noBias, plain] = tf.tidy(() => [groupedConv2dBias(x, w, undefined, { groups: 2 }).dataSync(), groupedConv2d(x, w, { groups: 2 }).dataSync()]);
      expect(noBias).toEqual(plain);
      const w1 = tensor([3, 3, 4, 6], 8);
      const [ours, ref] = tf.tidy(() => [groupedConv2dBias(x, w1, b).dataSync(), tf.add(groupedConv2d(x, w1), b).dataSync()]);
      expect(ours).toEqual(ref);
      tf.dispose([x, w, b, w1]);
    });

    it('mulConstant: tf.mul(x, c) with 2 kernel calls per step instead of 5', () => {
      const x = tensor([4, 3, 5], 9);
      const ours = valueAndGrads((xi) => mulConstant(xi!, 0.2), [x], 10);
      const autodiff = valueAndGrads((xi) => tf.mul(xi!, 0.2), [x], 10);
      expect(ours.value).toEqual(autodiff.value);
      expect(ours.grads[0]).toEqual(autodiff.grads[0]);
      expect(ours.calls).toBeLessThan(autodiff.calls);
      const i = tf.tensor1d([1, 2, 3], 'int32');
      const [yi, ref] = [mulConstant(i, 2), tf.mul(i, 2)];
      expect(yi.dtype).toBe(ref.dtype);
      expect(yi.dataSync()).toEqual(ref.dataSync());
      tf.dispose([x, i, yi, ref]);
    });

    for (const name of ['gelu', 'relu', 'silu'] as const) {
      it(`scaledActivationFn('${name}', s) equals tf.mul(act(x), s)`, () => {
        const x = tensor([2, 3, 3, 5], 11);
        const s = 1.7015043497085571 * 0.8;
        const ours = valueAndGrads((xi) => scaledActivationFn(name, s)(xi!), [x], 12);
        const autodiff = valueAndGrads((xi) => tf.mul(ACTIVATIONS[name](xi!), s), [x], 12);
        expect(ours.value).toEqual(autodiff.value);
        expect(ours.grads[0]).toEqual(autodiff.grads[0]);
        expect(ours.calls).toBeLessThan(autodiff.calls);
        expect(scaledActivationFn(name, 1)).toBe(ACTIVATIONS[name]);
        tf.dispose(x);
      });
    }
  });
}

describe('scaledActivationFn on a backend with the fused GELU kernels', () => {
  it('runs NfGelu then · s forward and dy · s then NfGeluGrad backward: autodiff through the fused kernel, bit for bit', async () => {
    // Stand-ins for @nf/wasm-kernels' NfGelu / NfGeluGrad on cpu (this file only: pool 'forks').
    await useBackend('cpu');
    const erf = (v: number) => {
      // Abramowitz–Stegun 7.1.26 (any deterministic function will do for a bitwise comparison).
      const t = 1 / (1 + 0.3275911 * Math.abs(v));
      const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-v * v);
      return v >= 0 ? y : -y;
    };
    type Cpu = { readSync(id: unknown): Float32Array; makeTensorInfo(shape: number[], dtype: string, values: Float32Array): tf.TensorInfo };
    tf.registerKernel({
      kernelName: 'NfGelu',
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const x = inputs.x as tf.TensorInfo;
        const v = (backend as unknown as Cpu).readSync(x.dataId);
        return (backend as unknown as Cpu).makeTensorInfo(x.shape, 'float32', v.map((a) => 0.5 * a * (1 + erf(a / Math.SQRT2))));
      },
    });
    tf.registerKernel({
      kernelName: 'NfGeluGrad',
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
        const xv = (backend as unknown as Cpu).readSync(x.dataId);
        const dv = (backend as unknown as Cpu).readSync(dy.dataId);
        return (backend as unknown as Cpu).makeTensorInfo(x.shape, 'float32', xv.map((a, i) => dv[i]! * (0.5 * (1 + erf(a / Math.SQRT2)) + (a * Math.exp(-0.5 * a * a)) / Math.sqrt(2 * Math.PI))));
      },
    });
    try {
      const before = tf.memory().numTensors;
      const x = tensor([2, 4, 4, 6], 13);
      const s = 1.7015043497085571 * 0.9;
      const ours = valueAndGrads((xi) => scaledActivationFn('gelu', s)(xi!), [x], 14);
      const autodiff = valueAndGrads((xi) => tf.mul(ACTIVATIONS.gelu(xi!), s), [x], 14);
      expect(ours.value).toEqual(autodiff.value);
      expect(ours.grads[0]).toEqual(autodiff.grads[0]);
      // Per pass (forward + backward): NfGelu, Multiply | Multiply, NfGeluGrad, the clone of x —
      // against NfGelu + clone, Multiply + 2 clones | Cast, Multiply, NfGeluGrad.
      expect(ours.calls).toBeLessThan(autodiff.calls);
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      tf.unregisterKernel('NfGelu', 'cpu');
      tf.unregisterKernel('NfGeluGrad', 'cpu');
    }
  });
});
