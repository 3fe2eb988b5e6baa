/**
 * Build time and inference throughput: NFNet-F0 at 224² batch 1, and a tiny NFNet at 32² batch 32
 * (depths 1,1,1,1, channels 32,64,96,128, group width 8, stem 32, 256 final features), per backend.
 * Run: pnpm --filter @nf/models bench   (NF_BACKENDS=cpu,wasm, BENCH_REPS=3)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { createModel } from '@nf/models';

const reps = Number(process.env.BENCH_REPS ?? 3);
const backends = (process.env.NF_BACKENDS ?? 'cpu,wasm').split(',');
const TINY = { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], groupSize: 8, stemChannels: 32, numFeatures: 256, numClasses: 10 };
const rows = [];

for (const backend of backends) {
  if (!(await tf.setBackend(backend))) {
    console.log(`${backend}: not available, skipped`);
    continue;
  }
  await tf.ready();
  for (const [label, name, overrides, size, batch, n] of [
    ['NFNet-F0 224² batch 1', 'dm_nfnet_f0', {}, 224, 1, backend === 'cpu' ? 1 : reps],
    ['tiny NFNet 32² batch 32', 'dm_nfnet_f0', TINY, 32, 32, reps],
  ]) {
    let t0 = performance.now();
    const model = createModel(name, overrides);
    const buildMs = performance.now() - t0;
    const x = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1);
    tf.dispose(model.predict(x)); // warm-up
    const times = [];
    for (let i = 0; i < n; i++) {
      t0 = performance.now();
      const y = model.predict(x);
      await y.data();
      times.push(performance.now() - t0);
      y.dispose();
    }
    const ms = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    const row = { backend, model: label, params: model.countParams(), buildMs, msPerBatch: ms, imgPerS: (batch * 1000) / ms };
    rows.push(row);
    console.log(JSON.stringify({ bench: 'models', ...row }));
    x.dispose();
    model.dispose();
  }
}
console.log('\n| backend | model | params | build | ms / batch | img/s |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.backend} | ${r.model} | ${(r.params / 1e6).toFixed(2)}M | ${(r.buildMs / 1000).toFixed(1)} s | ${r.msPerBatch.toFixed(0)} | ${r.imgPerS.toFixed(1)} |`);
