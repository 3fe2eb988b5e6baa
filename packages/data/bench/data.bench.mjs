/**
 * Pipeline throughput (images/s): decode + random resized crop + flip + RandAugment (4 layers,
 * magnitude 5, NFNet-F0's) + normalisation + tensor creation, for a folder of generated 256×256
 * JPEGs at 224 output and for the bundled Fashion-MNIST subset at 28×28; with 0 (main thread), 1
 * and 2 workers. The first batch (worker start-up) is not timed. For scale, the same machine's
 * training step of a deliberately tiny CNN on the cpu backend: NFNets are far slower per image.
 * "main thread busy" is the event-loop utilisation while timing: with workers it is the share of
 * the main thread the pipeline takes (tensor creation), the rest is free for training.
 * Run: pnpm --filter @nf/data bench   (after pnpm build; BENCH_JPEGS=192, BENCH_WORKERS=0,1,2)
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { createPipeline, fashionMnist, imageFolder } from '@nf/data/node';

const JPEGS = Number(process.env.BENCH_JPEGS ?? 192);
const WORKERS = (process.env.BENCH_WORKERS ?? '0,1,2').split(',').map(Number);
const AUGMENT = { randomResizedCrop: true, flip: true, randAugment: { layers: 4, magnitude: 5 } };
await tf.setBackend('cpu');

/** A 256×256 photo-like JPEG: smooth colour fields, a few discs, sensor noise. */
async function makeJpeg(seed) {
  let s = seed * 2654435761 >>> 0;
  const rand = () => ((s = (s + 0x6d2b79f5) >>> 0), ((Math.imul(s ^ (s >>> 15), s | 1) >>> 0) % 100000) / 100000);
  const n = 256;
  const raw = Buffer.alloc(n * n * 3);
  const f = [rand() * 0.05, rand() * 0.05, rand() * 6];
  const discs = Array.from({ length: 4 }, () => [rand() * n, rand() * n, 10 + rand() * 50, rand() * 255]);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const inDisc = discs.find(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 < r * r);
      for (let c = 0; c < 3; c++) {
        const base = inDisc ? inDisc[3] : 128 + 100 * Math.sin(f[0] * x + f[1] * y * (c + 1) + f[2]);
        raw[(y * n + x) * 3 + c] = Math.max(0, Math.min(255, base + (rand() - 0.5) * 20));
      }
    }
  }
  return sharp(raw, { raw: { width: n, height: n, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

async function rate(source, options) {
  const pipeline = createPipeline(source, { ...options, epochs: Infinity });
  let images = 0;
  let t0 = 0;
  let batches = 0;
  let elu;
  for await (const batch of pipeline) {
    tf.dispose([batch.images, batch.labels]);
    if (batches++ === 0) {
      t0 = performance.now();
      elu = performance.eventLoopUtilization();
    } else images += batch.size;
    if (images >= options.measure) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  // Share of wall time the main thread was busy (the rest is free for a trainer).
  const mainBusy = performance.eventLoopUtilization(elu).utilization;
  return { rate: images / seconds, mainBusy };
}

function tinyTrainerRate(size, batch, steps) {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [size, size, 3], filters: 16, kernelSize: 3, strides: 2, activation: 'relu' }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 10 }),
    ],
  });
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9, true), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, size, size, 3]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32'), 10);
  return (async () => {
    await model.trainOnBatch(x, y);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
    const r = (batch * steps) / ((performance.now() - t0) / 1000);
    tf.dispose([x, y]);
    model.dispose();
    return r;
  })();
}

const work = mkdtempSync(path.join(tmpdir(), 'nf-data-bench-'));
const rows = [];
try {
  for (let i = 0; i < JPEGS; i++) {
    const dir = path.join(work, `class${i % 4}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${i}.jpg`), await makeJpeg(i + 1));
  }
  const folder = await imageFolder(work);
  const fmnist = await fashionMnist();
  for (const workers of WORKERS) {
    const r = await rate(folder, { batchSize: 32, imageSize: 224, augment: AUGMENT, workers, measure: JPEGS * 2 });
    rows.push({ data: 'JPEG folder 256² → 224² (decode+RRC+flip+RA 4×5)', workers, ...r });
    console.log(JSON.stringify({ bench: 'data', ...rows.at(-1) }));
  }
  for (const workers of WORKERS) {
    const r = await rate(fmnist, { batchSize: 128, augment: AUGMENT, workers, measure: 10000 });
    rows.push({ data: 'Fashion-MNIST 28² (RRC+flip+RA 4×5)', workers, ...r });
    console.log(JSON.stringify({ bench: 'data', ...rows.at(-1) }));
  }
  // The cpu backend's conv backprop is very slow, so these use small batches and few steps.
  const tiny28 = await tinyTrainerRate(28, 32, 2);
  const tiny224 = await tinyTrainerRate(224, 2, 1);
  console.log(`\n${availableParallelism()} cores, Node ${process.version}, tfjs cpu backend for tensors`);
  console.log('\n| data | workers | images/s | main thread busy |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.data} | ${r.workers} | ${r.rate.toFixed(0)} | ${(100 * r.mainBusy).toFixed(0)} % |`);
  console.log(`\nReference trainer (tiny 2-conv CNN, fwd+bwd+SGD, cpu backend): ${tiny28.toFixed(0)} images/s at 28², ${tiny224.toFixed(1)} images/s at 224².`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
