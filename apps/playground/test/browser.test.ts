/**
 * The playground in a real browser: Debian's Chromium, headless, driven by puppeteer-core (no
 * browser download), WebGPU on SwiftShader and WebGL on SwiftShader. Checks that the page trains
 * N steps from its URL on each backend, that the first steps' losses equal the Node cpu backend's
 * for the same seed and batch, that the tensor count stays flat, that the status line shows the
 * backend and the loss, and that classifying a known image with a model trained by nf-train gives
 * `nf-train predict`'s top-1. Screenshots go to test-output/ (looked at by a person, not compared).
 *
 * Needs the built page (`pnpm --filter @nf/playground build`, which turbo runs before the tests) and
 * Chromium (CHROMIUM_PATH, default /usr/bin/chromium): without it the suite is skipped with one line,
 * except under NF_REQUIRE_CHROMIUM=1 (set by .ci/run once it installed Chromium), where it fails.
 */
import * as tf from '@tensorflow/tfjs';
import { fashionMnist } from '@nf/data/node';
import type { RasterDataset } from '@nf/trainer/step';
import { encodePng } from '@nf/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'puppeteer-core';
import { datasetsFrom, type StepMetrics } from '../src/session.js';
import { REFERENCE_RUN, referenceLosses } from './reference-run.js';
import { launchChromium, serveStatic, waitFor, type StaticServer } from '../scripts/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const shots = path.resolve(here, '../test-output');
const trainerCli = path.resolve(here, '../../trainer/dist/cli.js');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.NF_REQUIRE_CHROMIUM === '1';

const missing = !existsSync(chromium) ? `no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)` : !existsSync(path.join(dist, 'index.html')) ? `the page is not built (${dist}/index.html missing: pnpm --filter @nf/playground build)` : undefined;
if (missing && !required) console.log(`playground browser tests skipped: ${missing}.`);

