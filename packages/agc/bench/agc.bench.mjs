/**
 * AGC cost on NFNet-F0's 233 parameter tensors (71.5M values) per backend, against the memory-bound
 * floor of one elementwise tf.add over the same tensors. Prints a table and JSON lines.
 * Run: pnpm --filter @nf/agc bench   (BENCH_REPS, NF_BACKENDS=cpu,wasm to choose)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { clipGradients } from '@nf/agc';
import { f0ParamShapes } from './f0-param-shapes.mjs';

const reps = Number(process.env.BENCH_REPS ?? 5);
const backends = (process.env.NF_BACKENDS ?? 'cpu,wasm').split(',');
const shapes = f0ParamShapes();

function timeIt(fn) {
  fn(); // warm-up (kernel setup, allocation)
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)], min: times[0] };
}

const rows = [];
for (const backend of backends) {
  if (!(await tf.setBackend(backend))) {
    console.log(`${backend}: not available, skipped`);
    continue;
  }
  await tf.ready();
  const params = {};
  const grads = {};
  for (const [name, shape] of shapes) {
    params[name] = tf.randomNormal(shape, 0, 0.05, 'float32', 1);
    grads[name] = tf.randomNormal(shape, 0, 1e-3, 'float32', 2);
  }
  // cpu and wasm run every op synchronously; reading the last (small) output also waits for
  // asynchronous backends, without timing a copy of 286 MB back to JavaScript.
  const sync = (map) => {
    map['linear/b'].dataSync();
    tf.dispose(map);
  };
  const add = timeIt(() => sync(Object.fromEntries(shapes.map(([n]) => [n, tf.add(grads[n], params[n])]))));
  const agc = timeIt(() => sync(clipGradients(grads, params, { exclude: ['linear/w'] }).grads));
  const agcStats = timeIt(() => sync(clipGradients(grads, params, { exclude: ['linear/w'], stats: true }).grads));
  tf.dispose([params, grads]);
  for (const [what, t] of [['tf.add (floor)', add], ['clipGradients', agc], ['clipGradients + stats', agcStats]]) {
    rows.push({ backend, what, ms: t.median, minMs: t.min, ratio: t.median / add.median });
  }
}

console.log(`\nAGC on NFNet-F0 parameters (${shapes.length} tensors, 71,489,284 values), median of ${reps}:\n`);
console.log('| backend | op | ms / call | × tf.add |');
console.log('|---|---|---:|---:|');
for (const r of rows) console.log(`| ${r.backend} | ${r.what} | ${r.ms.toFixed(1)} | ${r.ratio.toFixed(2)} |`);
console.log('');
for (const r of rows) console.log(JSON.stringify({ bench: 'agc-f0', ...r }));
