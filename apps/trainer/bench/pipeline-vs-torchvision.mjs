#!/usr/bin/env node
/**
 * Input-pipeline throughput at 224² with the NFNet-F0 training recipe, ours beside torchvision in
 * one run, on the same JPEGs and the same number of workers.
 *
 *   node apps/trainer/bench/pipeline-vs-torchvision.mjs
 *
 * Needs `pnpm build` (for @nf/data's dist) and, for the torchvision column, Debian's
 * python3-torchvision (`apt-get install -y python3-torchvision`: torch 1.13, torchvision 0.14.1,
 * Pillow 9.4). Python: NF_PYTHON, else the first of `python3` and /usr/bin/python3 that imports
 * torchvision (a pyenv or venv python3 on PATH usually does not see Debian's packages). Without
 * python3 or torchvision the torchvision column is skipped with one line saying why. No network.
 *
 * 1. Writes BENCH_IMAGES (256) photo-like JPEGs — gradients, shapes, stripes, fine texture and
 *    sensor noise; 500×375, 375×500 and 500×333 (ImageNet's common sizes), quality 90, 4:2:0,
 *    seeded, ~87 KB each — into 4 class folders of a new temporary folder, removed at the end.
 *    The scripts read nothing else.
 * 2. Breakdown on one thread, in-process, after an untimed pass over 8 images: CPU ms per image
 *    (process CPU time, so other processes' load does not inflate it) for reading the file,
 *    decoding (@nf/data's decodeImage: sharp header pass + decode; its wall time and the header
 *    pass alone beside it), random resized crop (bicubic to 224²), flip, RandAugment (4 ops at
 *    magnitude 5; and each of the 16 ops alone on the 224² crops) and normalisation; the .py does
 *    the same for torchvision on PIL (torch on 1 thread, as in a DataLoader worker).
 * 3. For each N in BENCH_WORKERS (1,2), BENCH_ROUNDS (2) rounds in alternating order (ours, tv,
 *    tv, ours) so drifting load hits both alike; the table gives the mean of the rounds:
 *    ours  createPipeline(imageFolder(dir), { batchSize: 32, imageSize: 224, augment:
 *          { randomResizedCrop: true, flip: true, randAugment: { layers: 4, magnitude: 5 } },
 *          workers: N, output: 'arrays', epochs: Infinity }) — no MixUp/CutMix, so both sides do
 *          the same work;
 *    torchvision  Compose([RandomResizedCrop(224, BICUBIC), RandomHorizontalFlip(),
 *          RandAugment(num_ops=4, magnitude=15, num_magnitude_bins=31, fill=128), ToTensor(),
 *          Normalize(ImageNet)]) on datasets.ImageFolder through DataLoader(batch_size=32,
 *          num_workers=N, sampler over as many shuffled passes as needed) —
 *          pipeline-vs-torchvision.py, whose docstring explains the magnitude mapping (M 5 of 10
 *          = bin 15 of 0..30) and where the op sets differ.
 *    One warm-up batch (worker start-up) untimed, then BENCH_BATCHES (10) timed batches; both
 *    sides prefetch 2 batches per worker. Also the CPU each side used while timed, in cores: ours
 *    is the whole process (worker threads, main thread, and the libuv threads sharp decodes on —
 *    each worker reads 4 images ahead, so decoding overlaps augmenting and one worker can use
 *    more than one core); torchvision's is its single-threaded worker processes (from each
 *    sample's process CPU clock) + the main process.
 *
 * Prints JSON lines ({"bench":"pipeline-vs-torchvision",...}; ratio = ours / torchvision img/s,
 * ratioPerCore = the same per CPU-second), then Markdown tables. About a minute on 2 busy cores.
 * Env: BENCH_IMAGES, BENCH_WORKERS (e.g. 0,1,2), BENCH_BATCHES, BENCH_ROUNDS,
 * BENCH_BREAKDOWN (images in the breakdown, 64; 0 skips it), NF_PYTHON.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  NORMALIZATION,
  RAND_AUGMENT_OPS,
  Rng,
  applyRandAugmentOp,
  createPipeline,
  decodeImage,
  flipHorizontal,
  imageFolder,
  normalize,
  randAugment,
  randomResizedCrop,
} from '@nf/data/node';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 256);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map(Number);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BREAKDOWN = Number(process.env.BENCH_BREAKDOWN ?? 64);
const BATCH = 32;
const SIZE = 224;
const RA = { layers: 4, magnitude: 5 };
const CLASSES = 4;
const SIZES = [[500, 375], [500, 375], [500, 375], [375, 500], [500, 333]];
const PY_SCRIPT = fileURLToPath(new URL('./pipeline-vs-torchvision.py', import.meta.url));

const emit = (obj) => console.log(JSON.stringify({ bench: 'pipeline-vs-torchvision', ...obj }));
const f = (x, d = 1) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));

function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A photo-like RGB image: a two-colour gradient at a random angle under soft lighting, 6–13 shapes
 * (discs, rectangles, ellipses) with their own shading, some with stripes, then fine texture and
 * sensor noise: about 87 KB per 500×375 file at quality 90 (0.5 bytes per pixel).
 */
