/**
 * The oneDNN accelerator (@nf/onednn, --accelerator) in the trainer: the trainer's own trainStep
 * (AGC, weight decay, the host Nesterov update) gives the same losses and weights with it on and
 * off; `onednn` off the wasm backend or without the addon is one line naming the fix; `nf-train
 * info` says whether it is active. Skipped, with one line, where the addon is not built (an error
 * under CI=true with NF_REQUIRE_ONEDNN=1, which .ci/run sets when it installed oneDNN).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createModel } from '@nf/models';
import { built } from '../../test/runs.js';
import { acceleratorState, loadBackend, type AcceleratorName } from './load-backend.js';
import { createOptimizer, trainStep } from './train-step.js';

const TINY = { depths: [1, 1, 1, 1], channels: [16, 32, 48, 64], stemChannels: 16, groupSize: 8, numFeatures: 64, dropRate: 0, dropPathRate: 0 };
const options = { clipping: 0.01, weightDecay: 5e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: 10, onNan: 'stop' as const };

const onednn = await import('@nf/onednn').then((m) => m.oneDnnStatus()).catch((e: Error) => ({ available: false, reason: `@nf/onednn is not installed (${e.message})` }));
const required = process.env.CI === 'true' && process.env.NF_REQUIRE_ONEDNN === '1';
if (!onednn.available) {
  if (required) throw new Error(`accelerator tests: NF_REQUIRE_ONEDNN=1 but ${onednn.reason}`);
  console.log(`accelerator tests skipped: ${onednn.reason}`);
}

/** Four of the trainer's steps from the same seeded weights; the losses and the final weights. */
async function steps(accelerator: AcceleratorName): Promise<{ losses: number[]; weights: Float32Array[]; active: boolean }> {
  const choice = await loadBackend('wasm', { accelerator });
  const before = tf.memory().numTensors;
  const model = createModel('nfnet_tiny_mnist', TINY);
  tf.tidy(() =>
    model.trainableWeights.forEach((w, i) => {
      const shape = w.shape as number[];
      w.write(tf.mul(tf.randomUniform(shape, -1, 1, 'float32', 100 + i), 0.3));
    }),
  );
  const opt = createOptimizer(model.trainableWeights.map((w) => w.read() as tf.Variable), 0.05, 0.9, true);
  const x = tf.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  const losses: number[] = [];
  for (let i = 0; i < 4; i++) losses.push((await trainStep(model, opt, x, y, 0.05, options)).loss);
  const weights = model.trainableWeights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array));
  tf.dispose([x, y]);
  (opt as { dispose(): void }).dispose();
  model.dispose();
  expect(tf.memory().numTensors, 'no tensor leaked').toBe(before);
  return { losses, weights, active: choice.accelerator?.active ?? false };
}

describe.skipIf(!onednn.available)('the oneDNN accelerator in the trainer', () => {
  afterAll(async () => {
    await loadBackend('wasm', { accelerator: 'none' });
    await tf.setBackend('cpu');
  });

  it('the trainer step gives the same losses and weights with the accelerator on and off', async () => {
    const off = await steps('none');
    expect(off.active).toBe(false);
    expect((await acceleratorState()).active).toBe(false);
    const on = await steps('onednn');
    expect(on.active).toBe(true);
    expect((await acceleratorState()).active).toBe(true);
    expect(off.losses[3]).toBeLessThan(off.losses[0]!);
    on.losses.forEach((l, i) => expect(Math.abs(l - off.losses[i]!) / off.losses[i]!, `step ${i}: ${l} vs ${off.losses[i]}`).toBeLessThan(1e-4));
    on.weights.forEach((w, k) => {
      let scale = 0;
      let worst = 0;
      w.forEach((v, j) => {
        scale = Math.max(scale, Math.abs(off.weights[k]![j]!));
        worst = Math.max(worst, Math.abs(v - off.weights[k]![j]!));
      });
      expect(worst, `weight ${k}`).toBeLessThanOrEqual(1e-4 * scale);
    });
  });

  it('accelerator onednn off the wasm backend is one line naming the fix', async () => {
    await expect(loadBackend('cpu', { accelerator: 'onednn' })).rejects.toThrow(/^accelerator onednn runs on the wasm backend, not cpu; use --backend wasm \(or auto\)\.$/);
  });
});

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
describe.skipIf(!onednn.available || !built(cli))('nf-train info and --accelerator (needs `pnpm build` first)', () => {
  const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });

  it('info prints whether the accelerator is active and how to turn it off or on', () => {
    const on = run(['info', '--backend', 'wasm']);
    expect(on.status, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/^accelerator: oneDNN \d+\.\d+\.\d+ on the wasm heap \(.+, \d threads?; --accelerator none turns it off\)$/m);
    const off = run(['info', '--backend', 'wasm'], { NF_ONEDNN: '0' });
    expect(off.stdout).toMatch(/^accelerator: off — turned off by NF_ONEDNN=0$/m);
    const none = run(['info', '--backend', 'wasm', '--accelerator', 'none']);
    expect(none.stdout).toMatch(/^accelerator: off \(--accelerator none\)$/m);
  });

  it('--accelerator onednn without the addon fails with one line naming the fix', () => {
    const r = run(['info', '--backend', 'wasm', '--accelerator', 'onednn'], { NF_ONEDNN_ADDON: '/nonexistent/nf_onednn.node' });
    expect(r.status).toBe(1);
    // The last line (tfjs may warn on stderr before it).
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^nf-train: accelerator onednn unavailable: the native addon is not built \(\/nonexistent\/nf_onednn\.node missing\); to build it: apt-get install libdnnl-dev g\+\+ make, then pnpm rebuild @nf\/onednn/);
  });
});
