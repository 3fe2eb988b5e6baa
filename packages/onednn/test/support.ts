/**
 * Shared by the suites: whether the native addon is here (tests skip with one line when it is not
 * built, and fail instead under CI=true with NF_REQUIRE_ONEDNN=1), running a computation on cpu,
 * on wasm with the previous kernels and on wasm with oneDNN's, and comparing with a tolerance
 * relative to the values' magnitude.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { describe, expect } from 'vitest';
import { oneDnnStatus, registerOneDnnKernels, unregisterOneDnnKernels } from '../src/index.js';

const status = oneDnnStatus();
export const ADDON_BUILT = status.available;
const required = process.env.CI === 'true' && process.env.NF_REQUIRE_ONEDNN === '1';

/** describe() when the addon is built; otherwise one skip line (an error under CI with NF_REQUIRE_ONEDNN=1). */
export function describeOneDnn(name: string, body: () => void): void {
  if (ADDON_BUILT) {
    describe(name, body);
    return;
  }
  if (required) throw new Error(`@nf/onednn tests: NF_REQUIRE_ONEDNN=1 but ${status.reason}`);
  console.log(`@nf/onednn: ${name} skipped: ${status.reason}`);
  describe.skip(name, body);
}

export type Mode = 'cpu' | 'wasm' | 'onednn';

/** Runs `fn` (building its tensors from plain arrays) on one backend / kernel set; returns the values of its outputs. */
export async function runOn(mode: Mode, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(mode === 'cpu' ? 'cpu' : 'wasm');
  if (mode === 'onednn') registerOneDnnKernels();
  else unregisterOneDnnKernels();
  const before = tf.memory().numTensors;
  const outs = tf.tidy(() => {
    const r = fn();
    return Array.isArray(r) ? r : [r];
  });
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  expect(tf.memory().numTensors).toBe(before);
  return values.map((v) => Float32Array.from(v));
}

/** |a − b| ≤ rtol · max|ref| + 1e-30 everywhere (float32 sums over thousands of terms carry ~1e-6 relative error). */
export function expectClose(actual: Float32Array, ref: Float32Array, rtol = 2e-5, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(ref.length);
  let scale = 0;
  for (const v of ref) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(actual[i]! - ref[i]!);
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  expect(scale, `${what}: reference is all zeros`).toBeGreaterThan(0);
  expect(worst / scale, `${what}: worst |diff| ${worst} at ${at} (${actual[at]} vs ${ref[at]}), scale ${scale}`).toBeLessThanOrEqual(rtol);
}

/** Seeded uniform values in [-1, 1). */
export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}
