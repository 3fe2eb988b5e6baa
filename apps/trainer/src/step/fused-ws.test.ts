import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { hasFusedScaledWs, standardizeWeight, type WsConvention } from '@nf/ws-conv';
import { afterAll, describe, expect, it } from 'vitest';

interface Case {
  shape: [number, number, number, number];
  convention: WsConvention;
  gain: boolean;
  gamma: number;
  scale: number;
  /** Added to every weight: a mean far above the spread (the variance is E[w²] − mean² in float64). */
  offset?: number;
}

const CASES: Case[] = [
  { shape: [3, 3, 5, 7], convention: 'deepmind', gain: true, gamma: 1, scale: 0.3 },
  { shape: [3, 3, 5, 7], convention: 'timm', gain: true, gamma: 1.7015043497085571, scale: 0.3 },
  { shape: [3, 3, 5, 7], convention: 'plain', gain: false, gamma: 1, scale: 0.3 },
  { shape: [1, 1, 64, 13], convention: 'deepmind', gain: false, gamma: 1, scale: 1 },
  { shape: [1, 1, 1, 8], convention: 'timm', gain: true, gamma: 1, scale: 1 },
  { shape: [3, 3, 16, 36], convention: 'deepmind', gain: true, gamma: 1, scale: 1e-3 }, // N·var below eps: the floor
  { shape: [5, 3, 4, 9], convention: 'deepmind', gain: true, gamma: 1, scale: 0.05 },
  { shape: [3, 3, 32, 12], convention: 'timm', gain: true, gamma: 1, scale: 0.01, offset: 1 },
];

/** Ŵ, dL/dW and dL/dgain for L = Σ Ŵ·weights, on `backend`, and the kernels run. */
async function on(backend: string, c: Case) {
  await tf.setBackend(backend);
  const size = c.shape.reduce((p, q) => p * q, 1);
  const w = tf.tensor4d(Float32Array.from({ length: size }, (_, i) => (c.offset ?? 0) + Math.sin(i * 1.37 + 0.2) * c.scale * (1 + (i % 3))), c.shape);
  const gain = tf.tensor1d(Float32Array.from({ length: c.shape[3] }, (_, i) => 0.5 + i / 7));
  const weights = tf.tensor4d(Float32Array.from({ length: size }, (_, i) => Math.cos(i * 0.71)), c.shape);
  const f = (x: tf.Tensor, g: tf.Tensor) => standardizeWeight(x, { convention: c.convention, gain: c.gain ? g : undefined, gamma: c.gamma });
  // Without a gain only the weight is differentiated (the gain tensor is not used).
  const grads = () =>
    c.gain ? tf.grads((x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(f(x, g), weights)))([w, gain]) : [tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x, gain), weights)))(w), tf.zeros([1])];
  const profile = await tf.profile(grads);
  const y = f(w, gain);
  const [dw, dg] = grads();
  const out = { y: Array.from(y.dataSync()), dw: Array.from(dw!.dataSync()), dg: Array.from(dg!.dataSync()), kernels: profile.kernelNames, fused: hasFusedScaledWs() };
  tf.dispose([w, gain, weights, y, dw!, dg!]);
  return out;
}

function maxRel(got: number[], want: number[]): number {
  const scale = Math.max(1e-30, ...want.map(Math.abs));
  return Math.max(...got.map((v, i) => Math.abs(v - want[i]!))) / scale;
}

describe("ws-conv's standardizeWeight on wasm takes @nf/wasm-kernels' fused Scaled WS", () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const c of CASES) {
    it(`kernel [${c.shape}], ${c.convention}, gain ${c.gain}, gamma ${c.gamma}, scale ${c.scale}: as the cpu composite to 2e-5, gradients included`, async () => {
      const wasm = await on('wasm', c);
      const cpu = await on('cpu', c);
      expect(wasm.fused).toBe(true);
      expect(cpu.fused).toBe(false);
      expect(wasm.kernels).toContain('NfScaledWS');
      expect(wasm.kernels).toContain('NfScaledWSGrad');
      expect(maxRel(wasm.y, cpu.y)).toBeLessThan(2e-5);
      expect(maxRel(wasm.dw, cpu.dw)).toBeLessThan(2e-5);
      if (c.gain) expect(maxRel(wasm.dg, cpu.dg)).toBeLessThan(2e-5);
    });
  }

  it('leaks no tensor over repeated steps on wasm', async () => {
    await tf.setBackend('wasm');
    const w = tf.randomNormal([3, 3, 8, 16]);
    const gain = tf.ones([16]);
    const step = () => tf.tidy(() => tf.grads((x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.square(standardizeWeight(x, { gain: g }))))([w, gain]).map((t) => t.dataSync()));
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, gain]);
  });
});
