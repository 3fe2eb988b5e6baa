/**
 * `pnpm bench` (root): training speed of our stack beside PyTorch on the same machine, in one run.
 *
 *  1. matMul peak: the wasm backend's 1024² matMul on one thread, and on every core at once
 *     (one worker thread per core, each with its own wasm backend) — the machine's peak as our
 *     kernels can reach it; PyTorch's torch.mm on the same threads when PyTorch is present.
 *  2. Conv GFLOP/s, forward / dX / dW, for NFNet-F0's stage convs at 64² (batch 8, per group),
 *     on one thread, as a fraction of the one-thread matMul peak.
 *  3. Train-step img/s (forward, backward, AGC, weight decay, Nesterov SGD: the trainer's step) for
 *     a tiny NFNet 32² b32, NF-ResNet-26 64² b16 and NFNet-F0 64² b8 on each backend, with 1 thread
 *     and with all cores (data-parallel workers).
 *  4. The same three networks in plain PyTorch (bench/pytorch/nf_bench.py, Debian's python3-torch),
 *     2 threads, and our / PyTorch ratios; without PyTorch, the reference figures measured earlier.
 *
 * The `wasm+onednn` column is the wasm backend with @nf/onednn's kernels (oneDNN convolutions and
 * matrix products on the wasm heap; skipped with one line when its addon is not built). Its peak is
 * oneDNN's own sgemm through the addon (1 and all threads; the machine's GEMM peak is the best of that,
 * torch.mm and PyTorch's oneDNN GEMM), its conv rates are measured on 1 thread and on all cores, and
 * its train rates for 1 worker with oneDNN on 1 thread, 1 worker with oneDNN on every core (the
 * trainer's default with the accelerator) and one worker per core with oneDNN on one core each.
 * Kernel calls per training step (engine dispatches on the main thread) are counted for each net.
 *
 * Env: NF_BACKENDS (default wasm,wasm+onednn,cpu), BENCH_STEPS (timed steps, default 5), BENCH_NETS
 * (comma list of tiny,resnet26,f0), BENCH_CPU_ALL=1 (also the big nets on the slow cpu backend),
 * NF_PYTHON (default /usr/bin/python3). Prints JSON lines, then one Markdown table.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { configOf, createModel, countParams } from '@nf/models';
import { createOptimizer, DataParallel, trainStep } from '../dist/index.js';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** @nf/onednn (an optional dependency of the trainer), or why it is not here. */
const onednn = await import('@nf/onednn').catch((e) => ({ missing: `@nf/onednn is not installed (${String(e.message).split('\n')[0]})` }));
const onednnStatus = onednn.missing ? { available: false, reason: onednn.missing } : onednn.oneDnnStatus();

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const cores = availableParallelism();
const loadAtStart = loadavg()[0];
const steps = Number(process.env.BENCH_STEPS ?? 5);
const backends = (process.env.NF_BACKENDS ?? 'wasm,wasm+onednn,cpu').split(',').filter(Boolean);
const netFilter = new Set((process.env.BENCH_NETS ?? 'tiny,resnet26,f0').split(','));
const python = process.env.NF_PYTHON ?? '/usr/bin/python3';
/** PyTorch 1.13, 2 threads, measured earlier on this kind of 2-core machine (tfjs-notes.md). */
const REFERENCE_TORCH = { tiny: 1266, resnet26: 65.0, f0: 13.8 };

const NETS = [
  { key: 'tiny', label: 'tiny NFNet 32² b32', config: configOf('dm_nfnet_f0', { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], groupSize: 8, stemChannels: 32, numFeatures: 256, numClasses: 10, dropRate: 0, dropPathRate: 0 }), res: 32, batch: 32 },
  { key: 'resnet26', label: 'NF-ResNet-26 64² b16', config: configOf('nf_resnet26', { dropRate: 0, dropPathRate: 0 }), res: 64, batch: 16 },
  { key: 'f0', label: 'NFNet-F0 64² b8', config: configOf('dm_nfnet_f0', { dropRate: 0, dropPathRate: 0 }), res: 64, batch: 8 },
].filter((n) => netFilter.has(n.key));

