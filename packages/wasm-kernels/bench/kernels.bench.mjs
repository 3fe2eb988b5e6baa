/**
 * Convolution GFLOP/s on the wasm backend — forward (upstream), dX and dW (ours) — for NFNet-F0's
 * stage convs at 64×64 input, batch 8 (per group for grouped convs), and for 3×3 depthwise convs
 * (forward upstream, DepthwiseConv2dNativeBackpropInput/Filter ours), beside the machine's measured
 * matMul rate on the same backend. Run: pnpm --filter @nf/wasm-kernels bench   (BENCH_REPS=5)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';

const reps = Number(process.env.BENCH_REPS ?? 5);
await tf.setBackend('wasm');
await tf.ready();

function median(fn) {
  tf.dispose(fn());
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = fn();
    (Array.isArray(out) ? out : [out])[0].dataSync();
    t.push(performance.now() - t0);
    tf.dispose(out);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

const a = tf.randomNormal([1024, 1024]);
const b = tf.randomNormal([1024, 1024]);
const mmMs = median(() => tf.matMul(a, b));
const peak = (2 * 1024 ** 3) / mmMs / 1e6;
tf.dispose([a, b]);

const SHAPES = [
  { name: 'stage1 3×3 128→128 @16²', hw: 16, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stage1 1×1 128→256 @16²', hw: 16, cin: 128, cout: 256, k: 1, stride: 1 },
  { name: 'stage2 3×3 128→128 s2 @16²', hw: 16, cin: 128, cout: 128, k: 3, stride: 2 },
  { name: 'stage2 3×3 128→128 @8²', hw: 8, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stage3 3×3 128→128 @4²', hw: 4, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stem 3×3 3→16 s2 @64²', hw: 64, cin: 3, cout: 16, k: 3, stride: 2 },
];
const rows = [];
for (const s of SHAPES) {
  const x = tf.randomNormal([8, s.hw, s.hw, s.cin]);
  const w = tf.randomNormal([s.k, s.k, s.cin, s.cout], 0, 0.1);
  const y = tf.conv2d(x, w, s.stride, 'same');
  const dy = tf.onesLike(y);
  const flops = 2 * y.size * s.cin * s.k * s.k;
  const fwd = median(() => tf.conv2d(x, w, s.stride, 'same'));
  const dx = median(() => tf.conv2dTranspose(dy, w, x.shape, s.stride, 'same'));
  const dw = median(() => tf.grad((f) => tf.conv2d(x, f, s.stride, 'same'))(w, dy));
  const g = (ms) => flops / ms / 1e6;
  rows.push({ shape: s.name, fwd: g(fwd), dx: g(dx), dw: g(dw) });
  console.log(JSON.stringify({ bench: 'wasm-conv', shape: s.name, fwdGflops: g(fwd), dxGflops: g(dx), dwGflops: g(dw), peakGflops: peak }));
  tf.dispose([x, w, y, dy]);
}
console.log(`\nwasm matMul 1024²: ${peak.toFixed(1)} GFLOP/s (the reference for the fractions below)\n`);
console.log('| conv (batch 8) | forward GFLOP/s | dX GFLOP/s | dW GFLOP/s | fwd / dX / dW as % of matMul |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  const pct = (v) => `${Math.round((100 * v) / peak)}`;
  console.log(`| ${r.shape} | ${r.fwd.toFixed(1)} | ${r.dx.toFixed(1)} | ${r.dw.toFixed(1)} | ${pct(r.fwd)} / ${pct(r.dx)} / ${pct(r.dw)} % |`);
}

// Depthwise convs move little data per kernel call (≈1 MB here), so reading the result back
// (dataSync: a copy and a garbage-collected allocation, ~3 ms on this shape) would swamp them. The
// wasm backend runs kernels synchronously, so the call alone is timed; dX and dW are the kernels
// themselves (tf.engine().runKernel), without the forward pass that tf.grad would add.
function kernelMs(fn) {
  tf.dispose(fn());
  const t = [];
  for (let i = 0; i < Math.max(reps, 9); i++) {
    const t0 = performance.now();
    const out = fn();
    t.push(performance.now() - t0);
    tf.dispose(out);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

const DEPTHWISE = [
  { name: 'depthwise 3×3 128 ch @16²', hw: 16, c: 128, k: 3, stride: 1 },
  { name: 'depthwise 3×3 128 ch s2 @16²', hw: 16, c: 128, k: 3, stride: 2 },
];
const dwRows = [];
for (const s of DEPTHWISE) {
  const x = tf.randomNormal([8, s.hw, s.hw, s.c]);
  const w = tf.randomNormal([s.k, s.k, s.c, 1], 0, 0.1);
  const y = tf.depthwiseConv2d(x, w, s.stride, 'same');
  const dy = tf.randomNormal(y.shape);
  const flops = 2 * y.size * s.k * s.k;
  const attrs = { strides: s.stride, pad: 'same', dilations: 1 };
  const fwd = kernelMs(() => tf.depthwiseConv2d(x, w, s.stride, 'same'));
  const dx = kernelMs(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x.shape }));
  const dw = kernelMs(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: w.shape }));
  const g = (ms) => flops / ms / 1e6;
  dwRows.push({ shape: s.name, fwd: g(fwd), dx: g(dx), dw: g(dw), ms: [fwd, dx, dw] });
  console.log(JSON.stringify({ bench: 'wasm-depthwise', shape: s.name, fwdGflops: g(fwd), dxGflops: g(dx), dwGflops: g(dw), fwdMs: fwd, dxMs: dx, dwMs: dw }));
  tf.dispose([x, w, y, dy]);
}
console.log('\n| depthwise (batch 8, kernel time) | forward GFLOP/s | dX GFLOP/s | dW GFLOP/s | fwd / dX / dW ms |');
console.log('|---|---:|---:|---:|---:|');
for (const r of dwRows) {
  console.log(`| ${r.shape} | ${r.fwd.toFixed(1)} | ${r.dx.toFixed(1)} | ${r.dw.toFixed(1)} | ${r.ms.map((v) => v.toFixed(2)).join(' / ')} |`);
}
