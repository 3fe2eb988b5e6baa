/**
 * Hostile and broken files, crafted here in a temporary folder (no binary fixtures): every reader
 * of the package either returns the exact expected result or fails with a DataError of the
 * expected code whose message is one line and names the file (quoted). Cases that would allocate
 * or loop without the limits also assert a bound: a deadline for every case, and for the bombs a
 * child process whose peak memory is compared with a baseline child.
 */
import { execFile, execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { chmod, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { createDeflate, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode, idxBytes, tempDir, writeFile } from '../test/files.js';
import { HOSTILE_CHILD } from '../test/test-worker-path.js';
import { cifar } from './cifar.js';
import { decodeImage } from './decode.js';
import { DataError, isNfError, type DataErrorCode } from './errors.js';
import { loadIdx } from './idx-file.js';
import { decodeIdx } from './idx.js';
import { imageFolder } from './image-folder.js';
import { DEFAULT_LIMITS } from './limits.js';
import { mnist } from './mnist.js';
import { createPipeline } from './pipeline-node.js';
import { quote } from './quote.js';
import { readImage } from './file-example-reader.js';
import type { DataSource } from './source.js';

const tmp = tempDir('nf-data-hostile-');
afterAll(tmp.remove);
const posix = process.platform !== 'win32';
const root = process.getuid?.() === 0;
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Crafting

const TYPE = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;

/** An IDX header with any type byte and dimensions (no data). */
function idxHeader(type: number, dims: number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = type;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d >>> 0, 4 + 4 * i));
  return b;
}

const MiB = 1 << 20;
let zeroMember: Buffer | undefined;
/** `first` gzipped, then gzip members of 16 MiB of zeros up to `mib` MiB inflated: a gzip bomb of a few hundred KB. */
function gzipBomb(first: Buffer, mib: number): Buffer {
  zeroMember ??= gzipSync(Buffer.alloc(16 * MiB), { level: 9 });
  const members: Uint8Array[] = [gzipSync(first, { level: 9 })];
  for (let m = 0; m < Math.ceil(mib / 16); m++) members.push(zeroMember);
  return Buffer.concat(members);
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A PNG (8-bit RGB) of the given header size around an arbitrary zlib IDAT. */
function png(width: number, height: number, idat: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** The IDAT of a width × height RGB PNG of zeros, deflated as a stream (never held inflated). */
async function zeroIdat(width: number, height: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const rows = Buffer.alloc((1 + 3 * width) * 256);
  for (let y = 0; y < height; y += 256) {
    const n = Math.min(256, height - y);
    if (!deflate.write(rows.subarray(0, (1 + 3 * width) * n))) await new Promise((r) => deflate.once('drain', r));
  }
  const ended = new Promise((r) => deflate.once('end', r));
  deflate.end();
  await ended;
  return Buffer.concat(out);
}

/** A small JPEG whose SOF0 header claims `width` × `height`. */
async function jpegClaiming(width: number, height: number): Promise<Buffer> {
  const jpeg = await encode('jpeg', 8, 8);
  let i = 2;
  while (!(jpeg[i] === 0xff && jpeg[i + 1] === 0xc0)) i++;
  jpeg.writeUInt16BE(height, i + 5);
  jpeg.writeUInt16BE(width, i + 7);
  return jpeg;
}

/** A small lossless WebP whose VP8L header claims 16383 × 16383 (WebP's largest). */
async function webpClaimingHuge(): Promise<Buffer> {
  const webp = await encode('webp', 8, 8);
  expect(webp.subarray(12, 16).toString('latin1')).toBe('VP8L');
  webp.writeUInt32LE((webp.readUInt32LE(21) & 0xf0000000) | ((16382 << 14) | 16382), 21);
  return webp;
}

/** `n` CIFAR records; `label(i)` gives each record's label bytes. */
function cifarRecords(n: number, label: (i: number) => number[]): Buffer {
  const width = label(0).length + 3072;
  const out = Buffer.alloc(n * width, 7);
  for (let i = 0; i < n; i++) Buffer.from(label(i)).copy(out, i * width);
  return out;
}

function mkfifo(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
}

function link(target: string, at: string): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at);
}

/** `n` bytes of seeded noise (incompressible). */
function noise(n: number, seed = 1): number[] {
  let x = seed;
  return Array.from({ length: n }, () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x >>> 24));
}

const files = (s: DataSource) => (s.spec.kind === 'files' ? s.spec.paths : []);

// ---------------------------------------------------------------------------------------------
// The table

interface Case {
  readonly name: string;
  /** Writes the crafted files into `dir`; returns the call and the files its error must name. */
  readonly make: (dir: string) => Promise<Made> | Made;
  /** The expected error code, or `ok` for a call that must succeed. */
  readonly expect: DataErrorCode | 'ok';
  /** Checks the value (ok) or the message (error) beyond code, file name and one line. */
  readonly check?: (value: unknown, dir: string) => void;
  /** Needs symlinks / FIFOs. */
  readonly posix?: boolean;
  /** Skipped when running as root (permissions do not apply). */
  readonly notRoot?: boolean;
}

interface Made {
  readonly call: () => Promise<unknown>;
  /** Files or folders the error message must name (quoted). */
  readonly names: readonly string[];
}

/** Every IDX case's bytes, for the same case through `decodeIdx` (the browser path) below. */
const IDX_BYTES: Array<{ name: string; bytes: () => Buffer; fileName: string; options?: { maxBytes?: number } }> = [];

