/**
 * WebGPU parity: the first training steps of the tiny model give the same losses on the webgpu
 * backend (Dawn through the `webgpu` package, on whatever Vulkan driver is there: Mesa 25 lavapipe
 * in CI, a GPU elsewhere) as on the cpu backend, from the same seed and batch, the way nf-train
 * runs them (seeded initialisation, seeded per-step masks, the synthetic preset's first batch).
 * Skipped, with the reason printed, when there is no WebGPU adapter (no Vulkan driver; Debian 12's
 * Mesa 22 lavapipe is refused by Dawn) or the optional webgpu packages are not installed.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel } from '@nf/models';
import { loadBackend } from './load-backend.js';
import { loadDatasets } from '../data/dataset.js';
import { trainStep } from './train-step.js';
import { stepSeed, withSeed } from '../data/seeded-random.js';

type Dawn = { create: (options: string[]) => { requestAdapter: (o?: object) => Promise<{ info?: Record<string, string> } | null> } };

/** Why the test cannot run here, or undefined when a WebGPU adapter is available. */
async function webgpuUnavailable(): Promise<string | undefined> {
  let dawn: Dawn;
  try {
    dawn = (await import(/* @vite-ignore */ 'webgpu' as string)) as Dawn;
    // Resolved, not imported: the backend registers itself only if navigator.gpu exists at import
    // time, which loadBackend arranges.
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    return `the optional webgpu packages are not loadable (${String((e as Error).message).split('\n')[0]})`;
  }
  try {
    const adapter = await dawn.create([]).requestAdapter();
    if (!adapter) return 'no WebGPU adapter: no usable Vulkan driver (install Mesa 25 lavapipe from bookworm-backports, or run on a GPU)';
    const info = adapter.info ?? {};
    console.log(`webgpu parity: adapter ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' | ')}`);
    return undefined;
  } catch (e) {
    return `WebGPU adapter request failed (${String((e as Error).message).split('\n')[0]})`;
  }
}

const skipReason = await webgpuUnavailable();
if (skipReason) console.log(`webgpu parity skipped: ${skipReason}`);

const SEED = 0;
const STEPS = 3;
const BATCH = 8;
const TINY = { depths: [1, 1, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64 };
const options = { clipping: 0.04, weightDecay: 5e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'stop' as const };

/** nf-train's loop for the first `STEPS` steps on the current backend; returns the losses. */
async function firstLosses(): Promise<{ losses: number[]; gradNorms: number[]; live: number[] }> {
  const { train } = await loadDatasets('synthetic', undefined, SEED);
  const model = withSeed(SEED, () => createModel('nfnet_tiny_mnist', { ...TINY, numClasses: train.numClasses, inChannels: train.shape[2] }));
  const optimizer = tf.train.momentum(0.1, 0.9, true);
  const order = train.order(0, true);
  const losses: number[] = [];
  const gradNorms: number[] = [];
  const live: number[] = [];
  try {
    for (let step = 0; step < STEPS; step++) {
      const { images, labels } = train.batch(order.subarray(step * BATCH, (step + 1) * BATCH), { flip: true, seed: SEED * 7919 + step });
      try {
        // `await` accepts trainStep whether it returns a result or a promise of one.
        const r = await withSeed(stepSeed(SEED, step), () => trainStep(model, optimizer, images, labels, 0.1, options));
        losses.push(r.loss);
        gradNorms.push(r.gradNorm);
      } finally {
        tf.dispose([images, labels]);
      }
      live.push(tf.memory().numTensors);
    }
  } finally {
    optimizer.dispose();
    model.dispose();
  }
  return { losses, gradNorms, live };
}

describe('webgpu backend', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it.skipIf(skipReason !== undefined)(
    `first ${STEPS} training steps match the cpu backend (same seed and batch)${skipReason ? ` — skipped: ${skipReason}` : ''}`,
    async () => {
      await tf.setBackend('cpu');
      const cpu = await firstLosses();
      const choice = await loadBackend('webgpu');
      expect(choice.name).toBe('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
      // A kernel the device rejects (e.g. more storage buffers than the device's limit) fails
      // silently in tfjs, and the command buffer it sat in is dropped with the other kernels in it.
      const device = (tf.backend() as unknown as { device: { onuncapturederror: ((e: { error: { message: string } }) => void) | null } }).device;
      const gpuErrors: string[] = [];
      device.onuncapturederror = (e) => gpuErrors.push(e.error.message.split('\n')[0]!);
      const gpu = await firstLosses();
      // The optimizer's momentum slots appear at step 1; after that the live count stays put.
      expect(new Set(gpu.live.slice(1)).size, `live tensors after each step: ${gpu.live.join(', ')}`).toBe(1);
      expect(gpu.live[1]).toBe(gpu.live[0]);
      console.log(`webgpu parity: cpu losses ${cpu.losses.map((l) => l.toFixed(6)).join(', ')}; webgpu ${gpu.losses.map((l) => l.toFixed(6)).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20)); // let queued device errors arrive
      device.onuncapturederror = null;
      expect(gpuErrors, `WebGPU validation errors (${gpuErrors.length}), first: ${gpuErrors[0]}`).toEqual([]);
      expect(gpu.losses).toHaveLength(STEPS);
      for (let i = 0; i < STEPS; i++) {
        // float32 on both; kernels sum in different orders. Measured on lavapipe (with the step's
        // read-backs made asynchronous): equal to ~1e-7 after 3 steps; one dropped kernel moved the
        // third loss by 2e-5 relative, hence the tight bound.
        expect(Math.abs(gpu.losses[i]! - cpu.losses[i]!), `loss at step ${i + 1}`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(cpu.losses[i]!)));
        expect(Math.abs(gpu.gradNorms[i]! - cpu.gradNorms[i]!), `gradient norm at step ${i + 1}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cpu.gradNorms[i]!)));
      }
    },
    120_000,
  );
});