/** Per-group conv shapes of NFNet-F0 at 64² input, batch 8 (group width 128). */
const CONVS = [
  { name: 'stem 3×3 3→16 s2 @64²', hw: 64, cin: 3, cout: 16, k: 3, stride: 2 },
  { name: 'stage1 3×3 128→128 @16²', hw: 16, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stage1 1×1 128→256 @16²', hw: 16, cin: 128, cout: 256, k: 1, stride: 1 },
  { name: 'stage2 3×3 128→128 s2 @16²', hw: 16, cin: 128, cout: 128, k: 3, stride: 2 },
  { name: 'stage2 3×3 128→128 @8²', hw: 8, cin: 128, cout: 128, k: 3, stride: 1 },
  { name: 'stage3 3×3 128→128 @4²', hw: 4, cin: 128, cout: 128, k: 3, stride: 1 },
];

const emit = (o) => console.log(JSON.stringify(o));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Median ms of `fn(i)` over `reps` calls after warm-up calls (i = 0 warm-up, then 1 … reps). The cpu
 * and wasm backends run kernels synchronously, so the call's duration is the kernel's: no read-back
 * (a dataSync would add a copy of the output to JavaScript, as much as the stem conv itself).
 * Outputs are disposed each time: a leaked output makes the next one fresh wasm memory, whose first
 * touch costs ~2.5 ns per byte on this machine.
 */
function timeMs(fn, reps = 5) {
  // Three warm-up calls: V8 compiles wasm code in tiers, and the first kernel timed after a switch
  // of shapes (the stem, first in the table) otherwise runs partly in baseline code.
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

function matMulGflops() {
  const a = tf.randomNormal([1024, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  // A peak is the best rate reached: after warm-up calls (V8 compiles the wasm code in tiers, so
  // the first calls run baseline code), the fastest of 20.
  for (let i = 0; i < 5; i++) tf.dispose(tf.matMul(a, b));
  let ms = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    ms = Math.min(ms, performance.now() - t0);
    tf.dispose(c);
  }
  tf.dispose([a, b]);
  return (2 * 1024 ** 3) / ms / 1e6;
}

/** Every core at once: one worker per core, each timing wasm matMuls; the sum of their rates. */
async function parallelMatMulGflops(threads) {
  // An eval'd worker resolves packages from the working directory (the repo root has no tfjs): pass
  // the files this module resolves.
  const tfUrl = import.meta.resolve('@tensorflow/tfjs');
  const wasmUrl = import.meta.resolve('@tensorflow/tfjs-backend-wasm');
  const code = `
    const { parentPort } = require('node:worker_threads');
    (async () => {
      const tf = await import(${JSON.stringify(tfUrl)});
      await import(${JSON.stringify(wasmUrl)});
      await tf.setBackend('wasm');
      const a = tf.randomNormal([1024, 1024]), b = tf.randomNormal([1024, 1024]);
      tf.matMul(a, b).dataSync();
      parentPort.postMessage('ready');
      parentPort.once('message', () => {
        const t0 = performance.now(); let n = 0;
        while (performance.now() - t0 < 3000) { const c = tf.matMul(a, b); c.dataSync(); c.dispose(); n++; }
        parentPort.postMessage((2 * 1024 ** 3 * n) / (performance.now() - t0) / 1e6);
      });
    })();`;
  const workers = Array.from({ length: threads }, () => new Worker(code, { eval: true }));
  const once = (w) => new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await Promise.all(workers.map(once));
  const rates = workers.map(once);
  workers.forEach((w) => w.postMessage('go'));
  const sum = (await Promise.all(rates)).reduce((a, b) => a + b, 0);
  await Promise.all(workers.map((w) => w.terminate()));
  return sum;
}

function convRates(reps) {
  const rows = [];
  for (const s of CONVS) {
    const x = tf.randomNormal([8, s.hw, s.hw, s.cin]);
    // A new filter tensor for every call, as in training (the standardized weight is new each
    // step): the wasm backend caches a conv's packed filter under the filter's id, which would
    // flatter the forward with an inference-style cache hit.
    const ws = Array.from({ length: reps + 1 }, (_, i) => tf.randomNormal([s.k, s.k, s.cin, s.cout], 0, 0.1, 'float32', i + 1));
    const w = ws[0];
    const y = tf.conv2d(x, w, s.stride, 'same');
    const dy = tf.onesLike(y);
    const flops = 2 * y.size * s.cin * s.k * s.k;
    const g = (ms) => flops / ms / 1e6;
    const conv = { strides: [s.stride, s.stride], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
    rows.push({
      shape: s.name,
      fwd: g(timeMs((i) => tf.conv2d(x, ws[i], s.stride, 'same'), reps)),
      dx: g(timeMs((i) => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: ws[i] }, { ...conv, inputShape: x.shape }), reps)),
      // The dW kernel alone (tf.grad would time the forward conv too).
      dw: g(timeMs(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: w.shape }), reps)),
    });
    tf.dispose([x, ...ws, y, dy]);
  }
  return rows;
}