function photo(seed, width, height) {
  const rand = mulberry32(seed * 2654435761);
  const px = new Float32Array(width * height * 3);
  const colour = () => [rand() * 255, rand() * 255, rand() * 255];
  const [a, b] = [colour(), colour()];
  const angle = rand() * Math.PI;
  const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
  const span = Math.abs(ca) * width + Math.abs(sa) * height;
  const light = [rand() * 0.02, rand() * 0.02, rand() * 6];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = Math.min(1, Math.max(0, ((x - width / 2) * ca + (y - height / 2) * sa) / span + 0.5));
      const shade = 0.85 + 0.15 * Math.sin(light[0] * x + light[1] * y + light[2]);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) px[o + c] = (a[c] * (1 - t) + b[c] * t) * shade;
    }
  }
  const shapes = 6 + Math.floor(rand() * 8);
  for (let k = 0; k < shapes; k++) {
    const kind = Math.floor(rand() * 3);
    const cx = rand() * width;
    const cy = rand() * height;
    const rx = 15 + rand() * width * 0.25;
    const ry = kind === 0 ? rx : 15 + rand() * height * 0.25;
    const col = colour();
    const stripes = rand() < 0.6 ? 0.3 + rand() * 1.2 : 0;
    const theta = rand() * Math.PI;
    for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(height, Math.ceil(cy + ry)); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(width, Math.ceil(cx + rx)); x++) {
        const dx = (x - cx) / rx;
        const dy = (y - cy) / ry;
        if (kind !== 1 && dx * dx + dy * dy > 1) continue;
        const shade = 1 - 0.35 * (dx + dy) / 2;
        const stripe = stripes ? 0.8 + 0.2 * Math.sin(stripes * (x * Math.cos(theta) + y * Math.sin(theta))) : 1;
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) px[o + c] = col[c] * shade * stripe;
      }
    }
  }
  // Fine texture (foliage, fabric): value noise on a 2-pixel grid, bilinearly interpolated.
  const cell = 2;
  const gw = Math.ceil(width / cell) + 2;
  const grid = Float32Array.from({ length: gw * (Math.ceil(height / cell) + 2) }, () => (rand() * 2 - 1) * 40);
  const raw = Buffer.alloc(px.length);
  for (let y = 0; y < height; y++) {
    const gy = Math.floor(y / cell);
    const fy = y / cell - gy;
    for (let x = 0; x < width; x++) {
      const gx = Math.floor(x / cell);
      const fx = x / cell - gx;
      const g = gy * gw + gx;
      const texture = (grid[g] * (1 - fx) + grid[g + 1] * fx) * (1 - fy) + (grid[g + gw] * (1 - fx) + grid[g + gw + 1] * fx) * fy;
      const common = texture + (rand() + rand() - 1) * 20; // + luminance noise
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) raw[o + c] = Math.max(0, Math.min(255, Math.round(px[o + c] + common + (rand() - 0.5) * 8)));
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90, chromaSubsampling: '4:2:0' }).toBuffer();
}

