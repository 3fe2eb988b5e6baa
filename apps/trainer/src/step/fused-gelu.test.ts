import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { ACTIVATIONS, hasFusedGelu } from '@nf/ws-conv';
import { afterAll, describe, expect, it } from 'vitest';

/** GELU and its gradient of `values` on `backend`, and the kernels the two ran. */
async function geluOn(backend: string, values: Float32Array, shape: number[]) {
  await tf.setBackend(backend);
  const x = tf.tensor(values, shape);
  const dy = tf.tensor(Float32Array.from(values, (_, i) => 1 + (i % 5) / 4), shape);
  const kernels: string[] = [];
  const profile = await tf.profile(() => {
    const y = ACTIVATIONS.gelu(x);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ACTIVATIONS.gelu(t), dy)))(x);
    return [y, g];
  });
  kernels.push(...profile.kernelNames);
  const y = ACTIVATIONS.gelu(x);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(ACTIVATIONS.gelu(t), dy)))(x);
  const out = { y: Array.from(y.dataSync()), g: Array.from(g.dataSync()), kernels, fused: hasFusedGelu() };
  tf.dispose([x, dy, y, g]);
  return out;
}

describe("ws-conv's GELU on wasm takes @nf/wasm-kernels' fused kernels", () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('one kernel each way on wasm, the composite on cpu, equal to 2e-6, gradients included', async () => {
    const shape = [2, 5, 5, 7];
    const values = Float32Array.from({ length: 350 }, (_, i) => Math.sin(i * 0.37) * 6);
    const wasm = await geluOn('wasm', values, shape);
    const cpu = await geluOn('cpu', values, shape);
    expect(wasm.fused).toBe(true);
    expect(cpu.fused).toBe(false);
    expect(wasm.kernels).toContain('NfGelu');
    expect(wasm.kernels).toContain('NfGeluGrad');
    expect(wasm.kernels).not.toContain('Erf');
    expect(cpu.kernels).toContain('Erf');
    wasm.y.forEach((v, i) => expect(Math.abs(v - cpu.y[i]!)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(cpu.y[i]!))));
    wasm.g.forEach((v, i) => expect(Math.abs(v - cpu.g[i]!)).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(cpu.g[i]!))));
  });

  it('leaks no tensor over repeated training-style calls on wasm', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([4, 8, 8, 16]);
    const step = () => tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(ACTIVATIONS.gelu(t)))(x).dataSync());
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