/** Engine kernel dispatches during `fn` (top-level and the gradients' kernels; not kernels run inside kernels). */
async function countDispatches(fn) {
  const engine = tf.engine();
  const original = engine.runKernel;
  let n = 0;
  engine.runKernel = function (...args) {
    n++;
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    engine.runKernel = original;
  }
  return n;
}

async function trainRate(net, backend, threads, counts) {
  const model = createModel(net.config);
  // The trainer's own choice: the host update on cpu and wasm.
  const optimizer = createOptimizer(model.trainableWeights.map((w) => w.read()), 0.01, 0.9, true);
  const x = tf.randomNormal([net.batch, net.res, net.res, net.config.inChannels], 0, 1, 'float32', 1);
  const y = tf.tensor1d(Array.from({ length: net.batch }, (_, i) => i % net.config.numClasses), 'int32');
  const options = { clipping: 0.01, weightDecay: 2e-5, labelSmoothing: 0.1, accumulation: 1, numClasses: net.config.numClasses, onNan: 'skip' };
  const parallel = threads > 1 ? await DataParallel.start(model, net.config, backend, threads) : undefined;
  const step = async () => (parallel ? parallel.step(model, optimizer, x, y, 0.01, options) : trainStep(model, optimizer, x, y, 0.01, options));
  const n = backend === 'cpu' ? Math.min(steps, 2) : steps;
  try {
    for (let i = 0; i < (backend === 'cpu' ? 1 : 2); i++) await step();
    if (counts) counts.dispatches = await countDispatches(step);
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await step();
      times.push(performance.now() - t0);
    }
    return (net.batch * 1000) / median(times);
  } finally {
    await parallel?.close();
    tf.dispose([x, y]);
    optimizer.dispose();
    model.dispose();
  }
}