async function writeImages(dir) {
  let bytes = 0;
  let pixels = 0;
  const files = [];
  for (let i = 0; i < IMAGES; i++) {
    const [w, h] = SIZES[i % SIZES.length];
    const folder = path.join(dir, `class${i % CLASSES}`);
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, `img${String(i).padStart(4, '0')}.jpg`);
    const jpeg = await photo(i + 1, w, h);
    writeFileSync(file, jpeg);
    files.push(file);
    bytes += jpeg.length;
    pixels += w * h;
  }
  return { files: files.sort(), meanKB: bytes / IMAGES / 1024, meanPixels: pixels / IMAGES };
}

const cpuSeconds = (u) => (u.user + u.system) / 1e6;

/**
 * CPU ms per image of each of our steps on this thread (process CPU time, so other processes' load
 * does not count; for decode it includes the libvips/libuv threads sharp runs on), and decode's
 * wall time beside it.
 */
async function ourBreakdown(files) {
  const ms = { read: 0, decodeHeader: 0, decode: 0, decodeWall: 0, randomResizedCrop: 0, flipWhenApplied: 0, randAugment: 0, normalize: 0 };
  const crops = [];
  let c = process.cpuUsage();
  const lap = (key) => {
    const d = process.cpuUsage(c);
    ms[key] += cpuSeconds(d) * 1000;
    c = process.cpuUsage();
  };
  for (let i = 0; i < files.length; i++) {
    c = process.cpuUsage();
    const bytes = readFileSync(files[i]);
    lap('read');
    await sharp(bytes).metadata(); // the header pass decodeImage makes before decoding (size limit)
    lap('decodeHeader');
    const t = performance.now();
    const image = await decodeImage(bytes, 3);
    ms.decodeWall += performance.now() - t;
    lap('decode');
    const rng = new Rng(1000 + i);
    const crop = randomResizedCrop(image, rng, SIZE, SIZE);
    lap('randomResizedCrop');
    flipHorizontal(crop);
    lap('flipWhenApplied');
    randAugment(crop, rng, RA);
    lap('randAugment');
    normalize(crop, NORMALIZATION.imagenet);
    lap('normalize');
    crops.push(crop);
  }
  const ops = {};
  for (const op of RAND_AUGMENT_OPS) {
    const rng = new Rng(7);
    for (const crop of crops.slice(0, 4)) applyRandAugmentOp(crop, op, RA.magnitude, rng); // warm-up
    const c0 = process.cpuUsage();
    for (const crop of crops) applyRandAugmentOp(crop, op, RA.magnitude, rng);
    ops[op] = (cpuSeconds(process.cpuUsage(c0)) * 1000) / crops.length;
  }
  for (const k of Object.keys(ms)) ms[k] /= files.length;
  return { breakdown: ms, ops };
}

async function ourThroughput(source, workers) {
  const pipeline = createPipeline(source, {
    batchSize: BATCH,
    imageSize: SIZE,
    augment: { randomResizedCrop: true, flip: true, randAugment: RA },
    workers,
    output: 'arrays',
    epochs: Infinity,
    seed: 0,
  });
  let batches = 0;
  let images = 0;
  let t0 = 0;
  let cpu0;
  for await (const batch of pipeline) {
    if (batches++ === 0) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
      continue;
    }
    images += batch.size;
    if (batches > BATCHES) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cores = cpuSeconds(process.cpuUsage(cpu0)) / seconds;
  await pipeline.close();
  return { images, seconds, imagesPerSecond: images / seconds, cores };
}

