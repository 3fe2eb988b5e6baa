/**
 * WSConv2D against a plain convolution of the same shape, and grouped against the equivalent
 * dense (block-diagonal) convolution, on the conv shapes of NFNet-F0's stages at 64×64 input,
 * batch 8. Forward, and forward+backward (d/dx, d/dw) where the backend has the kernels.
 * Run: pnpm --filter @nf/ws-conv bench   (BENCH_REPS=3, NF_BACKENDS=cpu,wasm)
 *
 * The cpu backend's conv backprop kernels run ~80× slower than its forward conv (63 s for one
 * batch-8 stage-1 conv), so on cpu the backward columns use batch 1 (BENCH_CPU_BWD_BATCH).
 * The wasm backend has no Conv2DBackpropFilter upstream: its backward columns say so.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { groupedConv2d, standardizeWeight } from '@nf/ws-conv';

const reps = Number(process.env.BENCH_REPS ?? 3);
const backends = (process.env.NF_BACKENDS ?? 'cpu,wasm').split(',');

// F0 at 64×64: the stem leaves 16×16; stages run at 16, 8, 4, 2 pixels; group width 128.
const SHAPES = [
  { name: 'stage1 conv0 1×1 128→128', hw: 16, cin: 128, cout: 128, k: 1, groups: 1 },
  { name: 'stage1 conv1 3×3 128→128 g1', hw: 16, cin: 128, cout: 128, k: 3, groups: 1 },
  { name: 'stage2 conv1b 3×3 256→256 g2', hw: 8, cin: 256, cout: 256, k: 3, groups: 2 },
  { name: 'stage3 conv1b 3×3 768→768 g6', hw: 4, cin: 768, cout: 768, k: 3, groups: 6 },
  { name: 'stage4 conv1b 3×3 768→768 g6', hw: 2, cin: 768, cout: 768, k: 3, groups: 6 },
];

function time(fn) {
  tf.dispose(fn()); // warm-up
  const t = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const out = fn();
    (Array.isArray(out) ? out : [out]).forEach((o) => o.dataSync());
    t.push(performance.now() - t0);
    tf.dispose(out);
  }
  return t.sort((a, b) => a - b)[Math.floor(t.length / 2)];
}

/** Block-diagonal dense kernel equal to a grouped one: the "equivalent dense conv". */
function blockDiagonal(w, groups) {
  return tf.tidy(() => {
    const [kh, kw, cinG, cout] = w.shape;
    const coutG = cout / groups;
    const parts = tf.split(w, groups, 3).map((wg, g) =>
      tf.pad(wg, [[0, 0], [0, 0], [g * cinG, (groups - 1 - g) * cinG], [0, 0]]),
    );
    return tf.concat(parts, 3).reshape([kh, kw, cinG * groups, coutG * groups]);
  });
}

const rows = [];
for (const backend of backends) {
  if (!(await tf.setBackend(backend))) {
    console.log(`${backend}: not available, skipped`);
    continue;
  }
  await tf.ready();
  for (const s of SHAPES) {
    const x = tf.randomNormal([8, s.hw, s.hw, s.cin], 0, 1, 'float32', 1);
    const w = tf.randomNormal([s.k, s.k, s.cin / s.groups, s.cout], 0, 0.05, 'float32', 2);
    const gain = tf.ones([s.cout]);
    const opts = { groups: s.groups, padding: 'same' };
    const plain = () => groupedConv2d(x, w, opts);
    const ws = () => groupedConv2d(x, standardizeWeight(w, { gain }), opts);
    const row = { backend, shape: s.name, plainFwd: time(plain), wsFwd: time(() => tf.tidy(ws)) };
    const bwdBatch = backend === 'cpu' ? Number(process.env.BENCH_CPU_BWD_BATCH ?? 1) : 8;
    const xb = tf.slice(x, 0, bwdBatch);
    row.bwdBatch = bwdBatch;
    try {
      row.plainBwd = time(() => tf.grads((a, b) => tf.sum(groupedConv2d(a, b, opts)))([xb, w]));
      row.wsBwd = time(() => tf.grads((a, b, g) => tf.sum(groupedConv2d(a, standardizeWeight(b, { gain: g }), opts)))([xb, w, gain]));
    } catch (e) {
      row.backwardMissing = String(e.message).match(/Kernel '(\w+)'/)?.[1] ?? 'error';
    }
    if (s.groups > 1) {
      const dense = blockDiagonal(w, s.groups);
      row.denseFwd = time(() => tf.conv2d(x, dense, 1, 'same'));
      dense.dispose();
    }
    tf.dispose([x, xb, w, gain]);
    rows.push(row);
    console.log(JSON.stringify({ bench: 'ws-conv', ...row }));
  }
}

const f = (v) => (v === undefined ? '—' : v.toFixed(1));
const pct = (a, b) => (a === undefined || b === undefined ? '—' : `${(100 * (a / b - 1)).toFixed(0)} %`);
console.log('\n| backend | conv (F0 @64², batch 8) | plain fwd ms | WS fwd ms | WS overhead | bwd batch | plain fwd+bwd ms | WS fwd+bwd ms | WS overhead | dense-equivalent fwd ms | grouped / dense |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.shape} | ${f(r.plainFwd)} | ${f(r.wsFwd)} | ${pct(r.wsFwd, r.plainFwd)} | ${r.bwdBatch} | ${r.backwardMissing ? `no ${r.backwardMissing}` : f(r.plainBwd)} | ${f(r.wsBwd)} | ${pct(r.wsBwd, r.plainBwd)} | ${f(r.denseFwd)} | ${r.denseFwd ? (r.plainFwd / r.denseFwd).toFixed(2) : '—'} |`,
  );
}
