/**
 * The host update (AGC + weight decay + Nesterov momentum over flat buffers, step/host-kernels.wat)
 * for NFNet-F0's 71.5 M parameters, with the plain-SIMD and the relaxed-SIMD (FMA) build of the host
 * kernels: `scan` (Σ g², finiteness) and `apply` (AGC's per-unit sums, then the fused scale → decay
 * → momentum → weight pass, and the variables' assign), median of BENCH_REPS (default 7) per build,
 * alternating. Turns relaxed SIMD on for itself (Node 20 needs --experimental-wasm-relaxed-simd).
 * Run: pnpm --filter @nf/trainer build && node bench/host-update-flavours.mjs
 */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { relaxedSimdSupported } from '@nf/wasm-kernels';
import { configOf, createModel } from '@nf/models';
import { HostMomentum } from '../dist/index.js';
import { trainableVariables } from '../dist/step.js';

if (!relaxedSimdSupported()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
if (!relaxedSimdSupported()) throw new Error('this Node does not validate relaxed SIMD');
const reps = Number(process.env.BENCH_REPS ?? 7);
await tf.setBackend('wasm');
const model = createModel(configOf(process.env.BENCH_MODEL ?? 'dm_nfnet_f0', { dropRate: 0, dropPathRate: 0 }));
const vars = trainableVariables(model);
const opts = {};
for (const flavour of ['simd', 'relaxed']) {
  const opt = new HostMomentum(vars, 0.9, true, flavour);
  const weights = opt.readWeights(vars);
  const grads = Float32Array.from({ length: weights.length }, (_, i) => Math.sin(i) * 1e-3);
  opts[flavour] = { opt, weights, grads };
}
const times = { simd: { scan: [], apply: [] }, relaxed: { scan: [], apply: [] } };
for (let r = 0; r <= reps; r++) {
  for (const flavour of ['simd', 'relaxed']) {
    const { opt, weights, grads } = opts[flavour];
    const t0 = performance.now();
    opt.scan(grads);
    const t1 = performance.now();
    opt.apply(vars, grads, weights, 0.1, { clipping: 0.01, weightDecay: 2e-5 });
    const t2 = performance.now();
    if (r > 0) (times[flavour].scan.push(t1 - t0), times[flavour].apply.push(t2 - t1));
  }
}
const med = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
const n = opts.simd.weights.length;
const row = {};
for (const flavour of ['simd', 'relaxed']) row[flavour] = { scanMs: med(times[flavour].scan), applyMs: med(times[flavour].apply) };
console.log(JSON.stringify({ bench: 'host-update-flavours', params: n, ...row }));
console.log(`\n| host update, ${(n / 1e6).toFixed(1)} M parameters | scan ms | apply ms | apply GB/s (g, w, a read; w, a written) |`);
console.log('|---|---:|---:|---:|');
for (const flavour of ['simd', 'relaxed']) {
  const { scanMs, applyMs } = row[flavour];
  console.log(`| ${flavour === 'relaxed' ? 'relaxed SIMD (FMA)' : 'plain SIMD'} | ${scanMs.toFixed(1)} | ${applyMs.toFixed(1)} | ${((5 * 4 * n) / applyMs / 1e6).toFixed(2)} |`);
}
console.log(`relaxed / plain apply time: ${(row.relaxed.applyMs / row.simd.applyMs).toFixed(2)}`);
