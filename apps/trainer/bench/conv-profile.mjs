/**
 * One conv shape on wasm, kernel by kernel: forward with the same filter (XNNPACK's cached packing,
 * as in inference) and with a new one (as in training), dX and dW, each with the kernels it runs.
 *   SHAPE=hw,cin,cout,k,stride node apps/trainer/bench/conv-profile.mjs   (batch 8, 'same')
 * (dW here goes through tf.grad and includes the forward; `pnpm bench` times the dW kernel alone.)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { timeKernels } from './kernel-timer.mjs';
await tf.setBackend('wasm');
const stats = timeKernels('wasm');
const [hw, cin, cout, k, stride] = (process.env.SHAPE ?? '4,128,128,3,1').split(',').map(Number);
const x = tf.randomNormal([8, hw, hw, cin]);
const w = tf.randomNormal([k, k, cin, cout]);
const y = tf.conv2d(x, w, stride, 'same');
const dy = tf.randomNormal(y.shape);
const reps = 20;
for (const [label, fn] of [
  ['fwd cached w', () => tf.conv2d(x, w, stride, 'same')],
  ['fwd fresh w', () => tf.conv2d(x, tf.add(w, 0), stride, 'same')],
  ['fresh w alone', () => tf.add(w, 0)],
  ['dX', () => tf.conv2dTranspose(dy, w, x.shape, stride, 'same')],
  ['dW', () => tf.grad((f) => tf.conv2d(x, f, stride, 'same'))(w, dy)],
]) {
  tf.dispose(tf.tidy(fn));
  stats.clear();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) tf.dispose(tf.tidy(fn));
  const ms = (performance.now() - t0) / reps;
  const flops = 2 * y.size * k * k * cin;
  console.log(`${label}: ${ms.toFixed(3)} ms, ${(flops / ms / 1e6).toFixed(1)} GFLOP/s   ` + [...stats].map(([n, s]) => `${n} ${(s.ms / reps).toFixed(3)}`).join(', '));
}
