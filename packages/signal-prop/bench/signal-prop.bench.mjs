/**
 * Cost of one signal-propagation analysis of a 50-block residual network (stock tfjs layers:
 * pre-activation NF-style blocks of two 3×3 convolutions, stages [12, 13, 13, 12], widths
 * [16, 32, 64, 128]) at 64×64, batch 8, against one plain forward pass (`model.predict`) of the
 * same model on the same input. Time: median of BENCH_REPS, result awaited. Peak tensor memory:
 * `tf.profile` peakBytes above what was allocated before (weights and input), and in absolute terms.
 * Targets: ≤ 1.5× time, ≤ 1.2× memory.
 * Run: pnpm --filter @nf/signal-prop bench   (BENCH_REPS=3, NF_BACKENDS=cpu,wasm)
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { analyzeSignalPropagation } from '@nf/signal-prop';

const reps = Number(process.env.BENCH_REPS ?? 3);
const backends = (process.env.NF_BACKENDS ?? 'cpu,wasm').split(',');
const STAGES = [12, 13, 13, 12];
const WIDTHS = [16, 32, 64, 128];
const ALPHA = 0.2;

function buildNet() {
  let seed = 1;
  const conv = (filters, kernelSize, strides = 1) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) });
  const act = (x, scale) => tf.layers.rescaling({ scale }).apply(tf.layers.activation({ activation: 'relu' }).apply(x));
  const input = tf.input({ shape: [64, 64, 3] });
  let x = conv(WIDTHS[0] / 2, 3, 2).apply(input);
  let expectedVar = 1;
  STAGES.forEach((n, s) => {
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const out = act(x, 1 / Math.sqrt(expectedVar));
      const shortcut = b === 0 ? conv(WIDTHS[s], 1, stride).apply(out) : x;
      const h = conv(WIDTHS[s], 3).apply(act(conv(WIDTHS[s], 3, stride).apply(out), 1));
      x = tf.layers.add().apply([shortcut, tf.layers.rescaling({ scale: ALPHA }).apply(h)]);
      expectedVar = (b === 0 ? 1 : expectedVar) + ALPHA * ALPHA;
    }
  });
  const logits = tf.layers.dense({ units: 10 }).apply(tf.layers.globalAveragePooling2d({}).apply(x));
  return tf.model({ inputs: input, outputs: logits });
}

async function median(fn) {
  await fn(); // warm-up
  const times = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Peak bytes during `fn`: absolute, and above the bytes that existed before it. */
async function peak(fn) {
  const before = tf.memory().numBytes;
  const info = await tf.profile(async () => {
    await fn();
    return [];
  });
  return { absolute: info.peakBytes, above: info.peakBytes - before };
}

const rows = [];
for (const backend of backends) {
  if (!(await tf.setBackend(backend))) {
    console.log(`${backend}: not available, skipped`);
    continue;
  }
  await tf.ready();
  const model = buildNet();
  const x = tf.randomNormal([8, 64, 64, 3], 0, 1, 'float32', 7);
  const forward = async () => {
    const y = model.predict(x);
    await y.data();
    y.dispose();
  };
  let sites = 0;
  const analysis = async () => {
    sites = (await analyzeSignalPropagation(model, { input: x })).sites.length;
  };
  const tForward = await median(forward);
  const tAnalysis = await median(analysis);
  const mForward = await peak(forward);
  const mAnalysis = await peak(analysis);
  rows.push({ backend, sites, tForward, tAnalysis, mForward, mAnalysis });
  x.dispose();
  model.dispose();
}

const mb = (b) => (b / 2 ** 20).toFixed(1);
console.log(`\nAnalysis of a ${STAGES.reduce((a, b) => a + b)}-block network at 64×64, batch 8, vs one model.predict; median of ${reps}:\n`);
console.log('| backend | sites | predict | analysis | time × | peak above start: predict | analysis | × | peak absolute: predict | analysis | × |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.sites} | ${r.tForward.toFixed(0)} ms | ${r.tAnalysis.toFixed(0)} ms | ${(r.tAnalysis / r.tForward).toFixed(2)} | ${mb(r.mForward.above)} MB | ${mb(r.mAnalysis.above)} MB | ${(r.mAnalysis.above / r.mForward.above).toFixed(2)} | ${mb(r.mForward.absolute)} MB | ${mb(r.mAnalysis.absolute)} MB | ${(r.mAnalysis.absolute / r.mForward.absolute).toFixed(2)} |`,
  );
}
console.log('');
for (const r of rows) console.log(JSON.stringify({ bench: 'signal-prop-50-blocks', ...r }));
