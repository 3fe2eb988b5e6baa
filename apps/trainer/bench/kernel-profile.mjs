/**
 * Where a training step's time goes, kernel by kernel: every kernel of the backend is wrapped with
 * a timer (exclusive time: a kernel that runs others, like our conv backprops, is charged only its
 * own part; nested calls show as Parent>Child), then STEPS steps of the trainer's step run.
 * Prints ms per step, calls, output elements and ns per output element, and what lies outside the
 * kernels (the engine, the tape, the host update).
 *
 *   node apps/trainer/bench/kernel-profile.mjs            (after pnpm build)
 * Env: NET tiny|resnet26|f0 (default tiny), B backend (wasm), STEPS (5), TOP rows (30), THREADS
 * (data-parallel threads, 1), SHAPES=<kernel name> (also lists that kernel's input shapes by time).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { configOf, createModel } from '@nf/models';
import { createOptimizer, DataParallel, trainStep } from '../dist/index.js';
import { timeKernels } from './kernel-timer.mjs';

const netKey = process.env.NET ?? 'tiny';
const backend = process.env.B ?? 'wasm';
await tf.setBackend(backend);
const shapeLog = [];
const stats = timeKernels(backend, (name, inputs, ms, depth) => {
  if (process.env.SHAPES && name === process.env.SHAPES && depth === 0) shapeLog.push([Object.values(inputs).map((t) => t.shape.join('x')).join(' , '), ms]);
});
const NETS = {
  tiny: { config: configOf('dm_nfnet_f0', { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], groupSize: 8, stemChannels: 32, numFeatures: 256, numClasses: 10, dropRate: 0, dropPathRate: 0 }), res: 32, batch: 32 },
  resnet26: { config: configOf('nf_resnet26', { dropRate: 0, dropPathRate: 0 }), res: 64, batch: 16 },
  f0: { config: configOf('dm_nfnet_f0', { dropRate: 0, dropPathRate: 0 }), res: 64, batch: 8 },
};
const net = NETS[netKey];
const model = createModel(net.config);
const optimizer = createOptimizer(model.trainableWeights.map((w) => w.read()), 0.01, 0.9, true);
const x = tf.randomNormal([net.batch, net.res, net.res, net.config.inChannels], 0, 1, 'float32', 1);
const y = tf.tensor1d(Array.from({ length: net.batch }, (_, i) => i % net.config.numClasses), 'int32');
const options = { clipping: 0.01, weightDecay: 2e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: net.config.numClasses, onNan: 'skip' };
const threads = Number(process.env.THREADS ?? 1);
const parallel = threads > 1 ? await DataParallel.start(model, net.config, backend, threads) : undefined;
const step = () => (parallel ? parallel.step(model, optimizer, x, y, 0.01, options) : trainStep(model, optimizer, x, y, 0.01, options));
for (let i = 0; i < 2; i++) await step();
stats.clear();
shapeLog.length = 0;
const steps = Number(process.env.STEPS ?? 5);
const t0 = performance.now();
for (let i = 0; i < steps; i++) await step();
const total = (performance.now() - t0) / steps;
let kms = 0, kn = 0;
const rows = [...stats].map(([k, s]) => [k, s.n / steps, s.ms / steps, s.el / steps]).sort((a, b) => b[2] - a[2]);
for (const r of rows) { kms += r[2]; kn += r[1]; }
console.log(`step ${total.toFixed(1)} ms (${(net.batch * 1000 / total).toFixed(1)} img/s); kernels ${kms.toFixed(1)} ms in ${kn} calls; outside kernels ${(total - kms).toFixed(1)} ms`);
for (const r of rows.slice(0, Number(process.env.TOP ?? 30))) console.log(r[0].padEnd(44), String(r[1]).padStart(6), r[2].toFixed(2).padStart(9), (r[3] / 1e6).toFixed(2).padStart(8), 'M el', (r[2] * 1e6 / r[3]).toFixed(2).padStart(7), 'ns/el');
await parallel?.close();
if (process.env.SHAPES) {
  const agg = new Map();
  for (const [shape, ms] of shapeLog) {
    const a = agg.get(shape) ?? [0, 0];
    a[0]++;
    a[1] += ms;
    agg.set(shape, a);
  }
  for (const [shape, [n, ms]] of [...agg].sort((a, b) => b[1][1] - a[1][1]).slice(0, 15)) console.log(`${shape}  ${n / steps} calls  ${(ms / steps).toFixed(1)} ms per step`);
}
