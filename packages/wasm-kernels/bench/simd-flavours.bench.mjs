/**
 * Our SIMD kernels from the plain build and from the relaxed-SIMD (FMA) build, through the tfjs ops
 * that use them on the wasm backend: the few-row matMul (matmul_rows), Exp, Erf, the fused GELU and
 * its gradient, the fused Scaled WS forward and backward. Median of BENCH_REPS (default 15) per
 * kernel, the two builds alternated. Node 20 validates relaxed SIMD only behind
 * --experimental-wasm-relaxed-simd: this script turns it on for itself.
 * Run: pnpm --filter @nf/wasm-kernels bench   (or node bench/simd-flavours.bench.mjs)
 */
import v8 from 'node:v8';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { GELU_GRAD_KERNEL, GELU_KERNEL, SCALED_WS_GRAD_KERNEL, SCALED_WS_KERNEL, relaxedSimdSupported, setSimdFlavour } from '@nf/wasm-kernels';

if (!relaxedSimdSupported()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
if (!relaxedSimdSupported()) {
  console.error('this Node does not validate relaxed SIMD, even with --experimental-wasm-relaxed-simd: nothing to compare.');
  process.exit(1);
}
const reps = Number(process.env.BENCH_REPS ?? 15);
await tf.setBackend('wasm');
await tf.ready();

/** Median ms of `fn` on each build, alternating (the wasm backend runs a kernel when it is called: no read-back timed). */
function medians(fn) {
  const t = { simd: [], relaxed: [] };
  for (const flavour of ['simd', 'relaxed']) {
    setSimdFlavour(flavour);
    tf.dispose(fn());
  }
  for (let i = 0; i < reps; i++) {
    for (const flavour of ['simd', 'relaxed']) {
      setSimdFlavour(flavour);
      const t0 = performance.now();
      const out = fn();
      t[flavour].push(performance.now() - t0);
      tf.dispose(out);
    }
  }
  setSimdFlavour(undefined);
  const med = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return { simd: med(t.simd), relaxed: med(t.relaxed) };
}

const N = 1 << 20;
const x = tf.randomNormal([N], 0, 2);
const dy = tf.randomNormal([N]);
const wsAttrs = { convention: 'deepmind', eps: 1e-4, gamma: 1 };
const weight = tf.randomNormal([3, 3, 128, 256], 0, 0.05);
const gain = tf.ones([256]);
const wdy = tf.randomNormal([3, 3, 128, 256]);
const a = tf.randomNormal([16, 1152]);
const b = tf.randomNormal([1152, 512]);
const CASES = [
  // [name, fn, work, unit]
  ['matMul 16×1152 · 1152×512 (matmul_rows)', () => tf.matMul(a, b), 2 * 16 * 1152 * 512, 'GFLOP/s'],
  ['Exp, 2²⁰ values', () => tf.exp(x), N, 'G values/s'],
  ['Erf, 2²⁰ values', () => tf.erf(x), N, 'G values/s'],
  ['NfGelu, 2²⁰ values', () => tf.engine().runKernel(GELU_KERNEL, { x }), N, 'G values/s'],
  ['NfGeluGrad, 2²⁰ values', () => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy, x }), N, 'G values/s'],
  ['NfScaledWS 3×3×128×256', () => tf.engine().runKernel(SCALED_WS_KERNEL, { weight, gain }, wsAttrs), weight.size, 'G values/s'],
  ['NfScaledWSGrad 3×3×128×256', () => tf.engine().runKernel(SCALED_WS_GRAD_KERNEL, { dy: wdy, weight, gain }, wsAttrs), weight.size, 'G values/s'],
];
const rows = [];
for (const [name, fn, work, unit] of CASES) {
  const ms = medians(fn);
  const rate = (m) => work / m / 1e6;
  rows.push({ name, unit, simd: rate(ms.simd), relaxed: rate(ms.relaxed) });
  console.log(JSON.stringify({ bench: 'simd-flavours', kernel: name, unit, simd: rate(ms.simd), relaxed: rate(ms.relaxed), simdMs: ms.simd, relaxedMs: ms.relaxed }));
}
tf.dispose([x, dy, weight, gain, wdy, a, b]);
console.log('\n| kernel (wasm backend) | unit | plain SIMD | relaxed SIMD (FMA) | relaxed / plain |');
console.log('|---|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.name} | ${r.unit} | ${r.simd.toFixed(2)} | ${r.relaxed.toFixed(2)} | ${(r.relaxed / r.simd).toFixed(2)} |`);
