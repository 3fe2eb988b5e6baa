/**
 * `pnpm --filter @nf/onednn bench`: NFNet-F0's per-group conv shapes at 64² input, batch 8
 * (forward, dX, dW) and a few matrix products, on the wasm backend with its own kernels and with
 * @nf/onednn's, on one thread and on every core; GFLOP/s and the share of oneDNN's sgemm peak
 * measured in the same run. Run benchmarks one at a time (they share the cores).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { availableParallelism } from 'node:os';
import { oneDnnGemmGflops, oneDnnStatus, registerOneDnnKernels, setOneDnnThreads, unregisterOneDnnKernels } from '../dist/index.js';

const status = oneDnnStatus();
if (!status.available) {
  console.log(`@nf/onednn bench skipped: ${status.reason}`);
  process.exit(0);
}
const cores = availableParallelism();
await tf.setBackend('wasm');

const CONVS = [
  { name: 'stem 3×3 3→16 s2 @64²', hw: 64, cin: 3, cout: 16, k: 3, stride: 2 },
  { name: 'stage1 3×3 128→128 @16²', hw: 16, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stage1 1×1 128→256 @16²', hw: 16, cin: 128, cout: 256, k: 1, stride: 1 },
  { name: 'stage2 3×3 128→128 s2 @16²', hw: 16, cin: 128, cout: 128, k: 3, stride: 2 },
  { name: 'stage2 3×3 128→128 @8²', hw: 8, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stage3 3×3 128→128 @4²', hw: 4, cin: 128, cout: 128, k: 3, stride: 1 },
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timeMs(fn, reps = 7) {
  for (let i = 0; i < 3; i++) tf.dispose(fn(0));
  const t = [];
  for (let i = 1; i <= reps; i++) {
    const t0 = performance.now();
    const out = fn(i);
    t.push(performance.now() - t0);
    tf.dispose(out);
  }
  return median(t);
}
function convRates() {
  return CONVS.map((s) => {
    const x = tf.randomNormal([8, s.hw, s.hw, s.cin]);
    const ws = Array.from({ length: 8 }, (_, i) => tf.randomNormal([s.k, s.k, s.cin, s.cout], 0, 0.1, 'float32', i + 1));
    const y = tf.conv2d(x, ws[0], s.stride, 'same');
    const dy = tf.onesLike(y);
    const g = (ms) => (2 * y.size * s.cin * s.k * s.k) / ms / 1e6;
    const conv = { strides: [s.stride, s.stride], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
    const r = {
      shape: s.name,
      fwd: g(timeMs((i) => tf.conv2d(x, ws[i], s.stride, 'same'))),
      dx: g(timeMs((i) => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ws[i] }, { ...conv, inputShape: x.shape }))),
      dw: g(timeMs(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: ws[0].shape }))),
    };
    tf.dispose([x, ...ws, y, dy]);
    return r;
  });
}
const f = (v) => v.toFixed(1);
const rows = [];
unregisterOneDnnKernels();
rows.push(['wasm (XNNPACK + @nf/wasm-kernels), 1 thread', convRates(), null]);
registerOneDnnKernels();
for (const threads of [...new Set([1, cores])]) {
  setOneDnnThreads(threads);
  const peak = Math.max(oneDnnGemmGflops(1024, 1000), oneDnnGemmGflops(2048, 1000));
  console.log(JSON.stringify({ bench: 'onednn-sgemm', threads, gflops: peak }));
  rows.push([`wasm + oneDNN, ${threads} thread${threads > 1 ? 's' : ''}`, convRates(), peak]);
}
unregisterOneDnnKernels();
for (const [label, rates, peak] of rows) {
  console.log(`\n## ${label} (GFLOP/s${peak ? `; % of oneDNN's sgemm peak ${f(peak)} on the same threads` : ''})\n`);
  console.log('| F0 conv, 64² input, batch 8 | forward | dX | dW |');
  console.log('|---|---:|---:|---:|');
  const cell = (v) => (peak ? `${f(v)} (${Math.round((100 * v) / peak)} %)` : f(v));
  for (const r of rates) console.log(`| ${r.shape} | ${cell(r.fwd)} | ${cell(r.dx)} | ${cell(r.dw)} |`);
  for (const r of rates) console.log(JSON.stringify({ bench: 'conv', config: label, ...r, peakGflops: peak }));
}
console.log(`\noneDNN ${status.version} (${status.runtime}, ${status.isa}), ${cores} cores, ${new Date().toISOString().slice(0, 10)}`);
