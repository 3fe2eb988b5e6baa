#!/usr/bin/env node
/**
 * Convolution throughput for every distinct conv shape of a network's stage plan (@nf/models
 * stagePlan/allConvs) at a resolution and batch, through @nf/ws-conv's groupedConv2d with 'same'
 * padding (the grouped convs run as split → conv per group → concat, as in the model). Per shape:
 * forward GFLOP/s, and forward + backward (dX and dW through tf.grads) GFLOP/s counted as 3× the
 * forward FLOPs. One JSON line per shape; --shapes-out writes the shapes for bench_torch.py.
 *
 * node scripts/gpu/bench-conv.mjs --backend webgpu --model dm_nfnet_f0 --res 224 --batch 32
 *   [--iters 10] [--budget-s 90] [--overrides '{...}'] [--shapes-out file.json]
 */
import { writeFileSync } from 'node:fs';
import { tf, useBackend, settle, parseFlags, emit } from './backend.mjs';
import { loadFrom } from './resolve.mjs';

const f = parseFlags(process.argv.slice(2));
const backend = f.backend ?? 'webgpu';
const modelName = f.model ?? 'dm_nfnet_f0';
const res = Number(f.res ?? 224);
const batch = Number(f.batch ?? 32);
const iters = Number(f.iters ?? 10);
const budget = Number(f['budget-s'] ?? 90) * 1000;
const overrides = JSON.parse(f.overrides ?? '{}');

const started = performance.now();
const { adapter, errors } = await useBackend(backend);
const { configOf, stagePlan, allConvs } = await loadFrom('@nf/models');
const { groupedConv2d } = await loadFrom('@nf/ws-conv');

const plan = stagePlan(configOf(modelName, overrides), res);
const shapes = new Map();
for (const c of allConvs(plan)) {
  const inSize = c.outSize * c.stride;
  const key = `${c.inChannels}→${c.outChannels} k${c.kernel} s${c.stride} g${c.groups} @${inSize}`;
  const stage = c.name.split('.').slice(0, 2).join('.').replace(/\.conv\d*$/, '');
  const s = shapes.get(key) ?? { key, stage, first: c.name, count: 0, cin: c.inChannels, cout: c.outChannels, k: c.kernel, stride: c.stride, groups: c.groups, hw: inSize, outHw: c.outSize };
  s.count += 1;
  shapes.set(key, s);
}
const list = [...shapes.values()];
if (f['shapes-out']) writeFileSync(f['shapes-out'], `${JSON.stringify({ model: modelName, res, batch, shapes: list }, null, 1)}\n`);

/** Seconds per call of fn (which returns a tensor), after 2 warm-up calls; synchronised by reading a scalar. */
async function timeIt(fn) {
  for (let i = 0; i < 2; i++) {
    const y = fn();
    const s = tf.sum(Array.isArray(y) ? y[1] : y);
    await s.data();
    tf.dispose([y, s]);
  }
  const t0 = performance.now();
  let last;
  for (let i = 0; i < iters; i++) {
    tf.dispose(last);
    last = fn();
  }
  const s = tf.sum(Array.isArray(last) ? last[1] : last);
  await s.data();
  const seconds = (performance.now() - t0) / 1000 / iters;
  tf.dispose([last, s]);
  return seconds;
}

for (const s of list) {
  const record = { bench: 'conv', impl: 'tfjs', backend, adapter, model: modelName, res, batch, ...s };
  if (performance.now() - started > budget) {
    emit({ ...record, ok: false, skipped: true, error: `time budget (${budget / 1000} s) exceeded` });
    continue;
  }
  const flops = 2 * batch * s.outHw * s.outHw * s.cout * (s.cin / s.groups) * s.k * s.k;
  let x;
  let w;
  try {
    errors.length = 0;
    x = tf.randomNormal([batch, s.hw, s.hw, s.cin], 0, 1, 'float32', 1);
    w = tf.randomNormal([s.k, s.k, s.cin / s.groups, s.cout], 0, 0.05, 'float32', 2);
    const opts = { strides: s.stride, padding: 'same', groups: s.groups };
    const fwd = await timeIt(() => groupedConv2d(x, w, opts));
    const grad = tf.grads((a, b) => tf.sum(groupedConv2d(a, b, opts)));
    const both = await timeIt(() => {
      const [dx, dw] = grad([x, w]);
      return [dx, dw];
    });
    await settle();
    if (errors.length) throw new Error(`WebGPU: ${errors[0]}`);
    emit({ ...record, ok: true, gflop: flops / 1e9, fwdMs: fwd * 1000, fwdGflops: flops / fwd / 1e9, fwdBwdMs: both * 1000, fwdBwdGflops: (3 * flops) / both / 1e9 });
  } catch (e) {
    emit({ ...record, ok: false, error: String(e?.message ?? e).split('\n')[0].slice(0, 300) });
  } finally {
    tf.dispose([x, w].filter(Boolean));
  }
}
process.exit(0);
