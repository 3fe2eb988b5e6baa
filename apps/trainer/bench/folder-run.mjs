#!/usr/bin/env node
/**
 * nf-train on real image files, end to end: the bundled Fashion-MNIST subset written out as class
 * folders of RGB JPEGs (quality 90) at SIZE×SIZE (bicubic upscale of the 28×28 originals), then trained
 * through the folder path (decode + random resized crop + flip + RandAugment in @nf/data's workers) with
 * the `images` preset. Prints accuracy, wall time and images/s.
 *
 *   node apps/trainer/bench/folder-run.mjs [--size 64] [--epochs 3] [--dir /tmp/nf-fm-folders] [-- extra nf-train flags]
 *
 * Needs `pnpm build` first. The JPEG folders are written once and reused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { fashionMnist } from '@nf/data/node';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash < 0 ? argv : argv.slice(0, dash);
const extra = dash < 0 ? [] : argv.slice(dash + 1);
const opt = (name, fallback) => {
  const i = own.indexOf(`--${name}`);
  return i < 0 ? fallback : own[i + 1];
};
const size = Number(opt('size', '64'));
const epochs = opt('epochs', '3');
const dir = opt('dir', path.join(tmpdir(), `nf-fm-folders-${size}`));
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

async function writeSplit(split, folder) {
  const source = await fashionMnist({ split });
  const { data } = source.spec;
  const pixels = 28 * 28;
  for (const name of source.classNames) mkdirSync(path.join(folder, name.replace(/\//g, '-')), { recursive: true });
  const started = performance.now();
  for (let i = 0; i < source.size; i++) {
    const gray = Buffer.from(data.subarray(i * pixels, (i + 1) * pixels));
    const jpeg = await sharp(gray, { raw: { width: 28, height: 28, channels: 1 } }).resize(size, size, { kernel: 'cubic' }).toColourspace('srgb').jpeg({ quality: 90 }).toBuffer();
    writeFileSync(path.join(folder, source.classNames[source.labels[i]].replace(/\//g, '-'), `${split}-${String(i).padStart(5, '0')}.jpg`), jpeg);
  }
  return { count: source.size, seconds: (performance.now() - started) / 1000 };
}

if (!existsSync(path.join(dir, 'val'))) {
  const t = await writeSplit('train', path.join(dir, 'train'));
  const v = await writeSplit('test', path.join(dir, 'val'));
  console.log(`wrote ${t.count} + ${v.count} JPEGs (${size}×${size}, RGB, q90) to ${dir} in ${(t.seconds + v.seconds).toFixed(0)} s`);
}

const out = path.join(dir, 'run');
const args = [cli, 'train', '--preset', 'images', '--data', dir, '--epochs', epochs, '--out', out, '--overwrite', ...extra];
console.log(`node ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`);
const started = performance.now();
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });
const seconds = (performance.now() - started) / 1000;
if (run.status !== 0) process.exit(run.status ?? 1);
const rows = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const trainRows = rows.filter((r) => r.kind === 'train');
const evals = rows.filter((r) => r.kind === 'eval');
const imgPerSec = trainRows.reduce((s, r) => s + r.imgPerSec, 0) / trainRows.length;
console.log(
  JSON.stringify({
    bench: 'folder-run',
    size,
    epochs: Number(epochs),
    steps: trainRows.length,
    top1: evals.map((r) => Number(r.accuracy.toFixed(4))),
    wallSeconds: Math.round(seconds),
    meanTrainImgPerSec: Number(imgPerSec.toFixed(1)),
  }),
);
