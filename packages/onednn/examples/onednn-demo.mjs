/**
 * `pnpm --filter @nf/onednn demo`: a conv layer's gradient on the wasm backend with and without
 * @nf/onednn's kernels — the same numbers, and the time of each.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels'; // the wasm training kernels: oneDNN's fallbacks, and what runs without it
import { registerOneDnnKernels, unregisterOneDnnKernels } from '@nf/onednn';

await tf.setBackend('wasm');
const x = tf.randomNormal([8, 32, 32, 64], 0, 1, 'float32', 1);
const w = tf.variable(tf.randomNormal([3, 3, 64, 64], 0, 0.05, 'float32', 2));
const loss = () => tf.sum(tf.square(tf.conv2d(x, w, 1, 'same')));

function gradient() {
  tf.dispose(tf.variableGrads(loss).grads); // warm-up
  const t0 = performance.now();
  const { value, grads } = tf.variableGrads(loss);
  const out = { ms: performance.now() - t0, loss: value.dataSync()[0], norm: tf.tidy(() => tf.norm(grads[w.name]).dataSync()[0]) };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

const off = gradient();
const status = registerOneDnnKernels();
console.log(status.active ? `oneDNN ${status.version} (${status.runtime}, ${status.isa}) on ${status.threads} threads` : `@nf/onednn inactive: ${status.reason}`);
const on = gradient();
unregisterOneDnnKernels();
console.log(`wasm kernels:  loss ${off.loss.toFixed(2)}, |dW| ${off.norm.toFixed(3)}, ${off.ms.toFixed(1)} ms`);
console.log(`${status.active ? 'with oneDNN: ' : 'again:       '}  loss ${on.loss.toFixed(2)}, |dW| ${on.norm.toFixed(3)}, ${on.ms.toFixed(1)} ms`);
tf.dispose([x, w]);
