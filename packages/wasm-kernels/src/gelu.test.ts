import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import { GELU_GRAD_KERNEL, GELU_KERNEL } from './index.js';
import { erf64 } from './test-support/erf64.js';

const gelu64 = (x: number) => 0.5 * x * (1 + erf64(x / Math.SQRT2));
const geluGrad64 = (x: number) => 0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

describe('NfGelu and NfGeluGrad on wasm (fused SIMD)', () => {
  useWasmBackend();

  it('are registered for wasm on import', () => {
    expect(tf.getKernel(GELU_KERNEL, 'wasm')).toBeDefined();
    expect(tf.getKernel(GELU_GRAD_KERNEL, 'wasm')).toBeDefined();
  });

  for (const shape of [[1], [3], [4], [5, 7], [2, 3, 3, 9], [4099]]) {
    it(`match float64 GELU and dy·GELU′ to 2e-6 (absolute, or relative above 1), shape [${shape}]`, () => {
      const size = shape.reduce((n, d) => n * d, 1);
      const xs = Float32Array.from({ length: size }, (_, i) => Math.fround(((i * 7919) % 2001) / 100 - 10));
      const dys = Float32Array.from({ length: size }, (_, i) => Math.fround(1 + ((i * 31) % 13) / 7 - 1));
      const x = tf.tensor(xs, shape);
      const dy = tf.tensor(dys, shape);
      const before = tf.memory().numTensors;
      const y = tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor;
      const g = tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x }) as tf.Tensor;
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(y.shape).toEqual(shape);
      const [yv, gv] = [y.dataSync(), g.dataSync()];
      xs.forEach((v, i) => {
        const want = gelu64(v);
        expect(Math.abs(yv[i]! - want)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(want)));
        const wantG = dys[i]! * geluGrad64(v);
        expect(Math.abs(gv[i]! - wantG)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(wantG)));
      });
      tf.dispose([x, dy, y, g]);
    });
  }

  it('keeps NaN, passes +∞ and saturates large arguments (the composite gives the same)', () => {
    const x = tf.tensor1d([Number.NaN, Number.POSITIVE_INFINITY, -30, 30, 0]);
    const y = Array.from((tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor).dataSync());
    expect(Number.isNaN(y[0]!)).toBe(true);
    expect(y.slice(1)).toEqual([Number.POSITIVE_INFINITY, -0, 30, 0]);
  });

  it('rejects mismatched shapes and int32 with the problem named', () => {
    const x = tf.tensor1d([1, 2, 3]);
    expect(() => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: tf.tensor1d([1, 2]), x })).toThrow(/one shape/);
    expect(() => tf.engine().runKernel(GELU_KERNEL, { x: tf.tensor1d([1], 'int32') })).toThrow(/float32.*cast first/);
  });
});
