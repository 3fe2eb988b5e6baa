#!/usr/bin/env node
/**
 * Builds the Fashion-MNIST subset bundled with @nf/data: a seeded, class-stratified sample of
 * TRAIN_PER_CLASS training and TEST_PER_CLASS test images, written as gzip IDX files with the
 * original names into data/fashion-mnist/.
 *
 *   node scripts/make-fashion-mnist-subset.mjs [sourceDir]
 *
 * sourceDir holds the four original files (gzip or raw) — by default where Debian's
 * `dataset-fashion-mnist` package installs them. The source files are only read.
 * Selection: for each class, the indices of that class are shuffled (Fisher–Yates, mulberry32
 * seeded with SEED + class + 1000·split) and the first k kept; the kept indices are then sorted, so
 * the subset keeps the original order of the files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const SEED = 20210211; // NFNet paper's arXiv date, a fixed arbitrary seed
const TRAIN_PER_CLASS = 1000;
const TEST_PER_CLASS = 200;
const CLASSES = 10;

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = path.resolve(process.argv[2] ?? '/usr/share/datasets/fashion-mnist');
const outDir = path.join(packageRoot, 'data', 'fashion-mnist');

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function readIdx(name) {
  const candidates = [path.join(sourceDir, `${name}.gz`), path.join(sourceDir, name)];
  for (const file of candidates) {
    let bytes;
    try {
      bytes = readFileSync(file);
    } catch {
      continue;
    }
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
    if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08) throw new Error(`${file}: not an unsigned-byte IDX file`);
    const rank = bytes[3];
    const shape = [];
    for (let i = 0; i < rank; i++) shape.push(bytes.readUInt32BE(4 + 4 * i));
    const header = 4 + 4 * rank;
    const size = shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== header + size) throw new Error(`${file}: expected ${header + size} bytes, found ${bytes.length}`);
    return { file, shape, data: bytes.subarray(header), sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
  }
  throw new Error(`${candidates.join(' or ')} not found: pass the folder holding the Fashion-MNIST files, or apt-get install dataset-fashion-mnist`);
}

function writeIdx(name, shape, data) {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const gz = gzipSync(Buffer.concat([header, Buffer.from(data)]), { level: 9 });
  writeFileSync(path.join(outDir, `${name}.gz`), gz);
  return { name: `${name}.gz`, bytes: gz.length, sha256: createHash('sha256').update(gz).digest('hex') };
}

function subset(prefix, perClass, split) {
  const images = readIdx(`${prefix}-images-idx3-ubyte`);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte`);
  const n = labels.shape[0];
  if (images.shape[0] !== n) throw new Error(`${images.file} has ${images.shape[0]} images but ${labels.file} has ${n} labels`);
  const kept = [];
  for (let c = 0; c < CLASSES; c++) {
    const of = [];
    for (let i = 0; i < n; i++) if (labels.data[i] === c) of.push(i);
    const rand = mulberry32(SEED + c + 1000 * split);
    for (let i = of.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [of[i], of[j]] = [of[j], of[i]];
    }
    if (of.length < perClass) throw new Error(`class ${c} has only ${of.length} ${prefix} images`);
    kept.push(...of.slice(0, perClass));
  }
  kept.sort((a, b) => a - b);
  const [, h, w] = images.shape;
  const outImages = new Uint8Array(kept.length * h * w);
  const outLabels = new Uint8Array(kept.length);
  kept.forEach((src, k) => {
    outImages.set(images.data.subarray(src * h * w, (src + 1) * h * w), k * h * w);
    outLabels[k] = labels.data[src];
  });
  return {
    sources: [images, labels].map((s) => ({ file: s.file, sha256: s.sha256 })),
    written: [
      writeIdx(`${prefix}-images-idx3-ubyte`, [kept.length, h, w], outImages),
      writeIdx(`${prefix}-labels-idx1-ubyte`, [kept.length], outLabels),
    ],
  };
}

mkdirSync(outDir, { recursive: true });
const report = [subset('train', TRAIN_PER_CLASS, 0), subset('t10k', TEST_PER_CLASS, 1)];
console.log(JSON.stringify({ seed: SEED, trainPerClass: TRAIN_PER_CLASS, testPerClass: TEST_PER_CLASS, report }, null, 2));