/** The python3 that imports torchvision, or why there is none. */
function findPython() {
  const candidates = process.env.NF_PYTHON ? [process.env.NF_PYTHON] : ['python3', '/usr/bin/python3'];
  const reasons = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, [PY_SCRIPT, '--versions'], { encoding: 'utf8', timeout: 120_000 });
    if (r.error) {
      reasons.push(`${python}: ${r.error.code === 'ENOENT' ? 'not found' : r.error.message}`);
      continue;
    }
    const line = parseLines(r.stdout)[0];
    if (r.status === 0 && line?.versions) return { python, versions: line.versions };
    reasons.push(`${python}: ${line?.missing ?? (r.stderr.trim().split('\n').at(-1) || `exit ${r.status}`)}`);
  }
  return { reason: reasons.join('; ') };
}

function parseLines(text) {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

function runPython(python, args) {
  const r = spawnSync(python, [PY_SCRIPT, ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${python} ${path.basename(PY_SCRIPT)} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return parseLines(r.stdout).at(-1);
}

const work = mkdtempSync(path.join(tmpdir(), 'nf-pipeline-vs-tv-'));
try {
  const started = performance.now();
  const { files, meanKB, meanPixels } = await writeImages(work);
  const py = findPython();
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    sharpConcurrency: sharp.concurrency(),
    loadavgAtStart: loadavg()[0],
    torchvision: py.versions ?? null,
  };
  emit({ machine, images: IMAGES, meanKB, meanPixels, setupSeconds: (performance.now() - started) / 1000 });
  if (!py.python) console.log(`torchvision column skipped: no python3 with torchvision (${py.reason}); apt-get install -y python3-torchvision`);

  let ours;
  let theirs;
  if (BREAKDOWN > 0) {
    const sample = files.filter((_, i) => i % Math.max(1, Math.floor(files.length / BREAKDOWN)) === 0).slice(0, BREAKDOWN);
    await ourBreakdown(sample.slice(0, 8)); // warm-up (JIT), not reported
    ours = { ...(await ourBreakdown(sample)), images: sample.length };
    emit({ side: 'ours', ...ours });
    if (py.python) {
      theirs = runPython(py.python, [work, '--breakdown', String(sample.length)]);
      emit(theirs);
    }
  }

  const source = await imageFolder(work);
  const rows = [];
  const runTv = (workers) =>
    runPython(py.python, [work, '--workers', String(workers), '--batches', String(BATCHES), '--batch-size', String(BATCH), '--size', String(SIZE)]);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const workers of WORKERS) {
    // ROUNDS rounds, the order alternating (ours, tv, tv, ours, …) so drifting load hits both alike.
    const o = [];
    const t = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['ours', 'tv'] : ['tv', 'ours'];
      for (const side of order) {
        if (side === 'ours') {
          o.push(await ourThroughput(source, workers));
          emit({ side: 'ours', workers, round, ...o.at(-1), loadavg: loadavg()[0] });
        } else if (py.python) {
          t.push(runTv(workers));
          emit({ ...t.at(-1), round, loadavg: loadavg()[0] });
        }
      }
    }
    const row = {
      workers,
      ours: mean(o.map((r) => r.imagesPerSecond)),
      oursRounds: o.map((r) => r.imagesPerSecond),
      oursCores: mean(o.map((r) => r.cores)),
    };
    if (t.length) {
      row.torchvision = mean(t.map((r) => r.imagesPerSecond));
      row.torchvisionRounds = t.map((r) => r.imagesPerSecond);
      row.torchvisionCores = mean(t.map((r) => r.workerCores + r.mainCores));
      row.ratio = row.ours / row.torchvision;
      row.ratioPerCore = row.ours / row.oursCores / (row.torchvision / row.torchvisionCores);
    }
    row.oursPerWorker = row.ours / Math.max(1, workers);
    row.torchvisionPerWorker = row.torchvision === undefined ? undefined : row.torchvision / Math.max(1, workers);
    rows.push(row);
    emit({ ratio: row.ratio ?? null, ratioPerCore: row.ratioPerCore ?? null, ...row });
  }

  console.log(`\n${machine.cores} cores (${machine.cpu}), Node ${machine.node}, sharp ${machine.sharp} (libvips ${machine.libvips}, concurrency ${machine.sharpConcurrency})` +
    (py.versions ? `, torch ${py.versions.torch}, torchvision ${py.versions.torchvision}, Pillow ${py.versions.pillow} (${py.python})` : ', torchvision: skipped'));
  console.log(`${IMAGES} JPEGs, mean ${f(meanKB, 0)} KB, ${f(meanPixels / 1e3, 0)} k pixels; batch ${BATCH}, ${SIZE}², RRC + flip + RandAugment 4×5; mean of ${ROUNDS} rounds of ${BATCHES} timed batches after 1 warm-up\n`);
  console.log('| workers | ours img/s (rounds) | per worker | CPU (cores) | torchvision img/s (rounds) | per worker | CPU (cores) | ours / torchvision | per CPU-second |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const rounds = (xs) => (xs ? ` (${xs.map((x) => f(x)).join(', ')})` : '');
  for (const r of rows) {
    console.log(`| ${r.workers} | ${f(r.ours)}${rounds(r.oursRounds)} | ${f(r.oursPerWorker)} | ${f(r.oursCores, 2)} | ${f(r.torchvision)}${rounds(r.torchvisionRounds)} | ${f(r.torchvisionPerWorker)} | ${f(r.torchvisionCores, 2)} | ${f(r.ratio, 2)} | ${f(r.ratioPerCore, 2)} |`);
  }

  if (ours) {
    const b = ours.breakdown;
    const tb = theirs?.breakdown;
    const total = (x) => x.read + x.decode + x.randomResizedCrop + 0.5 * x.flipWhenApplied + x.randAugment + x.normalize;
    const tvTotal = tb && tb.read + tb.decode + tb.randomResizedCrop + 0.5 * tb.flipWhenApplied + tb.randAugment + tb.toTensor + tb.normalize;
    const line = (name, a, c) => console.log(`| ${name} | ${f(a, 2)} | ${a === undefined ? '—' : f((100 * a) / total(b), 0) + ' %'} | ${f(c, 2)} | ${c === undefined || !tvTotal ? '—' : f((100 * c) / tvTotal, 0) + ' %'} | ${a === undefined || c === undefined ? '—' : f(a / c, 2)} |`);
    console.log(`\nCPU ms per image, one thread, in-process, ${ours.images ?? BREAKDOWN} images:\n`);
    console.log('| step | ours | share | torchvision | share | ours / torchvision |');
    console.log('|---|---:|---:|---:|---:|---:|');
    line('read file', b.read, tb?.read);
    line(`decode (ours: wall ${f(b.decodeWall, 2)} ms; sharp's header pass alone ${f(b.decodeHeader, 2)} ms)`, b.decode, tb?.decode);
    line('random resized crop → 224² bicubic', b.randomResizedCrop, tb?.randomResizedCrop);
    line('flip (× ½)', 0.5 * b.flipWhenApplied, tb && 0.5 * tb.flipWhenApplied);
    line('RandAugment, 4 ops at M 5', b.randAugment, tb?.randAugment);
    line('normalise (torchvision: ToTensor + Normalize)', b.normalize, tb && tb.toTensor + tb.normalize);
    line('total', total(b), tvTotal);
    console.log('\nRandAugment ops alone on the 224² crops, CPU ms (ours at M 5 of 10, torchvision at bin 15 of 0..30):\n');
    console.log('| op | ours | torchvision |');
    console.log('|---|---:|---:|');
    const names = [...new Set([...RAND_AUGMENT_OPS, ...Object.keys(theirs?.ops ?? {})])];
    for (const op of names) console.log(`| ${op} | ${f(ours.ops[op], 2)} | ${f(theirs?.ops?.[op], 2)} |`);
  }
  console.log(`\n${f((performance.now() - started) / 1000, 0)} s in all; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