const idxCase = (name: string, bytes: Buffer | (() => Buffer), expected: DataErrorCode | 'ok', check?: Case['check'], fileName = 'f.idx', options?: { maxBytes?: number }): Case => (IDX_BYTES.push({ name, bytes: typeof bytes === 'function' ? bytes : () => bytes, fileName, ...(options ? { options } : {}) }), {
  name,
  expect: expected,
  check,
  make: (dir) => {
    const file = path.join(dir, fileName);
    writeFile(file, typeof bytes === 'function' ? bytes() : bytes);
    return { call: () => loadIdx(file, options), names: [file] };
  },
});

const message = (pattern: RegExp) => (value: unknown) => expect((value as Error).message).toMatch(pattern);

const IDX_CASES: Case[] = [
  idxCase('IDX: empty file', Buffer.alloc(0), 'BAD_IDX', message(/0 bytes is too short for an IDX header/)),
  idxCase('IDX: 3-byte file', Buffer.from([0, 0, 8]), 'BAD_IDX', message(/3 bytes is too short/)),
  idxCase('IDX: a PNG signature as magic', Buffer.from('89504e470d0a1a0a', 'hex'), 'BAD_IDX', message(/wrong magic number 0x89504e47/)),
  idxCase('IDX: unknown element type 0x07', Buffer.concat([idxHeader(0x07, [2]), Buffer.alloc(2)]), 'BAD_IDX', message(/unknown IDX element type 0x07/)),
  idxCase('IDX: rank 0', idxHeader(0x08, []), 'BAD_IDX', message(/rank 0/)),
  idxCase('IDX: header cut inside the dimensions', idxHeader(0x08, [60000, 28, 28]).subarray(0, 9), 'BAD_IDX', message(/rank 3 header needs 16 bytes, file has 9/)),
  idxCase('IDX: leading dimension 0', idxHeader(0x08, [0, 28, 28]), 'BAD_IDX', message(/dimension 0 of shape \[0, 28, 28\] of uint8 is 0/)),
  idxCase('IDX: inner dimension 0 with data after it', Buffer.concat([idxHeader(0x08, [10, 0, 28]), Buffer.alloc(280)]), 'BAD_IDX', message(/dimension 1 .* is 0/)),
  idxCase('IDX: "negative" dimension 0xFFFFFFFF (-1 as int32), raw', Buffer.concat([idxHeader(0x08, [-1]), Buffer.alloc(10)]), 'BAD_IDX', message(/shape \[4294967295\] of uint8 needs 4,294,967,303 bytes, file has 18 \(truncated\)/)),
  idxCase('IDX: dimensions whose product passes 2^53', idxHeader(0x0e, [-1, -1, -1]), 'BAD_IDX', message(/more than 2⁵³ bytes/)),
  idxCase('IDX: data cut short', idxBytes('int32', [4, 4], new Array(16).fill(5)).subarray(0, 70), 'BAD_IDX', message(/needs 76 bytes, file has 70 \(truncated\)/)),
  idxCase('IDX: trailing bytes', Buffer.concat([idxBytes('uint8', [2, 2], [1, 2, 3, 4]), Buffer.from('extra')]), 'BAD_IDX', message(/needs 16 bytes, file has 21 \(trailing data\)/)),
  idxCase('IDX: exact int16 file', idxBytes('int16', [2, 2], [-32768, -1, 0, 32767]), 'ok', (v) =>
    expect(v).toEqual({ shape: [2, 2], dtype: 'int16', data: Int16Array.from([-32768, -1, 0, 32767]) }),
  ),
  idxCase('gzip IDX: corrupt deflate data', () => {
    const gz = gzipSync(idxBytes('uint8', [64, 64], new Array(4096).fill(3)));
    gz.fill(0xff, 10, 30);
    return gz;
  }, 'BAD_IDX', message(/corrupt or truncated gzip data \(/)),
  idxCase('gzip IDX: cut in the middle', () => gzipSync(idxBytes('uint8', [64, 64], noise(4096))).subarray(0, 200), 'BAD_IDX', message(/corrupt or truncated gzip data \(unexpected end of file\)/)),
  idxCase('gzip IDX: wrong CRC in the trailer', () => {
    const gz = gzipSync(idxBytes('uint8', [4], [1, 2, 3, 4]));
    gz[gz.length - 8]! ^= 0xff;
    return gz;
  }, 'BAD_IDX', message(/corrupt or truncated gzip data \(incorrect data check\)/)),
  idxCase('gzip IDX: empty payload', gzipSync(Buffer.alloc(0)), 'BAD_IDX', message(/0 bytes is too short/)),
  idxCase('gzip IDX: header cut inside the dimensions', gzipSync(idxHeader(0x08, [60000, 28, 28]).subarray(0, 10)), 'BAD_IDX', message(/rank 3 header needs 16 bytes, file has 10/)),
  idxCase('gzip IDX: declares 47 MB that 40 bytes of gzip cannot hold (deflate ≤ 1032:1)', gzipSync(idxHeader(0x08, [60000, 28, 28])), 'BAD_IDX', message(/needs 47,040,016 bytes, but [\d,]+ bytes of gzip inflate to at most [\d,]+ \(deflate's limit is 1032:1\)/)),
  idxCase('gzip IDX: stream ends before the declared data', gzipSync(Buffer.concat([idxHeader(0x08, [100, 10]), Buffer.alloc(500)])), 'BAD_IDX', message(/needs 1,012 bytes, its gzip data inflates to 512 \(truncated\)/)),
  idxCase('gzip IDX: bomb behind a small header stops at the first chunk past it', () => gzipBomb(idxHeader(0x08, [1, 28, 28]), 64), 'BAD_IDX', message(/shape \[1, 28, 28\] of uint8 needs 800 bytes, its gzip data inflates to at least [\d,]+ \(trailing data\)/)),
  idxCase('gzip IDX: bomb behind a garbage header stops at once', () => gzipBomb(Buffer.from('GARBAGE!'), 64), 'BAD_IDX', message(/wrong magic number 0x47415242/)),
  idxCase('gzip IDX: valid but over maxBytes', gzipSync(idxBytes('uint8', [10, 10], new Array(100).fill(1))), 'TOO_LARGE', message(/is 112 bytes, over the 100-byte limit \(maxBytes\); pass loadIdx\(\{ maxBytes \}\)/), 'small.gz', { maxBytes: 100 }),
  idxCase('raw IDX: valid but over maxBytes', idxBytes('uint8', [10, 10], new Array(100).fill(1)), 'TOO_LARGE', message(/is 112 bytes, over the 100-byte limit \(maxBytes\); pass loadIdx/), 'small.idx', { maxBytes: 100 }),
  idxCase('IDX: a file name with a newline, quotes and a bidi override is quoted and escaped', Buffer.from('not idx'), 'BAD_IDX', message(/"[^"]*bad\\nname \\"x\\" \\u202etxt\.idx": wrong magic/), 'bad\nname "x" \u202etxt.idx'),
  {
    name: 'IDX: a folder where the file should be',
    expect: 'NOT_FOUND',
    check: message(/is a folder, not a regular file/),
    make: (dir) => {
      mkdirSync(path.join(dir, 'f.idx'), { recursive: true });
      return { call: () => loadIdx(path.join(dir, 'f.idx')), names: [path.join(dir, 'f.idx')] };
    },
  },
  {
    name: 'IDX: a FIFO named like an IDX file (no writer: must not block)',
    expect: 'NOT_FOUND',
    posix: true,
    check: message(/is a FIFO, not a regular file/),
    make: (dir) => {
      mkfifo(path.join(dir, 'train-images-idx3-ubyte'));
      return { call: () => loadIdx(path.join(dir, 'train-images-idx3-ubyte')), names: [path.join(dir, 'train-images-idx3-ubyte')] };
    },
  },
  {
    name: 'IDX: a broken symbolic link',
    expect: 'NOT_FOUND',
    posix: true,
    check: message(/does not exist \(ENOENT/),
    make: (dir) => {
      link(path.join(dir, 'nowhere'), path.join(dir, 'f.idx'));
      return { call: () => loadIdx(path.join(dir, 'f.idx')), names: [path.join(dir, 'f.idx')] };
    },
  },
  {
    name: 'IDX: maxBytes that is not a positive integer',
    expect: 'BAD_OPTION',
    check: message(/loadIdx: maxBytes must be an integer ≥ 1 or Infinity, received -1/),
    make: (dir) => ({ call: () => loadIdx(path.join(dir, 'x'), { maxBytes: -1 }), names: [] }),
  },
];

/** An MNIST folder from (images, labels) IDX bytes. */
const mnistCase = (name: string, images: Buffer, labels: Buffer, expected: DataErrorCode | 'ok', check?: Case['check'], names: ('images' | 'labels')[] = ['images']): Case => ({
  name,
  expect: expected,
  check,
  make: (dir) => {
    const files = { images: path.join(dir, 'train-images-idx3-ubyte'), labels: path.join(dir, 'train-labels-idx1-ubyte') };
    writeFile(files.images, images);
    writeFile(files.labels, labels);
    return { call: () => mnist({ dir }), names: names.map((n) => files[n]) };
  },
});

const MNIST_CASES: Case[] = [
  mnistCase('MNIST: 3 images, 4 labels', idxBytes('uint8', [3, 2, 2], new Array(12).fill(0)), idxBytes('uint8', [4], [0, 1, 2, 3]), 'COUNT_MISMATCH', message(/holds 3 images but .* holds 4 labels/), ['images', 'labels']),
  mnistCase('MNIST: a labels file where the images should be', idxBytes('uint8', [4], [0, 1, 2, 3]), idxBytes('uint8', [4], [0, 1, 2, 3]), 'BAD_IDX', message(/expected uint8 images of shape \[N, H, W\], found uint8 \[4\]/)),
  mnistCase('MNIST: int16 images', idxBytes('int16', [1, 2, 2], [1, 2, 3, 4]), idxBytes('uint8', [1], [0]), 'BAD_IDX', message(/found int16/)),
  mnistCase('MNIST: label 10 of 10 classes', idxBytes('uint8', [2, 2, 2], new Array(8).fill(0)), idxBytes('uint8', [2], [3, 10]), 'BAD_IDX', message(/label 10 at index 1 is not below 10 classes/), ['labels']),
  mnistCase('MNIST: images of width 0', idxHeader(TYPE.uint8, [5, 28, 0]), idxBytes('uint8', [5], [0, 1, 2, 3, 4]), 'BAD_IDX', message(/dimension 2 of shape \[5, 28, 0\]/)),
  mnistCase('MNIST: exact 2 images', idxBytes('uint8', [2, 1, 3], [1, 2, 3, 4, 5, 6]), idxBytes('uint8', [2], [9, 0]), 'ok', (v) => {
    const s = v as DataSource;
    expect([s.size, [...s.labels], s.imageSize]).toEqual([2, [9, 0], { height: 1, width: 3 }]);
  }),
];

const R10 = 3073;
const cifarCase = (name: string, write: (dir: string) => string[], expected: DataErrorCode | 'ok', check?: Case['check'], options: Record<string, unknown> = {}, posixOnly = false): Case => ({
  name,
  expect: expected,
  check,
  posix: posixOnly,
  make: (dir) => {
    const names = write(dir);
    return { call: () => cifar({ dir, ...options }), names };
  },
});

/** Five CIFAR-10 training batches of `n` records each (label i % 10), written into `dir`; returns their paths. */
function cifar10Batches(dir: string, n: number): string[] {
  const paths = [1, 2, 3, 4, 5].map((b) => path.join(dir, `data_batch_${b}.bin`));
  for (const p of paths) writeFile(p, cifarRecords(n, (i) => [i % 10]));
  return paths;
}

const CIFAR_CASES: Case[] = [
  cifarCase('CIFAR-10: batches cut at a record boundary (3 records, not 10,000)', (d) => cifar10Batches(d, 3).slice(0, 1), 'BAD_CIFAR', message(/holds 3 records, an official CIFAR-10 data_batch_1\.bin holds 10,000 .* allowAnyRecordCount: true/)),
  cifarCase('CIFAR-10: the same with allowAnyRecordCount loads 15 examples', (d) => cifar10Batches(d, 3), 'ok', (v) => expect((v as DataSource).size).toBe(15), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: allowAnyRecordCount still bounded by maxBytes', (d) => cifar10Batches(d, 3).slice(0, 1), 'TOO_LARGE', message(/is 9,219 bytes, over the 9,000-byte limit \(maxBytes\)/), { allowAnyRecordCount: true, maxBytes: 9000 }),
  cifarCase('CIFAR-10: not a whole number of records', (d) => {
    const p = path.join(d, 'data_batch_1.bin');
    writeFile(p, cifarRecords(2, () => [1]).subarray(0, R10 + 100));
    return [p];
  }, 'BAD_CIFAR', message(/3,173 bytes is not a whole number of 3073-byte CIFAR-10 records/)),
  cifarCase('CIFAR-10: an empty batch', (d) => {
    const p = path.join(d, 'data_batch_1.bin');
    writeFile(p, Buffer.alloc(0));
    return [p];
  }, 'BAD_CIFAR', message(/0 bytes is not a whole number/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: label byte 10', (d) => {
    const paths = cifar10Batches(d, 2);
    writeFile(paths[1]!, cifarRecords(2, (i) => [i === 1 ? 10 : 0]));
    return [paths[1]!];
  }, 'BAD_CIFAR', message(/record 1 has label 10, not below 10 classes/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: batches.meta.txt with 9 names', (d) => {
    cifar10Batches(d, 1);
    const meta = path.join(d, 'batches.meta.txt');
    writeFile(meta, 'a\nb\nc\nd\ne\nf\ng\nh\ni\n\n');
    return [meta];
  }, 'BAD_CIFAR', message(/lists 9 names, expected 10/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: batches.meta.txt is a folder', (d) => {
    cifar10Batches(d, 1);
    mkdirSync(path.join(d, 'batches.meta.txt'));
    return [path.join(d, 'batches.meta.txt')];
  }, 'BAD_CIFAR', message(/is a folder, not a regular file/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: batches.meta.txt of 2 MiB', (d) => {
    cifar10Batches(d, 1);
    writeFile(path.join(d, 'batches.meta.txt'), Buffer.alloc(2 * MiB, 0x61));
    return [path.join(d, 'batches.meta.txt')];
  }, 'BAD_CIFAR', message(/is 2,097,152 bytes, a label-names file is a few KB/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: a class name with a control character', (d) => {
    cifar10Batches(d, 1);
    writeFile(path.join(d, 'batches.meta.txt'), 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\u001b[31m\n');
    return [path.join(d, 'batches.meta.txt')];
  }, 'BAD_CIFAR', message(/has the name "j\\u001b\[31m" with control characters/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-10: data_batch_2.bin is a FIFO (must not block)', (d) => {
    const paths = cifar10Batches(d, 1);
    rmSync(paths[1]!);
    mkfifo(paths[1]!);
    return [paths[1]!];
  }, 'NOT_FOUND', message(/is a FIFO, not a regular file/), { allowAnyRecordCount: true }, true),
  cifarCase('CIFAR-100: coarse label 25 (fine labels asked for)', (d) => {
    const p = path.join(d, 'train.bin');
    writeFile(p, cifarRecords(2, (i) => (i === 0 ? [3, 42] : [25, 7])));
    return [p];
  }, 'BAD_CIFAR', message(/record 1 has coarse label 25 and fine label 7/), { allowAnyRecordCount: true }),
  cifarCase('CIFAR-100: an official test.bin (10,000 records) loads exactly', (d) => {
    writeFile(path.join(d, 'test.bin'), cifarRecords(10_000, (i) => [i % 20, i % 100]));
    writeFile(path.join(d, 'train.bin'), Buffer.alloc(0));
    return [];
  }, 'ok', (v) => {
    const s = v as DataSource;
    expect([s.size, s.labels[9_999], s.numClasses]).toEqual([10_000, 99, 100]);
  }, { split: 'test' }),
];

/** A class folder layout with one PNG per listed path (relative to `dir`). */
async function images(dir: string, rel: string[]): Promise<void> {
  const bytes = await encode('png', 4, 4);
  for (const r of rel) writeFile(path.join(dir, r), bytes);
}

const rel = (dir: string) => (v: unknown) => files(v as DataSource).map((p) => path.relative(dir, p));

const FOLDER_CASES: Case[] = [
  {
    name: 'folder: two self-links (a -> ., b -> .) list the image once',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['cat/1.png']);
      link('.', path.join(dir, 'cat', 'a'));
      link('.', path.join(dir, 'cat', 'b'));
      return { call: () => imageFolder(dir), names: [] };
    },
    check: (v, dir) => expect(rel(dir)(v)).toEqual(['cat/1.png']),
  },
  {
    name: 'folder: links up to the image folder, its parent and / are not entered',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['cat/1.png', 'dog/2.png']);
      link('..', path.join(dir, 'cat', 'up'));
      link('../..', path.join(dir, 'cat', 'upup'));
      link('/', path.join(dir, 'dog', 'slash'));
      return { call: () => imageFolder(dir), names: [] };
    },
    check: (v, dir) => {
      expect(rel(dir)(v)).toEqual(['cat/1.png', 'dog/2.png']);
      expect([...(v as DataSource).labels]).toEqual([0, 1]);
    },
  },
  {
    name: 'folder: classes linking into each other end, each real folder once per class',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['cat/c.png', 'dog/d.png']);
      link('../dog', path.join(dir, 'cat', 'x'));
      link('../cat', path.join(dir, 'dog', 'y'));
      link('../cat', path.join(dir, 'cat', 'x2'));
      return { call: () => imageFolder(dir), names: [] };
    },
    check: (v, dir) => {
      // cat: its own image, then dog's through x (x/y leads back to cat: walked already); x2 is cat again.
      expect(rel(dir)(v)).toEqual(['cat/c.png', 'cat/x/d.png', 'dog/d.png', 'dog/y/c.png']);
      expect([...(v as DataSource).labels]).toEqual([0, 0, 1, 1]);
    },
  },
  {
    name: 'folder: a chain of links around a nested loop (a/b -> .., c -> a) ends',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['k/a/1.png']);
      link('..', path.join(dir, 'k', 'a', 'b'));
      link('a', path.join(dir, 'k', 'c'));
      return { call: () => imageFolder(dir), names: [] };
    },
    check: (v, dir) => expect(rel(dir)(v)).toEqual(['k/a/1.png']),
  },
  {
    name: 'folder: distinct names of one file (a link, a hard link) are listed under each name',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['k/1.png']);
      link('1.png', path.join(dir, 'k', '2.png'));
      linkSync(path.join(dir, 'k', '1.png'), path.join(dir, 'k', '3.png'));
      return { call: () => imageFolder(dir), names: [] };
    },
    check: (v, dir) => expect(rel(dir)(v)).toEqual(['k/1.png', 'k/2.png', 'k/3.png']),
  },
  {
    name: 'folder: broken links, FIFOs and sockets named like images are left out; a folder named x.png is walked',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['k/1.png', 'k/dir.png/2.png']);
      link('nowhere.png', path.join(dir, 'k', 'broken.png'));
      link('self.png', path.join(dir, 'k', 'self.png'));
      mkfifo(path.join(dir, 'k', 'fifo.png'));
      link('/dev/zero', path.join(dir, 'k', 'zero.png'));
      return { call: () => imageFolder(dir), names: [] };
    },
    check: (v, dir) => expect(rel(dir)(v)).toEqual(['k/1.png', 'k/dir.png/2.png']),
  },
  {
    name: 'folder: followSymlinks false ignores linked classes, folders and files',
    expect: 'ok',
    posix: true,
    make: async (dir) => {
      await images(dir, ['real/1.png', 'elsewhere/2.png']);
      const d = path.join(dir, 'set');
      await images(d, ['k/1.png']);
      link(path.join(dir, 'real'), path.join(d, 'linkedclass'));
      link(path.join(dir, 'elsewhere'), path.join(d, 'k', 'sub'));
      link(path.join(dir, 'real', '1.png'), path.join(d, 'k', 'l.png'));
      return { call: () => imageFolder(d, { followSymlinks: false }), names: [] };
    },
    check: (v, dir) => {
      expect((v as DataSource).classNames).toEqual(['k']);
      expect(rel(path.join(dir, 'set'))(v)).toEqual(['k/1.png']);
    },
  },
  {
    name: 'folder: a class folder that links back to the image folder',
    expect: 'EMPTY_CLASS',
    posix: true,
    make: async (dir) => {
      await images(dir, ['k/1.png']);
      link('.', path.join(dir, 'all'));
      return { call: () => imageFolder(dir), names: [path.join(dir, 'all')] };
    },
    check: message(/is a link back to the image folder or a folder above it \(a loop\)/),
  },
  {
    name: 'folder: deeper than maxDepth',
    expect: 'TOO_LARGE',
    make: async (dir) => {
      await images(dir, ['k/1/2/3/deep.png']);
      return { call: () => imageFolder(dir, { maxDepth: 2 }), names: [dir, path.join(dir, 'k', '1', '2', '3')] };
    },
    check: message(/is 3 folder levels below its class folder, over the limit of 2 \(maxDepth\)/),
  },
  {
    name: 'folder: more entries than maxEntries (counted while reading, all classes)',
    expect: 'TOO_LARGE',
    make: async (dir) => {
      await images(dir, ['a/1.png', 'a/2.png', 'b/3.png', 'b/4.png']);
      return { call: () => imageFolder(dir, { maxEntries: 5 }), names: [dir] };
    },
    check: message(/more than 5 directory entries \(limit maxEntries\)/),
  },
  {
    name: 'folder: within limits exactly (maxEntries 6, maxDepth 0)',
    expect: 'ok',
    make: async (dir) => {
      await images(dir, ['a/1.png', 'a/2.png', 'b/3.png', 'b/4.png']);
      return { call: () => imageFolder(dir, { maxEntries: 6, maxDepth: 0 }), names: [] };
    },
    check: (v) => expect((v as DataSource).size).toBe(4),
  },
  {
    name: 'folder: an unreadable subfolder',
    expect: 'NOT_FOUND',
    posix: true,
    notRoot: true,
    make: async (dir) => {
      await images(dir, ['k/1.png', 'k/locked/2.png']);
      await chmod(path.join(dir, 'k', 'locked'), 0o000);
      return { call: () => imageFolder(dir).finally(() => chmod(path.join(dir, 'k', 'locked'), 0o755)), names: [path.join(dir, 'k', 'locked')] };
    },
    check: message(/cannot read folder .*EACCES/),
  },
  {
    name: 'folder: an empty class whose name has a newline and an escape sequence',
    expect: 'EMPTY_CLASS',
    make: async (dir) => {
      await images(dir, ['ok/1.png']);
      mkdirSync(path.join(dir, 'bad\nclass\u001b[2J'));
      return { call: () => imageFolder(dir), names: [path.join(dir, 'bad\nclass\u001b[2J')] };
    },
    check: message(/bad\\nclass\\u001b\[2J" holds no image/),
  },
  {
    name: 'folder: classNames listing one class twice',
    expect: 'BAD_OPTION',
    make: async (dir) => {
      await images(dir, ['k/1.png']);
      return { call: () => imageFolder(dir, { classNames: ['k', 'k'] }), names: [] };
    },
    check: message(/classNames lists "k" twice/),
  },
  {
    name: 'folder: classNames reaching outside the folder',
    expect: 'NOT_FOUND',
    make: async (dir) => {
      await images(dir, ['set/k/1.png', 'secret/2.png']);
      return { call: () => imageFolder(path.join(dir, 'set'), { classNames: ['../secret'] }), names: [path.join(dir, 'set')] };
    },
    check: message(/class folder\(s\) "\.\.\/secret" not in/),
  },
];

/** An image folder with one class holding `file` (and a good image); readImage of the crafted one. */
const imageCase = (name: string, bytes: () => Promise<Buffer> | Buffer, expected: DataErrorCode | 'ok', check?: Case['check'], options: Record<string, number> = {}, fileName = 'x.png'): Case => ({
  name,
  expect: expected,
  check,
  make: async (dir) => {
    const file = path.join(dir, 'k', fileName);
    writeFile(file, await bytes());
    return {
      call: async () => {
        const settle = <T>(p: Promise<T>) => p.then((value) => ({ value, code: 'ok' }), (error: DataError) => ({ error, code: error.code }));
        const direct = await settle(decodeImage(await readFile(file), 3, { ...options, name: file }));
        const viaSource = await settle(readImage(await imageFolder(dir, options), 0));
        // readImage (the pipeline's reader) agrees: TOO_LARGE stays TOO_LARGE, every other failure is BAD_IMAGE.
        expect(viaSource.code).toBe(direct.code === 'ok' || direct.code === 'TOO_LARGE' ? direct.code : 'BAD_IMAGE');
        if ('error' in viaSource) {
          expect(viaSource.error.message).toContain(quote(file));
          expect(viaSource.error.message).not.toMatch(/[\n\r]/);
        }
        if ('error' in direct) throw direct.error;
        return direct.value;
      },
      names: [file],
    };
  },
});

const IMAGE_CASES: Case[] = [
  imageCase('image: PNG header claiming 20000×20000 (IDAT 1 KB), default limit', () => png(20000, 20000, Buffer.alloc(1024)), 'TOO_LARGE', message(/png of 20000×20000 = 400,000,000 pixels is over the 89,478,485-pixel limit \(maxImagePixels\)/)),
  imageCase('image: PNG of 100×100 over maxImagePixels 5000', async () => png(100, 100, await zeroIdat(100, 100)), 'TOO_LARGE', message(/10,000 pixels is over the 5,000-pixel limit/), { maxImagePixels: 5000 }),
  imageCase('image: the same PNG within maxImagePixels 10000 decodes exactly', async () => png(100, 100, await zeroIdat(100, 100)), 'ok', (v) => {
    const img = v as { width: number; height: number; data: Uint8Array };
    expect([img.width, img.height, img.data.length, img.data.every((b) => b === 0)]).toEqual([100, 100, 30000, true]);
  }, { maxImagePixels: 10000 }),
  imageCase('image: JPEG whose SOF claims 60000×60000', () => jpegClaiming(60000, 60000), 'TOO_LARGE', message(/jpeg of 60000×60000 = 3,600,000,000 pixels/), {}, 'x.jpg'),
  imageCase('image: WebP (VP8L) claiming 16383×16383', webpClaimingHuge, 'TOO_LARGE', message(/webp of 16383×16383 = 268,402,689 pixels/), {}, 'x.webp'),
  imageCase('image: PNG with a 0×0 header', () => png(0, 0, Buffer.alloc(8)), 'BAD_IMAGE', message(/cannot read the png header|header gives a size of 0×0/)),
  imageCase('image: PNG cut in half', async () => (await encode('png', 64, 64)).subarray(0, 300), 'BAD_IMAGE', message(/cannot (decode|read) the png/)),
  imageCase('image: SVG named .png (sharp would render it)', () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'), 'BAD_IMAGE', message(/unsupported image format \(\d+ bytes that are not JPEG, PNG, WebP, GIF, TIFF or AVIF\)/)),
  imageCase('image: an empty file', () => Buffer.alloc(0), 'BAD_IMAGE', message(/unsupported image format \(0 bytes/)),
  imageCase('image: a JPEG signature followed by garbage', () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 'BAD_IMAGE', message(/cannot (decode|read) the jpeg/), {}, 'x.jpg'),
  {
    name: 'image: a file over maxImageBytes is not read',
    expect: 'TOO_LARGE',
    make: async (dir) => {
      const file = path.join(dir, 'k', 'x.png');
      writeFile(file, await encode('png', 64, 64));
      return { call: async () => readImage(await imageFolder(dir, { maxImageBytes: 100 }), 0), names: [file] };
    },
    check: message(/too large \(is [\d,]+ bytes, over the 100-byte limit \(maxImageBytes\)/),
  },
  {
    name: 'image: replaced by a FIFO after listing (must not block)',
    expect: 'BAD_IMAGE',
    posix: true,
    make: async (dir) => {
      const file = path.join(dir, 'k', 'x.png');
      writeFile(file, await encode('png', 4, 4));
      const source = await imageFolder(dir);
      rmSync(file);
      mkfifo(file);
      return { call: () => readImage(source, 0), names: [file] };
    },
    check: message(/cannot read \(is a FIFO, not a regular file\)/),
  },
  {
    name: 'image: replaced by a link after listing, with followSymlinks false',
    expect: 'BAD_IMAGE',
    posix: true,
    make: async (dir) => {
      const file = path.join(dir, 'k', 'x.png');
      writeFile(file, await encode('png', 4, 4));
      writeFile(path.join(dir, 'outside.png'), await encode('png', 4, 4));
      const source = await imageFolder(dir, { followSymlinks: false });
      rmSync(file);
      link(path.join(dir, 'outside.png'), file);
      return { call: () => readImage(source, 0), names: [file] };
    },
    check: message(/is a symbolic link and links are not followed/),
  },
  {
    name: 'image: maxImagePixels that is not a positive integer',
    expect: 'BAD_OPTION',
    make: () => ({ call: () => decodeImage(Buffer.alloc(4), 3, { maxImagePixels: 0.5 }), names: [] }),
    check: message(/decodeImage: maxImagePixels must be an integer ≥ 1 or Infinity, received 0.5/),
  },
];

const CASES: Case[] = [...IDX_CASES, ...MNIST_CASES, ...CIFAR_CASES, ...FOLDER_CASES, ...IMAGE_CASES];
/** Every case must end within this (a hang or an unbounded walk fails it). */
const DEADLINE_MS = 10_000;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('hostile and broken files', () => {
  for (const [i, c] of CASES.entries()) {
    const skip = (c.posix === true && !posix) || (c.notRoot === true && root);
    it.skipIf(skip)(c.name, async () => {
    const dir = path.join(tmp.dir, `case-${i}`);
    mkdirSync(dir, { recursive: true });
    const { call, names } = await c.make(dir);
    const outcome = await within(
      call().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      DEADLINE_MS,
    );
    if (c.expect === 'ok') {
      if ('error' in outcome) throw outcome.error;
      c.check?.(outcome.value, dir);
      return;
    }
    if (!('error' in outcome)) throw new Error(`expected ${c.expect}, got a result`);
    const error = outcome.error;
    expect(isNfError(error), `not an @nf error: ${String(error)}`).toBe(true);
    expect(DataError.isInstance(error)).toBe(true);
    const e = error as DataError;
    expect({ code: e.code, message: e.message }).toMatchObject({ code: c.expect });
    expect(e.message, 'one line').not.toMatch(/[\n\r\u0085\u2028\u2029]/);
    for (const n of names) expect(e.message).toContain(quote(n));
    c.check?.(e, dir);
    });
  }

  it('covers every error code a file can cause', () => {
    const codes = new Set(CASES.map((c) => c.expect));
    for (const code of ['BAD_IDX', 'BAD_CIFAR', 'COUNT_MISMATCH', 'EMPTY_CLASS', 'BAD_IMAGE', 'NOT_FOUND', 'TOO_LARGE', 'BAD_OPTION', 'ok']) expect(codes).toContain(code);
  });
});

describe('the same IDX bytes through decodeIdx (the browser path: DecompressionStream) fail as the file does', () => {
  /** The message without what may differ: the function named, the inflater's own words, where a bomb was stopped. */
  const normal = (m: string) =>
    m
      .replace(/loadIdx\(/g, 'decodeIdx(')
      .replace(/corrupt or truncated gzip data \(.*\); download/, 'corrupt or truncated gzip data (…); download')
      .replace(/at least [\d,]+/, 'at least N');
  it.each(IDX_BYTES)('$name', async ({ bytes, fileName, options }) => {
    const dir = path.join(tmp.dir, 'same-bytes');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, fileName);
    writeFile(file, bytes());
    const settle = (p: Promise<unknown>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));
    const fromFile = await within(settle(loadIdx(file, options)), DEADLINE_MS);
    const fromBytes = await within(settle(decodeIdx(new Uint8Array(bytes()), { ...options, name: file })), DEADLINE_MS);
    if ('value' in fromFile) {
      expect(fromBytes).toEqual(fromFile);
      return;
    }
    if (!('error' in fromBytes)) throw new Error(`expected ${(fromFile.error as DataError).code}, got a result`);
    const [a, b] = [fromFile.error as DataError, fromBytes.error as DataError];
    expect(DataError.isInstance(b)).toBe(true);
    expect(b.code).toBe(a.code);
    expect(b.message, 'one line').not.toMatch(/[\n\r\u0085\u2028\u2029]/);
    expect(normal(b.message)).toBe(normal(a.message));
  });
});

describe('the pipeline over a folder with hostile images', () => {
  it('skips bombs, FIFOs and garbage with one-line reasons and trains on the rest', async () => {
    const dir = path.join(tmp.dir, 'pipeline');
    await images(dir, ['k/a.png', 'k/b.png', 'j/c.png']);
    writeFile(path.join(dir, 'k', 'bomb.png'), png(30000, 30000, Buffer.alloc(64)));
    writeFile(path.join(dir, 'j', 'svg.png'), '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    writeFile(path.join(dir, 'j', 'nl\nname.png'), 'garbage');
    const source = await imageFolder(dir);
    if (posix) {
      rmSync(path.join(dir, 'k', 'b.png'));
      mkfifo(path.join(dir, 'k', 'b.png'));
    }
    const pipeline = createPipeline(source, { batchSize: 8, workers: 0, imageSize: 4, output: 'arrays', shuffle: false });
    let kept = 0;
    for await (const batch of pipeline) kept += batch.size;
    const skipped = pipeline.skipped.map((s) => [path.relative(dir, s.path), s.reason.split(' (')[0]]);
    expect(skipped.sort()).toEqual(
      [['j/nl\nname.png', 'cannot decode'], ['j/svg.png', 'cannot decode'], ['k/bomb.png', 'too large'], ...(posix ? [['k/b.png', 'cannot read']] : [])].sort(),
    );
    for (const s of pipeline.skipped) expect(s.reason).not.toMatch(/[\n\r]/);
    expect(kept).toBe(posix ? 2 : 3);
  });
});

// ---------------------------------------------------------------------------------------------
// Memory: bombs in a child process, peak RSS against a baseline child

interface ChildReport {
  ok: boolean;
  code?: string;
  message?: string;
  rssMiB: number;
}

async function child(op: string, file = '', options: Record<string, number> = {}): Promise<ChildReport> {
  const { stdout } = await run(process.execPath, ['--max-old-space-size=64', HOSTILE_CHILD, JSON.stringify([op, file, options])], { timeout: 30_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildReport;
}

// Bounds: without the limits each bomb would inflate 874 MiB (+ a copy); the PNG would decode 768 MiB.
// The MNIST-header bomb legitimately allocates its declared 45 MiB; the inflated 64 KiB chunks copied
// into it are garbage until V8 collects them (bounded by V8's external-memory trigger, not the bomb).
describe('bombs stop early (peak memory of a child process)', () => {
  const dir = path.join(tmp.dir, 'bombs');
  let baseline = 0;
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    const reports = [await child('noop'), await child('noop')];
    baseline = Math.max(...reports.map((r) => r.rssMiB));
  });

  it.each([
    ['874 MiB of zeros behind an 800-byte [1, 28, 28] header', () => gzipBomb(idxHeader(TYPE.uint8, [1, 28, 28]), 874), /needs 800 bytes, its gzip data inflates to at least/, 32],
    ['874 MiB of zeros behind a garbage header', () => gzipBomb(Buffer.from('GARBAGE!'), 874), /wrong magic number/, 32],
    ['874 MiB of zeros behind a real 47 MB MNIST header (the declared size is allocated, no more)', () => gzipBomb(idxHeader(TYPE.uint8, [60000, 28, 28]), 874), /needs 47,040,016 bytes, its gzip data inflates to at least/, 45 + 64],
  ])('IDX gzip bomb: %s', async (_, make, pattern, extraMiB) => {
    const file = path.join(dir, 'bomb-idx.gz');
    const bytes = make();
    expect(bytes.length).toBeLessThan(2 * MiB); // a few hundred KB on disk
    writeFileSync(file, bytes);
    const report = await child('loadIdx', file);
    expect(report).toMatchObject({ ok: false, code: 'BAD_IDX', message: expect.stringMatching(pattern) });
    expect(report.rssMiB - baseline, `peak RSS ${report.rssMiB} MiB vs baseline ${baseline} MiB`).toBeLessThan(extraMiB);
  });

  it.each([
    ['874 MiB of zeros behind an 800-byte [1, 28, 28] header', () => gzipBomb(idxHeader(TYPE.uint8, [1, 28, 28]), 874), /needs 800 bytes, its gzip data inflates to at least/, 32],
    ['874 MiB of zeros behind a real 47 MB MNIST header (the declared size is allocated, no more)', () => gzipBomb(idxHeader(TYPE.uint8, [60000, 28, 28]), 874), /needs 47,040,016 bytes, its gzip data inflates to at least/, 45 + 64],
  ])('IDX gzip bomb through decodeIdx (DecompressionStream): %s', async (_, make, pattern, extraMiB) => {
    const file = path.join(dir, 'bomb-idx-web.gz');
    writeFileSync(file, make());
    const report = await child('decodeIdx', file);
    expect(report).toMatchObject({ ok: false, code: 'BAD_IDX', message: expect.stringMatching(pattern) });
    expect(report.rssMiB - baseline, `peak RSS ${report.rssMiB} MiB vs baseline ${baseline} MiB`).toBeLessThan(extraMiB);
  });

  it('a 512 MiB sparse file named x.png is refused from its first bytes, not read (even with maxImageBytes raised)', async () => {
    const folder = path.join(dir, 'sparse');
    mkdirSync(path.join(folder, 'k'), { recursive: true });
    const file = path.join(folder, 'k', 'x.png');
    writeFileSync(file, '');
    truncateSync(file, 512 * MiB);
    const report = await child('readImage', folder, { maxImageBytes: 1024 * MiB });
    expect(report).toMatchObject({ ok: false, code: 'BAD_IMAGE', message: expect.stringContaining('cannot decode (unsupported image format (536,870,912 bytes that are not JPEG') });
    expect(report.rssMiB - baseline, `peak RSS ${report.rssMiB} MiB vs baseline ${baseline} MiB`).toBeLessThan(32);
  });

  it('PNG bomb: 16383×16383 zeros (768 MiB as RGB) in under 1 MB is refused from its header', async () => {
    const file = path.join(dir, 'bomb.png');
    const bytes = png(16383, 16383, await zeroIdat(16383, 16383));
    expect(bytes.length).toBeLessThan(MiB);
    writeFileSync(file, bytes);
    const report = await child('decodeImage', file);
    expect(report).toMatchObject({ ok: false, code: 'TOO_LARGE', message: expect.stringContaining('16383×16383 = 268,402,689 pixels is over the 89,478,485-pixel limit') });
    expect(report.rssMiB - baseline, `peak RSS ${report.rssMiB} MiB vs baseline ${baseline} MiB`).toBeLessThan(32);
    expect(DEFAULT_LIMITS.maxImagePixels).toBe(89_478_485);
  });
});