function pytorch(threads = cores, extra = []) {
  const script = here('../../../bench/pytorch/nf_bench.py');
  if (!existsSync(python) || !existsSync(script)) return { missing: `${existsSync(script) ? python : script} not found` };
  try {
    const out = execFileSync(python, [script, '--threads', String(threads), ...extra, '--json-only', '--steps', String(steps), '--only', NETS.map((n) => ({ tiny: 'tiny_nfnet', resnet26: 'nf_resnet26', f0: 'nfnet_f0' })[n.key]).join(',')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const lines = out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    if (lines.some((l) => l.bench === 'torch-missing')) return { missing: `PyTorch is not installed for ${python} (apt-get install python3-torch)` };
    return { lines };
  } catch (e) {
    return { missing: `the PyTorch benchmark failed: ${String(e.message).split('\n')[0]}` };
  }
}

// ---- run ----
const train = [];
const kernels = {};
const peaks = {};
const kernelsAll = {};
const dispatches = {};
for (const backend of backends) {
  const accelerated = backend === 'wasm+onednn';
  const tfBackend = accelerated ? 'wasm' : backend;
  if (accelerated && !onednnStatus.available) {
    console.log(`wasm+onednn: skipped — ${onednnStatus.reason}`);
    continue;
  }
  if (!(await tf.setBackend(tfBackend))) {
    console.log(`${backend}: not available, skipped`);
    continue;
  }
  await tf.ready();
  if (tfBackend === 'wasm' && !onednn.missing) {
    if (accelerated) onednn.registerOneDnnKernels({ threads: 1 });
    else onednn.unregisterOneDnnKernels();
  }
  if (accelerated) {
    // oneDNN's sgemm through the addon, 1024² and 2048², on one thread and on every core.
    const gemm = (threads) => {
      onednn.setOneDnnThreads(threads);
      return Math.max(onednn.oneDnnGemmGflops(1024, 1500), onednn.oneDnnGemmGflops(2048, 1500));
    };
    peaks[backend] = { one: gemm(1), all: gemm(cores) };
    onednn.setOneDnnThreads(1);
  } else {
    peaks[backend] = { one: matMulGflops() };
    if (backend === 'wasm') peaks[backend].all = await parallelMatMulGflops(cores);
  }
  emit({ bench: 'matmul', backend, oneThreadGflops: peaks[backend].one, allCoresGflops: peaks[backend].all ?? null, cores, ...(accelerated ? { source: 'oneDNN sgemm (addon)' } : {}) });
  kernels[backend] = convRates(backend === 'cpu' ? 1 : 5);
  for (const r of kernels[backend]) emit({ bench: 'conv', backend, threads: 1, ...r, peakGflops: peaks[backend].one });
  if (accelerated && cores > 1) {
    onednn.setOneDnnThreads(cores);
    kernelsAll[backend] = convRates(5);
    for (const r of kernelsAll[backend]) emit({ bench: 'conv', backend, threads: cores, ...r, peakGflops: peaks[backend].all });
  }
  // Train configurations: [label, data-parallel workers, oneDNN threads per worker].
  const configs = accelerated
    ? [['1', [1, 1]], ...(cores > 1 ? [[`1 worker × ${cores} oneDNN threads (default)`, [1, cores]], [`${cores} workers × 1 oneDNN thread`, [cores, 1]]] : [])]
    : [...new Set([1, cores])].map((t) => [String(t), [t, 1]]);
  for (const net of NETS) {
    if (backend === 'cpu' && net.key !== 'tiny' && !process.env.BENCH_CPU_ALL) {
      console.log(`cpu: ${net.label} skipped (minutes per step; BENCH_CPU_ALL=1 runs it)`);
      continue;
    }
    for (const [threadLabel, [workers, dnnThreads]] of configs) {
      let imgPerSec;
      const counts = workers === 1 && (dnnThreads === 1 || !accelerated) ? {} : undefined;
      try {
        // DataParallel shares the cores out itself (oneDNN threads = cores / workers in every thread).
        if (accelerated) onednn.setOneDnnThreads(dnnThreads);
        imgPerSec = await trainRate(net, tfBackend, workers, counts);
      } catch (e) {
        const error = String(e?.message ?? e).split('\n')[0];
        if (process.env.BENCH_DEBUG) console.error(e);
        emit({ bench: 'train', net: net.key, backend, threads: threadLabel, batch: net.batch, res: net.res, error });
        train.push({ net: net.key, label: net.label, backend, threads: threadLabel, imgPerSec: Number.NaN, error });
        continue;
      }
      if (counts?.dispatches) (dispatches[net.key] ??= {})[backend] = counts.dispatches;
      train.push({ net: net.key, label: net.label, backend, threads: threadLabel, imgPerSec });
      emit({ bench: 'train', net: net.key, backend, threads: threadLabel, workers, ...(accelerated ? { onednnThreads: dnnThreads } : {}), batch: net.batch, res: net.res, params: countParams(net.config), imgPerSec, ...(counts?.dispatches ? { kernelCallsPerStep: counts.dispatches } : {}) });
    }
  }
  if (accelerated) onednn.unregisterOneDnnKernels();
}
const torch = pytorch();
const trainOf = (lines) => Object.fromEntries((lines ?? []).filter((l) => l.bench === 'torch-train').map((l) => [{ tiny_nfnet: 'tiny', nf_resnet26: 'resnet26', nfnet_f0: 'f0' }[l.net], l.imgPerSec]));
const torchTrain = trainOf(torch.lines);
// PyTorch on one thread too (training only), the peer of our one-thread rows: on a shared machine
// the one-thread comparison is the one another process's load disturbs least.
const torchOne = cores > 1 && !torch.missing ? pytorch(1, ['--skip-kernels']) : { lines: [] };
for (const l of torchOne.lines ?? []) emit({ ...l, threads: 1 });
const torchTrainOne = trainOf(torchOne.lines);
// torch.mm goes through Debian's generic BLAS (slow); the oneDNN GEMM is the one PyTorch's convs use.
const torchMm = (torch.lines ?? []).find((l) => l.bench === 'torch-matmul');
const torchGemm = (torch.lines ?? []).find((l) => l.bench === 'torch-gemm-onednn');
for (const l of torch.lines ?? []) emit(l);
if (torch.missing) emit({ bench: 'torch-missing', reason: torch.missing, reference: REFERENCE_TORCH });

const f = (v, d = 1) => (v === undefined || v === null || !Number.isFinite(v) ? '–' : v.toFixed(d));
console.log(`\n## Peak (1024² matMul, GFLOP/s)\n`);
for (const [b, p] of Object.entries(peaks)) console.log(`- ${b}${b === 'wasm+onednn' ? ' (oneDNN sgemm through the addon, 1024² and 2048²)' : ''}: ${f(p.one)} on one thread${p.all ? `, ${f(p.all)} on ${cores} threads at once` : ''}`);
if (torchGemm) console.log(`- PyTorch oneDNN GEMM (as a 1×1 conv), ${torchGemm.threads} threads: ${f(torchGemm.gflops)}`);
if (torchMm) console.log(`- PyTorch torch.mm (Debian's BLAS), ${torchMm.threads} threads: ${f(torchMm.gflops)}`);
// The machine's GEMM peak: the best of every GEMM measured in this run at that thread count.
const machinePeak = {
  one: Math.max(...Object.values(peaks).map((p) => p.one)),
  all: Math.max(...Object.values(peaks).map((p) => p.all ?? 0), torchGemm?.threads === cores ? torchGemm.gflops : 0, torchMm?.threads === cores ? torchMm.gflops : 0),
};
const convTable = (b, rows, threads, peak) => {
  console.log(`\n## Conv kernels on ${b}, ${threads === 1 ? 'one thread' : `${threads} threads`} (GFLOP/s; % of the machine's ${threads === 1 ? 'one-thread' : `${threads}-thread`} GEMM peak ${f(peak)} measured in this run)\n`);
  console.log('| F0 conv, 64² input, batch 8 | forward | dX | dW |');
  console.log('|---|---:|---:|---:|');
  const pct = (v) => `${f(v)} (${Math.round((100 * v) / peak)} %)`;
  for (const r of rows) console.log(`| ${r.shape} | ${pct(r.fwd)} | ${pct(r.dx)} | ${pct(r.dw)} |`);
};
for (const [b, rows] of Object.entries(kernels)) convTable(b, rows, 1, machinePeak.one);
for (const [b, rows] of Object.entries(kernelsAll)) convTable(b, rows, cores, machinePeak.all);
if (Object.keys(dispatches).length) {
  console.log(`\n## Kernel calls per training step (engine dispatches, 1 thread)\n`);
  const bs = [...new Set(Object.values(dispatches).flatMap((d) => Object.keys(d)))];
  console.log(`| network | ${bs.join(' | ')} |`);
  console.log(`|---|${bs.map(() => '---:').join('|')}|`);
  for (const net of NETS) if (dispatches[net.key]) console.log(`| ${net.label} | ${bs.map((b) => dispatches[net.key][b] ?? '–').join(' | ')} |`);
}
const peerNote = torch.missing ? `PyTorch missing (${torch.missing}): reference figures, PyTorch 1.13 on 2 threads, measured earlier` : `PyTorch ${torch.lines.find((l) => l.torch)?.torch ?? ''}, ${cores} threads (1 thread for our one-thread rows), this run`;
console.log(`\n## Train step img/s (forward + backward + AGC + weight decay + Nesterov SGD)\n`);
console.log(`| network | backend | threads | ours img/s | PyTorch threads | PyTorch img/s | ours / PyTorch |`);
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of train) {
  const one = r.threads === '1' && torchTrainOne[r.net] !== undefined;
  const measured = one ? torchTrainOne[r.net] : torchTrain[r.net];
  const peer = measured ?? REFERENCE_TORCH[r.net];
  console.log(`| ${r.label} | ${r.backend} | ${r.threads} | ${r.error ? `failed: ${r.error}` : f(r.imgPerSec)} | ${one ? 1 : cores} | ${f(peer)}${measured !== undefined ? '' : ' (ref.)'} | ${f(r.imgPerSec / peer, 2)} |`);
}
console.log(`\nPeer: ${peerNote}. Load average (1 min) at the start ${loadAtStart.toFixed(2)}, at the end ${loadavg()[0].toFixed(2)} on ${cores} cores: other processes' load slows the multi-thread rows (ours and PyTorch's) most.`);
