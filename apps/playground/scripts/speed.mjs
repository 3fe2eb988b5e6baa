#!/usr/bin/env node
/**
 * `pnpm --filter @nf/playground bench`: the playground's training speed in headless Chromium on each
 * backend, driven by its URL (?autostart=1&steps=N&backend=…). Steps per second are the median over
 * the steps after the first (the first compiles the shaders / kernels; its time is printed apart).
 *
 * Env: BENCH_BACKENDS (default webgpu,webgl,wasm), BENCH_STEPS (default 6), BENCH_BATCH (default 32),
 * BENCH_MODEL (default nfnet_base_mnist, the trainer's Fashion-MNIST model), CHROMIUM_PATH.
 * Needs the built page (pnpm --filter @nf/playground build). Prints JSON lines, then a Markdown table.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium, serveStatic, waitFor } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const backends = (process.env.BENCH_BACKENDS ?? 'webgpu,webgl,wasm').split(',').filter(Boolean);
const steps = Number(process.env.BENCH_STEPS ?? 6);
const batch = Number(process.env.BENCH_BATCH ?? 32);
const model = process.env.BENCH_MODEL ?? 'nfnet_base_mnist';

if (!existsSync(path.join(dist, 'index.html'))) throw new Error(`the page is not built: run pnpm --filter @nf/playground build first.`);
if (!existsSync(chromium)) throw new Error(`no Chromium at ${chromium}: apt-get install chromium, or set CHROMIUM_PATH.`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const server = await serveStatic(dist);
const browser = await launchChromium(chromium);
const rows = [];
try {
  for (const backend of backends) {
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}/?autostart=1&steps=${steps}&backend=${backend}&batch=${batch}&model=${model}&evalEvery=0&evalLimit=64`, { waitUntil: 'load' });
      const r = await waitFor(page, (x) => x.state === 'done', `${backend} to finish`, 900_000);
      const seconds = r.steps.map((s) => batch / s.imgPerSec);
      const row = {
        backend: r.backend,
        adapter: r.adapter,
        model,
        batch,
        firstStepSeconds: seconds[0],
        stepsPerSecond: 1 / median(seconds.slice(1)),
        imgPerSecond: batch / median(seconds.slice(1)),
        tensors: [...new Set(r.steps.slice(1).map((s) => s.numTensors))],
      };
      rows.push(row);
      console.log(JSON.stringify(row));
    } finally {
      await page.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
console.log(`\n| backend | adapter | model, batch | first step (s) | steps/s | img/s |\n|---|---|---|---|---|---|`);
for (const r of rows) console.log(`| ${r.backend} | ${r.adapter} | ${r.model}, ${r.batch} | ${r.firstStepSeconds.toFixed(1)} | ${r.stepsPerSecond.toFixed(3)} | ${r.imgPerSecond.toFixed(1)} |`);