describe.skipIf(missing !== undefined && !required)('the playground in Chromium (SwiftShader)', () => {
  let server: StaticServer;
  let browser: Browser;
  let reference: StepMetrics[];
  let sets: { train: RasterDataset; test: RasterDataset };
  const work = mkdtempSync(path.join(tmpdir(), 'nf-playground-'));

  beforeAll(async () => {
    if (missing) throw new Error(`NF_REQUIRE_CHROMIUM=1 but ${missing}.`);
    mkdirSync(shots, { recursive: true });
    await tf.setBackend('cpu');
    const [train, test] = await Promise.all([fashionMnist({ split: 'train' }), fashionMnist({ split: 'test' })]);
    sets = datasetsFrom(train, test, REFERENCE_RUN.seed);
    reference = await referenceLosses(sets.train, sets.test);
    server = await serveStatic(dist);
    browser = await launchChromium(chromium);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const url = (backend: string) =>
    `${server.url}/?autostart=1&steps=${REFERENCE_RUN.steps}&backend=${backend}&batch=${REFERENCE_RUN.batchSize}&seed=${REFERENCE_RUN.seed}&model=${REFERENCE_RUN.model}&evalEvery=0&evalLimit=64`;

  it.each(['webgpu', 'webgl'])('trains from its URL on %s: the Node cpu losses, a flat tensor count, the backend and loss on the page', async (backend) => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1100 });
    try {
      await page.goto(url(backend), { waitUntil: 'load' });
      const first = await waitFor(page, (r) => r.steps.length >= 1, 'the first step', 240_000);
      expect(first.backend).toBe(backend);
      await page.screenshot({ path: path.join(shots, `${backend}-training.png`) as `${string}.png`, fullPage: true });
      const r = await waitFor(page, (x) => x.state === 'done', 'the end of training', 300_000);
      await page.screenshot({ path: path.join(shots, `${backend}-done.png`) as `${string}.png`, fullPage: true });

      expect(r.fellBackFrom).toBeUndefined();
      expect(r.adapter ?? '').toMatch(/swiftshader|google|llvmpipe|lavapipe|vulkan|angle/i);
      expect(r.steps.map((s) => s.step)).toEqual([1, 2, 3]);
      // The same step on another backend: float32 everywhere, different summation orders.
      r.steps.forEach((s, i) => {
        const ref = reference[i]!;
        expect(Math.abs(s.loss - ref.loss)).toBeLessThan(i === 0 ? 1e-4 : 2e-3);
        expect(s.lr).toBe(ref.lr);
        expect(Math.abs(s.gradNorm - ref.gradNorm) / ref.gradNorm).toBeLessThan(i === 0 ? 1e-3 : 2e-2);
      });
      const counts = r.steps.map((s) => s.numTensors);
      expect(new Set(counts.slice(1)).size, `tensor counts per step: ${counts.join(', ')}`).toBe(1);
      const bytes = r.steps.map((s) => s.numBytes);
      expect(new Set(bytes.slice(1)).size, `bytes held per step: ${bytes.join(', ')}`).toBe(1);
      // The page's text: the backend's name and the current loss as a number.
      const shown = await page.evaluate(() => ({ backend: document.getElementById('backend')!.textContent, loss: document.getElementById('loss')!.textContent }));
      expect(shown.backend).toBe(backend);
      expect(Number(shown.loss)).toBeCloseTo(r.steps.at(-1)!.loss, 4);
      // SPP at initialisation and after training, and an evaluation at the end.
      expect(r.spp.map((s) => s.label)).toEqual(['initialisation', `after ${REFERENCE_RUN.steps} steps`]);
      expect(r.spp.every((s) => s.sites > 0 && Number.isFinite(s.finalVariance))).toBe(true);
      expect(r.evals.length).toBe(1);
      console.log(`playground ${backend}: ${r.adapter}; ${r.done!.stepsPerSecond.toFixed(3)} steps/s (batch ${REFERENCE_RUN.batchSize}, ${REFERENCE_RUN.model}, first step included); losses ${r.steps.map((s) => s.loss.toFixed(5)).join(', ')} vs cpu ${reference.map((s) => s.loss.toFixed(5)).join(', ')}`);
    } finally {
      await page.close();
    }
  }, 600_000);

  it("classifies a known image with a model trained by nf-train as `nf-train predict` does", async () => {
    const run = path.join(work, 'run');
    execFileSync(process.execPath, [trainerCli, 'train', '--backend', 'wasm', '--workers', '1', '--model', 'nfnet_tiny_mnist', '--batch-size', '32', '--max-steps', '40', '--epochs', '1', '--eval-limit', '64', '--out', run, '--overwrite'], { stdio: 'pipe' });
    const image = path.join(work, 'test-image.png');
    await writeTestImage(sets.test, image);
    const predicted = JSON.parse(execFileSync(process.execPath, [trainerCli, 'predict', path.join(run, 'model'), image, '--json'], { encoding: 'utf8' }).trim().split('\n')[0]!) as { top: Array<{ class: string; probability: number }> };
    const top1 = predicted.top[0]!;
    expect(top1.probability - predicted.top[1]!.probability, 'the test image must not be a near-tie').toBeGreaterThan(0.01);

    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1100 });
    try {
      await page.goto(`${server.url}/?backend=wasm&model=nfnet_tiny_mnist`, { waitUntil: 'load' });
      const modelInput = await page.$('input#model-files');
      const files = readdirSync(path.join(run, 'model')).map((f) => path.join(run, 'model', f));
      await modelInput!.uploadFile(...files);
      const loaded = await waitFor(page, (r) => r.modelLoaded !== undefined, 'the model to load', 120_000);
      expect(loaded.modelLoaded!.classNames).toContain(top1.class);
      const imageInput = await page.$('input#image-file');
      await imageInput!.uploadFile(image);
      const r = await waitFor(page, (x) => x.predictions.some((p) => p.source === 'loaded'), 'a prediction', 120_000);
      const ours = r.predictions.find((p) => p.source === 'loaded')!.top;
      await page.screenshot({ path: path.join(shots, 'classify.png') as `${string}.png`, fullPage: true });
      expect(ours[0]!.name).toBe(top1.class);
      expect(Math.abs(ours[0]!.probability - top1.probability)).toBeLessThan(1e-3);
    } finally {
      await page.close();
    }
  }, 400_000);
});

/** Test image 0 of the bundled set as an 8-bit grayscale PNG (lossless: both decoders see the same pixels). */
async function writeTestImage(test: RasterDataset, file: string): Promise<void> {
  const px = await test.evalImage(0);
  if (!px) throw new Error('no test image 0');
  writeFileSync(file, encodePng(px.data, px.width, px.height, px.channels));
}
