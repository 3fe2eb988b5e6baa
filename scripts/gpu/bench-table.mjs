#!/usr/bin/env node
/**
 * Reads the JSON lines of bench-train.mjs, bench-conv.mjs and bench_torch.py (one file) and prints
 * Markdown tables: training img/s per model and batch (ours, PyTorch, ours/PyTorch), the largest
 * batch that fitted on each side, and conv GFLOP/s per shape with the same ratios.
 * node scripts/gpu/bench-table.mjs results.jsonl
 */
import { readFileSync } from 'node:fs';

const lines = readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.startsWith('{'));
const rows = lines.map((l) => {
  try {
    return JSON.parse(l);
  } catch {
    return undefined;
  }
}).filter(Boolean);
const fmt = (v, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '—');
/** 3 significant digits below 100, whole numbers above. */
const num = (v) => (typeof v !== 'number' || !Number.isFinite(v) ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}×` : '—');
const ours = rows.filter((r) => r.impl === 'tfjs');
const torch = rows.filter((r) => r.impl === 'torch');
const first = (list, pred) => list.find(pred);
const out = [];

const tfjsInfo = first(ours, (r) => r.adapter);
const torchInfo = first(torch, (r) => r.device);
out.push(`ours: tfjs ${tfjsInfo?.backend ?? '?'} on ${tfjsInfo?.adapter || '?'}; PyTorch: ${torchInfo ? `${torchInfo.torch} ${torchInfo.source ?? ''} on ${torchInfo.device}, ${torchInfo.precision}` : 'not run'}`);
const torchSkip = first(torch, (r) => r.skipped && /torch|timm|CUDA|model/.test(r.error ?? ''));
if (torchSkip) out.push(`PyTorch: ${torchSkip.error}`);
out.push('');

const models = [...new Set(rows.filter((r) => r.bench === 'train' && r.res !== undefined).map((r) => `${r.model}@${r.res}`))];
if (models.length) {
  for (const key of models) {
    const [model, res] = key.split('@');
    out.push('| model | res | batch | ours img/s | ours step ms | ours 1st step s | PyTorch img/s | PyTorch step ms | ours/PyTorch |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    const o = ours.filter((r) => r.bench === 'train' && r.model === model && String(r.res) === res);
    const t = torch.filter((r) => r.bench === 'train' && r.model === model && String(r.res) === res);
    const batches = [...new Set([...o, ...t].map((r) => r.batch).filter((b) => b !== undefined))].sort((a, b) => a - b);
    for (const b of batches) {
      const ro = first(o, (r) => r.batch === b);
      const rt = first(t, (r) => r.batch === b);
      const cell = (r, field, d) => (r?.ok ? fmt(r[field], d) : r ? (r.skipped ? 'skipped' : r.oom || /memory|size|limit/i.test(r.error ?? '') ? 'no fit' : 'failed') : '—');
      out.push(`| ${model} | ${res} | ${b} | ${cell(ro, 'imgPerSec')} | ${cell(ro, 'stepMs', 0)} | ${cell(ro, 'firstStepS', 1)} | ${cell(rt, 'imgPerSec')} | ${cell(rt, 'stepMs', 0)} | ${ro?.ok && rt?.ok ? ratio(ro.imgPerSec, rt.imgPerSec) : '—'} |`);
    }
    const maxOk = (list) => Math.max(0, ...list.filter((r) => r.ok).map((r) => r.batch));
    const why = (list) => first(list, (r) => !r.ok && !r.skipped)?.error;
    out.push('');
    out.push(`${model} @${res}²: largest batch that ran — ours ${maxOk(o) || 'none'}${why(o) ? ` (next: ${why(o)})` : ''}; PyTorch ${maxOk(t) || 'none'}${why(t) ? ` (next: ${why(t)})` : ''}`);
    out.push('');
  }
}

const convs = ours.filter((r) => r.bench === 'conv');
if (convs.length) {
  const c0 = convs[0];
  out.push(`Convolutions of ${c0.model} at ${c0.res}², batch ${c0.batch} ('same' padding; fwd+bwd = forward, dX and dW, counted as 3× the forward FLOPs):`);
  out.push('');
  out.push('| stage | shape | × | GFLOP | ours fwd GFLOP/s | PyTorch fwd | ratio | ours fwd+bwd GFLOP/s | PyTorch fwd+bwd | ratio |');
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  let tOurs = 0;
  let tTorch = 0;
  let complete = true;
  for (const r of convs) {
    const t = first(torch, (x) => x.bench === 'conv' && x.key === r.key);
    out.push(`| ${r.stage} | ${r.key} | ${r.count} | ${num(r.gflop)} | ${r.ok ? num(r.fwdGflops) : 'failed'} | ${t?.ok ? num(t.fwdGflops) : '—'} | ${r.ok && t?.ok ? ratio(r.fwdGflops, t.fwdGflops) : '—'} | ${r.ok ? num(r.fwdBwdGflops) : '—'} | ${t?.ok ? num(t.fwdBwdGflops) : '—'} | ${r.ok && t?.ok ? ratio(r.fwdBwdGflops, t.fwdBwdGflops) : '—'} |`);
    if (r.ok && t?.ok) {
      tOurs += r.count * r.fwdBwdMs;
      tTorch += r.count * t.fwdBwdMs;
    } else complete = false;
  }
  out.push('');
  if (tTorch > 0) out.push(`all convs of one ${c0.model} step (each shape × its count), fwd+bwd: ours ${fmt(tOurs, 0)} ms, PyTorch ${fmt(tTorch, 0)} ms, ours/PyTorch speed ${ratio(tTorch, tOurs)}${complete ? '' : ' (shapes that failed on either side left out)'}`);
}
console.log(out.join('\n'));
