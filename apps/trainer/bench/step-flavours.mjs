/**
 * A whole training step (forward, backward, AGC, weight decay, Nesterov: the trainer's `trainStep`
 * with its host update) on the wasm backend, one thread, with our wasm SIMD kernels' plain build and
 * their relaxed-SIMD (FMA) build: the tiny NFNet 32² b32 and NFNet-F0 64² b8 of side-by-side.mjs.
 * The builds alternate in blocks of BENCH_STEPS (default 5) steps, twice each (ABAB), in one process;
 * img/s from the median step. Then the tfjs kernel calls of one tiny-NFNet step, by kernel name.
 * Turns relaxed SIMD on for itself (Node 20 needs --experimental-wasm-relaxed-simd).
 * Env: BENCH_NETS (tiny,f0), BENCH_STEPS. Run: pnpm --filter @nf/trainer build && node bench/step-flavours.mjs
 */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relaxedSimdSupported, setSimdFlavour } from '@nf/wasm-kernels';
import { configOf, createModel } from '@nf/models';
import { createOptimizer, trainStep } from '../dist/step.js';

if (!relaxedSimdSupported()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
if (!relaxedSimdSupported()) throw new Error('this Node does not validate relaxed SIMD');
const steps = Number(process.env.BENCH_STEPS ?? 5);
const netFilter = new Set((process.env.BENCH_NETS ?? 'tiny,f0').split(','));
await tf.setBackend('wasm');

const NETS = [
  { key: 'tiny', label: 'tiny NFNet 32² b32', config: configOf('dm_nfnet_f0', { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], groupSize: 8, stemChannels: 32, numFeatures: 256, numClasses: 10, dropRate: 0, dropPathRate: 0 }), res: 32, batch: 32 },
  { key: 'f0', label: 'NFNet-F0 64² b8', config: configOf('dm_nfnet_f0', { dropRate: 0, dropPathRate: 0 }), res: 64, batch: 8 },
].filter((n) => netFilter.has(n.key));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Calls of engine.runKernel during `fn`, by kernel name (what the backend dispatches). */
async function kernelCalls(fn) {
  const engine = tf.engine();
  const original = engine.runKernel;
  const counts = new Map();
  engine.runKernel = function (name, ...rest) {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, name, ...rest);
  };
  try {
    await fn();
  } finally {
    engine.runKernel = original;
  }
  return counts;
}

for (const net of NETS) {
  const model = createModel(net.config);
  const optimizer = createOptimizer(model.trainableWeights.map((w) => w.read()), 0.01, 0.9, true);
  const x = tf.randomNormal([net.batch, net.res, net.res, net.config.inChannels], 0, 1, 'float32', 1);
  const y = tf.tensor1d(Array.from({ length: net.batch }, (_, i) => i % net.config.numClasses), 'int32');
  const options = { clipping: 0.01, weightDecay: 2e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: net.config.numClasses, onNan: 'skip' };
  const step = () => trainStep(model, optimizer, x, y, 0.01, options);
  const times = { simd: [], relaxed: [] };
  const blocks = [];
  for (const flavour of ['simd', 'relaxed', 'simd', 'relaxed']) {
    setSimdFlavour(flavour);
    for (let i = 0; i < 2; i++) await step();
    const block = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await step();
      block.push(performance.now() - t0);
    }
    times[flavour].push(...block);
    blocks.push(`${flavour} ${median(block).toFixed(1)} ms`);
  }
  setSimdFlavour(undefined);
  const rate = (f) => (net.batch * 1000) / median(times[f]);
  console.log(JSON.stringify({ bench: 'step-flavours', net: net.label, simdImgPerS: rate('simd'), relaxedImgPerS: rate('relaxed'), simdMs: median(times.simd), relaxedMs: median(times.relaxed), blocks }));
  console.log(`| ${net.label}, wasm, 1 thread | ${rate('simd').toFixed(1)} img/s (${median(times.simd).toFixed(1)} ms) | ${rate('relaxed').toFixed(1)} img/s (${median(times.relaxed).toFixed(1)} ms) | ${(rate('relaxed') / rate('simd')).toFixed(3)} |`);
  if (net.key === 'tiny') {
    const counts = await kernelCalls(step);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(JSON.stringify({ bench: 'step-kernel-calls', net: net.label, total, byKernel: Object.fromEntries([...counts].sort((a, b) => b[1] - a[1])) }));
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
}
