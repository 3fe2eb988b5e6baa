/**
 * Hostile and broken files, crafted here byte by byte (no binary fixtures): every reader of the package
 * must refuse them with one ModelsError line that has a code and names the file, without reading
 * outside the given folder, hanging, or allocating more than the bytes present justify — or, for the
 * valid edge cases, return exactly the right arrays.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { constants as zc, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { onAllocation } from './allocation.js';
import { quote } from './quote.js';
import {
  createModel,
  loadHaikuCheckpoint,
  loadModel,
  loadTimmCheckpoint,
  ModelsError,
  readNpz,
  readSafetensors,
  saveModel,
  ScaledActivation,
  writeSafetensors,
  type ModelsErrorCode,
  type NamedArray,
} from './node.js';

// ---------------------------------------------------------------------------------------------
// Byte builders (independent of the readers).

const enc = new TextEncoder();
const MiB = 1024 * 1024;

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);
const f64 = (...v: number[]) => new Uint8Array(new Float64Array(v).buffer);

/** A safetensors file: 8-byte length, the header (JSON of `header`, or `raw` text), then `data`. */
function st(header: unknown, data: Uint8Array = new Uint8Array(0), opts: { raw?: string | Uint8Array; length?: bigint } = {}): Uint8Array {
  const json = opts.raw === undefined ? enc.encode(JSON.stringify(header)) : typeof opts.raw === 'string' ? enc.encode(opts.raw) : opts.raw;
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, opts.length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
const T = (dtype: unknown, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

/** A .npy array as NumPy writes it (header padded to 64 bytes, ending in a newline), with knobs to break it. */
function npy(descr: string, shape: number[] | string, data: Uint8Array, opts: { fortran?: boolean; version?: number; header?: string; headerLength?: number; magic?: string } = {}): Uint8Array {
  const shapeText = typeof shape === 'string' ? shape : `(${shape.join(', ')}${shape.length === 1 ? ',' : ''})`;
  const version = opts.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  let text = opts.header ?? `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  text += `${' '.repeat(Math.ceil((pre + text.length + 1) / 64) * 64 - pre - text.length - 1)}\n`;
  const head = new Uint8Array(pre + text.length);
  head.set(enc.encode(opts.magic ?? '\u0000NUMPY').map((b, i) => (i === 0 && !opts.magic ? 0x93 : b)));
  head.set([version, 0], 6);
  const view = new DataView(head.buffer);
  if (version === 1) view.setUint16(8, opts.headerLength ?? text.length, true);
  else view.setUint32(8, opts.headerLength ?? text.length, true);
  head.set(enc.encode(text), pre);
  return cat(head, data);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface ZipEntry {
  name: string;
  data: Uint8Array;
  method?: number;
  /** The bytes stored for the entry (default: data, deflated for method 8). */
  body?: Uint8Array;
  flags?: number;
  crc?: number;
  size?: number;
  localName?: string;
  localSize?: number;
}

function header(size: number, fields: Array<[number, 2 | 4 | 8, number]>): Uint8Array {
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  for (const [at, width, value] of fields) {
    if (width === 2) v.setUint16(at, value, true);
    else if (width === 4) v.setUint32(at, value >>> 0, true);
    else v.setBigUint64(at, BigInt(value), true);
  }
  return out;
}

function zipParts(e: ZipEntry, zip64: boolean) {
  const method = e.method ?? 0;
  const body = e.body ?? (method === 8 ? new Uint8Array(deflateRawSync(e.data)) : e.data);
  const crc = e.crc ?? crc32(e.data);
  const size = e.size ?? e.data.length;
  const name = enc.encode(e.name);
  const localName = enc.encode(e.localName ?? e.name);
  const localSize = e.localSize ?? size;
  const sat = (v: number) => (zip64 ? 0xffffffff : v);
  // np.savez (force_zip64) writes local headers with saturated sizes and a zip64 extra field of both.
  const localExtra = zip64 ? header(20, [[0, 2, 1], [2, 2, 16], [4, 8, localSize], [12, 8, body.length]]) : new Uint8Array(0);
  const local = cat(
    header(30, [[0, 4, 0x04034b50], [4, 2, 45], [6, 2, e.flags ?? 0], [8, 2, method], [12, 2, 0x21], [14, 4, crc], [18, 4, sat(body.length)], [22, 4, sat(localSize)], [26, 2, localName.length], [28, 2, localExtra.length]]),
    localName,
    localExtra,
  );
  const central = (offset: number) => {
    const extra = zip64 ? header(28, [[0, 2, 1], [2, 2, 24], [4, 8, size], [12, 8, body.length], [20, 8, offset]]) : new Uint8Array(0);
    return cat(
      header(46, [[0, 4, 0x02014b50], [4, 2, 45], [6, 2, 45], [8, 2, e.flags ?? 0], [10, 2, method], [14, 2, 0x21], [16, 4, crc], [20, 4, sat(body.length)], [24, 4, sat(size)], [28, 2, name.length], [30, 2, extra.length], [42, 4, sat(offset)]]),
      name,
      extra,
    );
  };
  return { local, body, central };
}

function endRecord(count: number, cdSize: number, cdOffset: number, comment = 0): Uint8Array {
  return header(22, [[0, 4, 0x06054b50], [8, 2, count], [10, 2, count], [12, 4, cdSize], [16, 4, cdOffset], [20, 2, comment]]);
}

/** A zip of `entries`; `zip64` writes every size and offset through zip64 records, as large archives have them. */
function zip(entries: ZipEntry[], opts: { zip64?: boolean; count?: number; trailing?: Uint8Array } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const { local, body, central } = zipParts(e, opts.zip64 ?? false);
    centrals.push(central(offset));
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const cd = cat(...centrals);
  const count = opts.count ?? entries.length;
  if (!opts.zip64) return cat(...parts, cd, endRecord(count, cd.length, offset), opts.trailing ?? new Uint8Array(0));
  const z = offset + cd.length;
  const end64 = header(56, [[0, 4, 0x06064b50], [4, 8, 44], [12, 2, 45], [14, 2, 45], [24, 8, count], [32, 8, count], [40, 8, cd.length], [48, 8, offset]]);
  const locator = header(20, [[0, 4, 0x07064b50], [8, 8, z], [16, 4, 1]]);
  return cat(...parts, cd, end64, locator, header(22, [[0, 4, 0x06054b50], [8, 2, 0xffff], [10, 2, 0xffff], [12, 4, 0xffffffff], [16, 4, 0xffffffff]]));
}

/** A raw deflate stream of `head` followed by `mib` MiB of zeros (~1 KiB per MiB): the shape of a zip bomb. */
function deflateWithZeros(head: Uint8Array, mib: number): Uint8Array {
  const first = new Uint8Array(deflateRawSync(head, { finishFlush: zc.Z_SYNC_FLUSH }));
  // A megabyte of zeros from a fresh compressor refers only to itself (distance 1), so it can be repeated.
  const zeros = new Uint8Array(deflateRawSync(new Uint8Array(MiB), { finishFlush: zc.Z_SYNC_FLUSH }));
  return cat(first, ...Array.from({ length: mib }, () => zeros), Uint8Array.of(0x03, 0x00));
}

// ---------------------------------------------------------------------------------------------
// Assertions.

/** How our messages show a name: single quotes, backslash escapes (written independently of quote.ts). */
const shown = (name: string) => `'${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;

function expectModelsError(error: unknown, code: ModelsErrorCode, names: string[], match?: RegExp): void {
  expect(error, 'expected a ModelsError').toBeInstanceOf(ModelsError);
  const e = error as ModelsError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/); // one line, no control characters
  for (const name of names) expect(e.message).toContain(shown(name));
  if (match) expect(e.message).toMatch(match);
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

async function caughtAsync(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await fn();
    if (value && typeof (value as tf.LayersModel).dispose === 'function') (value as tf.LayersModel).dispose();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The largest allocation the readers planned while `fn` ran. */
async function largestPlanned(fn: () => unknown): Promise<number> {
  let largest = 0;
  const off = onAllocation((bytes) => {
    largest = Math.max(largest, bytes);
  });
  try {
    await fn();
  } finally {
    off();
  }
  return largest;
}

/** The growth of this process's peak resident memory while `fn` ran, in bytes. */
async function peakGrowth(fn: () => unknown): Promise<number> {
  const before = process.resourceUsage().maxRSS;
  await fn();
  return (process.resourceUsage().maxRSS - before) * 1024;
}

const WHERE = "evil\n'name'.bin";

beforeAll(() => useBackend('cpu'));

// ---------------------------------------------------------------------------------------------
// Memory: declared sizes are checked against the bytes present before anything is allocated.
// These run first, while this process's peak memory is still low, so a regression shows in maxRSS.

describe('memory bounds', () => {
  it('a zip bomb: an entry whose deflate stream goes on past its declared size (1 GiB of zeros) is stopped at that size', async () => {
    const array = npy('<f4', [4], f32(1, 2, 3, 4));
    const bomb = zip([{ name: 'w.npy', data: array, method: 8, body: deflateWithZeros(array, 1024) }]);
    expect(bomb.length).toBeLessThan(1.2 * MiB);
    const before = tf.memory().numTensors;
    let error: unknown;
    const started = Date.now();
    const growth = await peakGrowth(async () => {
      const planned = await largestPlanned(() => {
        error = caught(() => readNpz(bomb, WHERE));
      });
      expect(planned).toBeLessThan(2 * MiB);
    });
    expectModelsError(error, 'BAD_FILE', [WHERE, 'w.npy'], /inflates past the 144 bytes its zip entry declares/);
    expect(growth).toBeLessThan(128 * MiB);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an honest bomb: an entry declaring 1 GiB in a 1 MiB archive is refused by maxInflateRatio, then by maxBytes, before inflating', async () => {
    const head = npy('<f4', [256 * MiB], new Uint8Array(0));
    const size = head.length + 1024 * MiB;
    const archive = zip([{ name: 'big.npy', data: head, size, crc: 0, method: 8, body: deflateWithZeros(head, 1024) }]);
    const growth = await peakGrowth(async () => {
      const planned = await largestPlanned(() => {
        expectModelsError(caught(() => readNpz(archive, WHERE)), 'TOO_LARGE', [WHERE], /unpack to 1073741952 bytes from a \d+-byte archive .* maxInflateRatio/);
        expectModelsError(caught(() => readNpz(archive, WHERE, { maxInflateRatio: 2000, maxBytes: 512 * MiB })), 'TOO_LARGE', [WHERE], /over the limit of 536870912 \(maxBytes\)/);
      });
      expect(planned).toBe(0);
    });
    expect(growth).toBeLessThan(128 * MiB);
  });

  it('~100 bytes of safetensors or .npy declaring 4 GB plan no allocation', async () => {
    const cases: Array<() => unknown> = [
      () => readSafetensors(st({ w: T('F32', [1_000_000_000], [0, 4_000_000_000]) }, f32(1)), WHERE),
      () => readSafetensors(st({ w: T('F32', [1_000_000_000], [0, 4]) }, f32(1)), WHERE),
      () => readNpz(zip([{ name: 'w.npy', data: npy('<f4', [1_000_000_000], f32(1)) }]), WHERE),
      () => readNpz(zip([{ name: 'w.npy', data: npy('<f4', [1_000_000_000], f32(1)), method: 8 }]), WHERE),
    ];
    for (const run of cases) {
      let error: unknown;
      const planned = await largestPlanned(() => {
        error = caught(run);
      });
      expectModelsError(error, 'BAD_FILE', [WHERE]);
      expect(planned).toBeLessThan(2 * MiB);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// safetensors

const good = f32(1, 2, 3, 4);
const SAFETENSORS_BAD: Array<{ name: string; file: () => Uint8Array; code: ModelsErrorCode; match: RegExp }> = [
  { name: 'shorter than 8 bytes', file: () => new Uint8Array(5), code: 'BAD_FILE', match: /shorter than its 8-byte header length/ },
  { name: 'header length past the file', file: () => st({}, new Uint8Array(0), { raw: '{}', length: 1n << 40n }), code: 'BAD_FILE', match: /header length 1099511627776 exceeds/ },
  { name: 'header length 2^64-1', file: () => st({}, new Uint8Array(0), { raw: '{}', length: (1n << 64n) - 1n }), code: 'BAD_FILE', match: /exceeds the 2 bytes/ },
  { name: 'header null', file: () => st(null), code: 'BAD_FILE', match: /does not start with '\{'/ },
  { name: 'header an array', file: () => st([1]), code: 'BAD_FILE', match: /does not start with/ },
  { name: 'header not JSON', file: () => st(null, good, { raw: '{"w": {"dtype"' }), code: 'BAD_FILE', match: /header is not valid JSON/ },
  { name: 'header not UTF-8', file: () => st(null, good, { raw: Uint8Array.of(0x7b, 0xff, 0x7d) }), code: 'BAD_FILE', match: /not UTF-8/ },
  { name: 'entry null', file: () => st({ w: null }), code: 'BAD_FILE', match: /tensor 'w' is null/ },
  { name: 'entry an array', file: () => st({ w: [1] }), code: 'BAD_FILE', match: /tensor 'w' is an array/ },
  { name: 'entry without data_offsets', file: () => st({ w: { dtype: 'F32', shape: [4] } }, good), code: 'BAD_FILE', match: /data_offsets undefined/ },
  { name: 'entry without dtype', file: () => st({ w: { shape: [4], data_offsets: [0, 16] } }, good), code: 'BAD_FILE', match: /has no dtype/ },
  { name: 'unknown dtype', file: () => st({ w: T('Q7', [4], [0, 16]) }, good), code: 'BAD_FILE', match: /dtype 'Q7'; supported: F32, F16, BF16, F64/ },
  { name: 'integer dtype', file: () => st({ w: T('I64', [2], [0, 16]) }, good), code: 'BAD_FILE', match: /dtype 'I64'/ },
  { name: 'negative dimension', file: () => st({ w: T('F32', [-4], [0, 16]) }, good), code: 'BAD_FILE', match: /shape \[-4\]/ },
  { name: 'fractional dimension', file: () => st({ w: T('F32', [2.5], [0, 10]) }, good), code: 'BAD_FILE', match: /shape \[2.5\]/ },
  { name: 'string dimension', file: () => st({ w: T('F32', ['4'], [0, 16]) }, good), code: 'BAD_FILE', match: /shape \["4"\]/ },
  { name: 'shape not a list', file: () => st({ w: T('F32', 4, [0, 16]) }, good), code: 'BAD_FILE', match: /shape 4/ },
  { name: 'shape product past 2^53', file: () => st({ w: T('F32', [2 ** 30, 2 ** 30, 2 ** 30], [0, 16]) }, good), code: 'BAD_FILE', match: /at most 2\^53/ },
  { name: 'negative offsets', file: () => st({ w: T('F32', [4], [-16, 0]) }, good), code: 'BAD_FILE', match: /data_offsets \[-16, 0\]/ },
  { name: 'fractional offsets', file: () => st({ w: T('F32', [4], [0.5, 16.5]) }, good), code: 'BAD_FILE', match: /two non-negative integers/ },
  { name: 'three offsets', file: () => st({ w: T('F32', [4], [0, 8, 16]) }, good), code: 'BAD_FILE', match: /expected \[begin, end\]/ },
  { name: 'end before begin', file: () => st({ w: T('F32', [0], [16, 0]) }, good), code: 'BAD_FILE', match: /end before begin/ },
  { name: 'bytes not matching shape × dtype', file: () => st({ w: T('F32', [3], [0, 16]) }, good), code: 'BAD_FILE', match: /has 16 bytes .* needs 12/ },
  { name: 'past the end of the file', file: () => st({ w: T('F32', [8], [0, 32]) }, good), code: 'BAD_FILE', match: /ends at byte 32 of a data region of 16 bytes; the file is truncated/ },
  { name: 'overlapping tensors', file: () => st({ a: T('F32', [2], [0, 8]), b: T('F32', [2], [4, 12]), c: T('F32', [1], [12, 16]) }, good), code: 'BAD_FILE', match: /tensors 'a' and 'b' overlap/ },
  { name: 'two tensors on the same bytes', file: () => st({ a: T('F32', [4], [0, 16]), b: T('F32', [4], [0, 16]) }, good), code: 'BAD_FILE', match: /overlap/ },
  { name: 'a gap between tensors', file: () => st({ a: T('F32', [1], [0, 4]), b: T('F32', [2], [8, 16]) }, good), code: 'BAD_FILE', match: /bytes 4–8 of the data region belong to no tensor/ },
  { name: 'data before the first tensor (the header bytes read as weights)', file: () => st({ a: T('F32', [2], [8, 16]) }, good), code: 'BAD_FILE', match: /bytes 0–8/ },
  { name: 'bytes after the last tensor', file: () => st({ a: T('F32', [3], [0, 12]) }, good), code: 'BAD_FILE', match: /4 bytes after the last tensor/ },
  { name: 'a duplicate name hiding a tensor', file: () => st(null, good, { raw: '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}' }), code: 'BAD_FILE', match: /belong to no tensor/ },
  { name: '__metadata__ not an object', file: () => st({ __metadata__: null, w: T('F32', [4], [0, 16]) }, good), code: 'BAD_FILE', match: /__metadata__ is not an object of strings/ },
  { name: '__metadata__ with a number', file: () => st({ __metadata__: { epoch: 3 }, w: T('F32', [4], [0, 16]) }, good), code: 'BAD_FILE', match: /__metadata__ 'epoch' is number/ },
  { name: 'a tensor name with a newline', file: () => st({ 'a\nb': T('U8', [4], [0, 4]) }, good), code: 'BAD_FILE', match: /tensor 'a\\nb' has dtype 'U8'/ },
];

describe('safetensors: hostile files', () => {
  it.each(SAFETENSORS_BAD)('$name → $code', async ({ file, code, match }) => {
    const bytes = file();
    const before = tf.memory().numTensors;
    let error: unknown;
    const planned = await largestPlanned(() => {
      error = caught(() => readSafetensors(bytes, WHERE));
    });
    expectModelsError(error, code, [WHERE], match);
    expect(planned).toBe(0); // refused before any tensor was allocated
    expect(tf.memory().numTensors).toBe(before);
  });

  it('valid edge cases: empty file, scalar, zero-size, F16/BF16/F64, space padding, metadata', () => {
    expect(readSafetensors(st({}), WHERE)).toEqual({ tensors: {}, metadata: {} });
    const half = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x7c00, 0x0001]).buffer); // 1, -2, inf, smallest subnormal
    const bf16 = new Uint8Array(new Uint16Array([0x3f80, 0xc040]).buffer); // 1, -3
    const data = cat(f32(7), half, bf16, f64(0.1));
    const file = st(null, data, {
      raw: `${JSON.stringify({ __metadata__: { format: 'pt' }, s: T('F32', [], [0, 4]), z: T('F32', [0, 3], [4, 4]), h: T('F16', [2, 2], [4, 12]), b: T('BF16', [2], [12, 16]), d: T('F64', [1], [16, 24]) })}      `,
    });
    const { tensors, metadata } = readSafetensors(file, WHERE);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Object.keys(tensors)).toEqual(['s', 'z', 'h', 'b', 'd']);
    expect(tensors.s).toEqual({ shape: [], data: Float32Array.of(7) });
    expect(tensors.z).toEqual({ shape: [0, 3], data: new Float32Array(0) });
    expect(tensors.h).toEqual({ shape: [2, 2], data: Float32Array.of(1, -2, Infinity, 2 ** -24) });
    expect(tensors.b).toEqual({ shape: [2], data: Float32Array.of(1, -3) });
    expect(tensors.d).toEqual({ shape: [1], data: Float32Array.of(0.1) });
  });

  it('tensors named __proto__ and constructor round-trip as ordinary keys', () => {
    const input = JSON.parse('{"__proto__": {"shape": [2], "data": null}, "constructor": {"shape": [1], "data": null}}') as Record<string, NamedArray>;
    input['__proto__']!.data = Float32Array.of(1, 2);
    input['constructor']!.data = Float32Array.of(3);
    const meta = JSON.parse('{"__proto__": "m"}') as Record<string, string>;
    const back = readSafetensors(writeSafetensors(input, meta), WHERE);
    expect(Object.keys(back.tensors)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(back.tensors)).toBe(null);
    expect(back.tensors['__proto__']).toEqual({ shape: [2], data: Float32Array.of(1, 2) });
    expect(back.tensors['constructor']).toEqual({ shape: [1], data: Float32Array.of(3) });
    expect(Object.keys(back.metadata)).toEqual(['__proto__']);
    expect(back.metadata['__proto__']).toBe('m');
    expect(readSafetensors(writeSafetensors({}), WHERE).tensors['toString']).toBeUndefined();
  });

  it('a Node Buffer from the shared pool (nonzero byteOffset): offsets are relative to the view, never the pool', () => {
    Buffer.from('shift the pool'); // so the next small Buffer starts inside the pool
    const file = st({ a: T('F32', [2], [0, 8]), b: T('F64', [1], [8, 16]) }, cat(f32(1.5, -2), f64(3.25)));
    const pooled = Buffer.from(file);
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(pooled.buffer.byteLength).toBeGreaterThan(pooled.byteLength);
    const { tensors } = readSafetensors(pooled, WHERE);
    expect(tensors.a!.data).toEqual(Float32Array.of(1.5, -2));
    expect(tensors.b!.data).toEqual(Float32Array.of(3.25));
    // Offsets reaching before the view (into whatever the pool holds there) are refused, not read.
    Buffer.from('more pool');
    const evil = Buffer.from(st({ a: T('F32', [2], [-8, 0]) }, f32(1, 2)));
    expect(evil.byteOffset).toBeGreaterThan(0);
    expectModelsError(caught(() => readSafetensors(evil, WHERE)), 'BAD_FILE', [WHERE], /data_offsets \[-8, 0\]/);
  });

  it('writeSafetensors refuses data that does not fit its shape, and the reserved name', () => {
    expect(() => writeSafetensors({ w: { shape: [3], data: Float32Array.of(1, 2) } })).toThrow(/Tensor 'w' has 2 values for shape \[3\]/);
    expect(() => writeSafetensors({ w: { shape: [-2], data: Float32Array.of(1, 2) } })).toThrow(ModelsError);
    expect(() => writeSafetensors({ __metadata__: { shape: [1], data: Float32Array.of(1) } })).toThrow(/reserves it/);
  });
});

describe('quote: names in messages', () => {
  it('escapes quotes, backslashes, control and bidi characters, lone surrogates; shortens long names', () => {
    expect(quote("it's a\\b\n")).toBe("'it\\'s a\\\\b\\n'");
    expect(quote('\u001b[31mred\u0007 \u202eevil \u2028x \ud800')).toBe("'\\u001b[31mred\\u0007 \\u202eevil \\u2028x \\ud800'");
    expect(quote('ok/ünïcode/😀.bin')).toBe("'ok/ünïcode/😀.bin'");
    const long = quote(`${'a'.repeat(500)}\n${'b'.repeat(500)}`);
    expect(long).toMatch(/^'a{120}…\(761 more characters\)…b{120}'$/);
    expect(new ModelsError('IO', 'two\nlines\r\n').message).toBe('two lines');
  });
});

describe('names from files are never looked up on prototypes', () => {
  it("a model or activation named 'constructor' / '__proto__' is unknown, not Object", () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      expectModelsError(caught(() => createModel(name as 'nfnet_tiny_mnist')), 'UNKNOWN_MODEL', [name], /Unknown model/);
      expectModelsError(caught(() => new ScaledActivation({ activation: name, gamma: 1 } as never)), 'BAD_CONFIG', [name], /unknown activation/);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// .npz and .npy

const arr = npy('<f4', [2, 2], f32(1, 2, 3, 4));
const NPZ_BAD: Array<{ name: string; file: () => Uint8Array; code: ModelsErrorCode; match: RegExp; entry?: string }> = [
  // the archive
  { name: 'not a zip', file: () => enc.encode('just some text, long enough to hold an end record'), code: 'BAD_FILE', match: /not an \.npz \(zip\) archive/ },
  { name: 'empty', file: () => new Uint8Array(0), code: 'BAD_FILE', match: /not an \.npz \(zip\) archive/ },
  { name: 'bytes after the end record', file: () => zip([{ name: 'w.npy', data: arr }], { trailing: enc.encode('junk') }), code: 'BAD_FILE', match: /no zip end record at its end/ },
  { name: 'entry-count bomb (60000 entries declared, 1 present)', file: () => zip([{ name: 'w.npy', data: arr }], { count: 60_000 }), code: 'BAD_FILE', match: /declares 60000 entries but its central directory of 51 bytes holds at most 1/ },
  {
    name: 'central directory offset outside the file',
    file: () => {
      const z = zip([{ name: 'w.npy', data: arr }]);
      new DataView(z.buffer).setUint32(z.length - 6, 0x7fffffff, true);
      return z;
    },
    code: 'BAD_FILE',
    match: /does not end where the end record starts/,
  },
  {
    name: 'zip64 end record missing',
    file: () => {
      const z = zip([{ name: 'w.npy', data: arr }]);
      new DataView(z.buffer).setUint16(z.length - 14, 0xffff, true);
      new DataView(z.buffer).setUint16(z.length - 12, 0xffff, true);
      return z;
    },
    code: 'BAD_FILE',
    match: /zip64 records that are missing/,
  },
  // entries
  { name: 'encrypted entry', file: () => zip([{ name: 'w.npy', data: arr, flags: 1 }]), code: 'BAD_FILE', match: /entry 'w.npy' is encrypted/ },
  { name: 'bzip2 entry', file: () => zip([{ name: 'w.npy', data: arr, method: 12 }]), code: 'BAD_FILE', match: /zip method 12 \(bzip2\); only stored \(0\) and deflate \(8\)/ },
  { name: 'unknown method', file: () => zip([{ name: 'w.npy', data: arr, method: 77 }]), code: 'BAD_FILE', match: /zip method 77;/ },
  { name: "name with '..'", file: () => zip([{ name: '../../etc/w.npy', data: arr }]), code: 'BAD_FILE', match: /unsafe name/ },
  { name: 'absolute name', file: () => zip([{ name: '/w.npy', data: arr }]), code: 'BAD_FILE', match: /unsafe name/ },
  { name: 'name with a newline', file: () => zip([{ name: 'a\nb.npy', data: arr }]), code: 'BAD_FILE', match: /entry 'a\\nb\.npy' has an unsafe name/ },
  { name: 'not an .npy entry', file: () => zip([{ name: 'w.pkl', data: arr }]), code: 'BAD_FILE', match: /entry 'w\.pkl' is not a NAME\.npy array/ },
  { name: 'directory entry', file: () => zip([{ name: 'dir/', data: new Uint8Array(0) }]), code: 'BAD_FILE', match: /is not a NAME\.npy array/ },
  { name: 'duplicate names', file: () => zip([{ name: 'w.npy', data: arr }, { name: 'w.npy', data: arr }]), code: 'BAD_FILE', match: /entry 'w\.npy' appears twice/ },
  { name: 'stored entry with two sizes', file: () => zip([{ name: 'w.npy', data: arr, size: 999 }]), code: 'BAD_FILE', match: /is stored but its sizes differ/ },
  { name: 'local name differs from the central directory', file: () => zip([{ name: 'w.npy', data: arr, localName: 'x.npy' }]), code: 'BAD_FILE', match: /local header names it 'x\.npy'/ },
  { name: 'local size differs from the central directory', file: () => zip([{ name: 'w.npy', data: arr, method: 8, localSize: 5 }]), code: 'BAD_FILE', match: /local header disagrees with the central directory \(CRC or sizes/ },
  {
    name: 'overlapping entries (one entry inside another: the non-recursive zip bomb)',
    file: () => {
      const inner = zipParts({ name: 'b.npy', data: arr }, false);
      const innerBytes = cat(inner.local, inner.body);
      const outer = zipParts({ name: 'a.npy', data: innerBytes }, false);
      const cd = cat(outer.central(0), inner.central(outer.local.length));
      return cat(outer.local, innerBytes, cd, endRecord(2, cd.length, outer.local.length + innerBytes.length));
    },
    code: 'BAD_FILE',
    match: /entries 'a\.npy' and 'b\.npy' overlap/,
  },
  { name: 'corrupt deflate data', file: () => zip([{ name: 'w.npy', data: arr, method: 8, body: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff) }]), code: 'BAD_FILE', match: /array 'w\.npy' has corrupt deflate data \(zlib Z_DATA_ERROR\)/ },
  {
    name: 'deflate stream cut short',
    file: () => {
      const body = new Uint8Array(deflateRawSync(npy('<f4', [64], new Uint8Array(256).map((_, i) => i))));
      return zip([{ name: 'w.npy', data: npy('<f4', [64], new Uint8Array(256)), method: 8, body: body.subarray(0, body.length - 20) }]);
    },
    code: 'BAD_FILE',
    match: /array 'w\.npy' (has corrupt deflate data|inflates to \d+ bytes)/,
  },
  { name: 'deflated entry with no data', file: () => zip([{ name: 'w.npy', data: arr, method: 8, body: new Uint8Array(0) }]), code: 'BAD_FILE', match: /array 'w\.npy' (is not a \.npy array \(0 bytes\)|has corrupt deflate data)/ },
  { name: 'CRC mismatch', file: () => zip([{ name: 'w.npy', data: arr, crc: 12345 }]), code: 'BAD_FILE', match: /fails its CRC-32 check/ },
  // the .npy inside
  { name: '.npy shorter than its preamble', file: () => zip([{ name: 'w.npy', data: Uint8Array.of(0x93, 0x4e, 0x55) }]), code: 'BAD_FILE', match: /array 'w\.npy' is not a \.npy array \(3 bytes\)/ },
  { name: '.npy short, deflated', file: () => zip([{ name: 'w.npy', data: Uint8Array.of(0x93, 0x4e, 0x55), method: 8 }]), code: 'BAD_FILE', match: /is not a \.npy array \(3 bytes\)/ },
  { name: '.npy without magic', file: () => zip([{ name: 'w.npy', data: npy('<f4', [1], f32(1), { magic: 'XNUMPX' }) }]), code: 'BAD_FILE', match: /no \\x93NUMPY magic/ },
  { name: '.npy version 4.0', file: () => zip([{ name: 'w.npy', data: npy('<f4', [1], f32(1), { version: 4 }) }]), code: 'BAD_FILE', match: /format version 4\.0; supported: 1\.0, 2\.0, 3\.0/ },
  { name: '.npy header length past the data', file: () => zip([{ name: 'w.npy', data: npy('<f4', [1], f32(1), { headerLength: 9000 }) }]), code: 'BAD_FILE', match: /header of 9000 bytes but only \d+ follow/ },
  { name: '.npy header length past NumPy’s limit', file: () => zip([{ name: 'w.npy', data: npy('<f4', [1], f32(1), { version: 2, headerLength: 0x7fffffff }) }]), code: 'TOO_LARGE', match: /header of 2147483647 bytes, over NumPy's limit of 10000/ },
  { name: 'object dtype (a pickle)', file: () => zip([{ name: 'w.npy', data: npy('|O', [1], enc.encode('\u0080\u0004cos\nsystem\n')) }]), code: 'BAD_FILE', match: /dtype '\|O': Python objects, stored as pickles; refused/ },
  { name: 'integer dtype', file: () => zip([{ name: 'w.npy', data: npy('<i8', [1], f64(1)) }]), code: 'BAD_FILE', match: /dtype '<i8'; supported: <f4, <f8, <f2/ },
  { name: 'Fortran order', file: () => zip([{ name: 'w.npy', data: npy('<f4', [2, 2], f32(1, 2, 3, 4), { fortran: true }) }]), code: 'BAD_FILE', match: /is in Fortran order/ },
  { name: 'negative dimension', file: () => zip([{ name: 'w.npy', data: npy('<f4', '(-4,)', f32(1)) }]), code: 'BAD_FILE', match: /expected an integer in the shape/ },
  { name: 'structured dtype', file: () => zip([{ name: 'w.npy', data: npy('', [1], f32(1), { header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }" }) }]), code: 'BAD_FILE', match: /structured dtypes are not supported/ },
  { name: 'an extra header key', file: () => zip([{ name: 'w.npy', data: npy('', [1], f32(1), { header: "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}" }) }]), code: 'BAD_FILE', match: /unreadable header|header keys/ },
  { name: 'a duplicated header key', file: () => zip([{ name: 'w.npy', data: npy('', [1], f32(1), { header: "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}" }) }]), code: 'BAD_FILE', match: /key 'descr' appears twice/ },
  { name: 'a Python expression in the header', file: () => zip([{ name: 'w.npy', data: npy('', [1], f32(1), { header: "{'descr': __import__('os').system('id'), 'fortran_order': False, 'shape': (1,)}" }) }]), code: 'BAD_FILE', match: /unreadable header/ },
  { name: 'shape size past 2^53', file: () => zip([{ name: 'w.npy', data: npy('<f8', [2 ** 26, 2 ** 26, 2 ** 26], f32(1)) }]), code: 'BAD_FILE', match: /whose size is not a safe integer/ },
  { name: 'truncated data', file: () => zip([{ name: 'w.npy', data: npy('<f4', [4], f32(1, 2)) }]), code: 'BAD_FILE', match: /has 8 data bytes but shape \(4\) <f4 needs 16; it is truncated/ },
  { name: 'bytes after the data', file: () => zip([{ name: 'w.npy', data: npy('<f4', [1], f32(1, 2)) }]), code: 'BAD_FILE', match: /has 4 bytes after the data/ },
  { name: 'deflated entry whose .npy header disagrees with its zip size', file: () => zip([{ name: 'w.npy', data: npy('<f4', [1000], f32(1)), method: 8 }]), code: 'BAD_FILE', match: /declares shape \(1000\) <f4, 4128 bytes with its header, but its zip entry holds 132/ },
];

describe('.npz: hostile files', () => {
  it.each(NPZ_BAD)('$name → $code', async ({ file, code, match }) => {
    const bytes = file();
    const before = tf.memory().numTensors;
    let error: unknown;
    const planned = await largestPlanned(() => {
      error = caught(() => readNpz(bytes, WHERE));
    });
    expectModelsError(error, code, [WHERE], match);
    expect(planned).toBeLessThanOrEqual(Math.max(2 * MiB, 4 * bytes.length));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('valid edge cases: stored and deflated, <f2/<f8/big-endian, version 2 and 3 headers, scalar, zero-size, zip64 records, __proto__', () => {
    const be = new Uint8Array(8);
    new DataView(be.buffer).setFloat32(0, 1.5, false);
    new DataView(be.buffer).setFloat32(4, -2, false);
    const entries: ZipEntry[] = [
      { name: 'NFNet/~/stem_conv0/w.npy', data: arr, method: 8 },
      { name: 'half.npy', data: npy('<f2', [2], new Uint8Array(new Uint16Array([0x3c00, 0xfc00]).buffer)) },
      { name: 'double.npy', data: npy('<f8', [1], f64(0.1), { version: 2 }), method: 8 },
      { name: 'big.npy', data: npy('>f4', [2], be, { version: 3 }) },
      { name: 'scalar.npy', data: npy('<f4', [], f32(9)) },
      { name: 'empty.npy', data: npy('<f4', [0, 5], new Uint8Array(0)) },
      { name: '__proto__.npy', data: npy('<f4', [1], f32(42)) },
      { name: 'zeros.npy', data: npy('<f4', [100_000], new Uint8Array(400_000)), method: 8 }, // 400 KB from ~1 KB: under the 16 MiB allowance
    ];
    const expected = {
      'NFNet/~/stem_conv0/w': { shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
      half: { shape: [2], data: Float32Array.of(1, -Infinity) },
      double: { shape: [1], data: Float32Array.of(0.1) },
      big: { shape: [2], data: Float32Array.of(1.5, -2) },
      scalar: { shape: [], data: Float32Array.of(9) },
      empty: { shape: [0, 5], data: new Float32Array(0) },
      zeros: { shape: [100_000], data: new Float32Array(100_000) },
    };
    for (const zip64 of [false, true]) {
      const out = readNpz(zip(entries, { zip64 }), WHERE);
      expect(Object.getPrototypeOf(out)).toBe(null);
      expect(Object.keys(out)).toEqual([...Object.keys(expected).slice(0, 6), '__proto__', 'zeros']);
      for (const [key, value] of Object.entries(expected)) expect(out[key], key).toEqual(value);
      expect(out['__proto__']).toEqual({ shape: [1], data: Float32Array.of(42) });
    }
    // A Node Buffer from the pool, and a deflated entry whose inflated Buffer may come from the pool too.
    Buffer.from('shift the pool');
    const pooled = Buffer.from(zip([{ name: 'a.npy', data: npy('<f8', [1], f64(-0.5)), method: 8 }]));
    expect(pooled.byteOffset).toBeGreaterThan(0);
    expect(readNpz(pooled, WHERE)['a']).toEqual({ shape: [1], data: Float32Array.of(-0.5) });
  });

  it('limit options are validated', () => {
    expectModelsError(caught(() => readNpz(zip([]), WHERE, { maxBytes: -1 })), 'BAD_CONFIG', [], /maxBytes must be a positive number of bytes, received -1/);
    expectModelsError(caught(() => readNpz(zip([]), WHERE, { maxInflateRatio: Number.NaN })), 'BAD_CONFIG', [], /maxInflateRatio must be a positive number of times/);
    expect(readNpz(zip([]), WHERE)).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------
// Checkpoint files named by path, and model folders.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});
function tempRoot(): string {
  const r = realpathSync(mkdtempSync(path.join(tmpdir(), 'nf-hostile-')));
  roots.push(r);
  return r;
}
function fifo(file: string): boolean {
  try {
    execFileSync('mkfifo', [file]);
    return true;
  } catch {
    return false;
  }
}

describe('checkpoint paths: only regular files, within maxBytes', () => {
  it('a device, a FIFO, a directory, a missing file, a file over maxBytes, a pickle', async () => {
    const root = tempRoot();
    const model = createModel('nfnet_tiny_mnist');
    const before = tf.memory().numTensors;
    const timm = path.join(root, "timm\n'ckpt'.safetensors");
    writeFileSync(timm, writeSafetensors({ w: { shape: [1], data: Float32Array.of(1) } }));
    const pipe = path.join(root, 'pipe.safetensors');
    const started = Date.now();
    expectModelsError(await caughtAsync(() => loadTimmCheckpoint(model, '/dev/zero')), 'BAD_FILE', ['/dev/zero'], /is a character device, not a plain file/);
    expectModelsError(await caughtAsync(() => loadHaikuCheckpoint(model, '/dev/zero')), 'BAD_FILE', ['/dev/zero'], /character device/);
    if (fifo(pipe)) expectModelsError(await caughtAsync(() => loadTimmCheckpoint(model, pipe)), 'BAD_FILE', [pipe], /is a FIFO \(named pipe\), not a plain file/);
    expect(Date.now() - started).toBeLessThan(2000);
    expectModelsError(await caughtAsync(() => loadTimmCheckpoint(model, root)), 'BAD_FILE', [root], /is a directory/);
    expectModelsError(await caughtAsync(() => loadTimmCheckpoint(model, path.join(root, 'no\nsuch'))), 'IO', [path.join(root, 'no\nsuch')], /Cannot read checkpoint .*: ENOENT \(no such file or directory\)\.$/);
    expectModelsError(await caughtAsync(() => loadTimmCheckpoint(model, timm, { maxBytes: 16 })), 'TOO_LARGE', [timm], /is \d+ bytes, over the limit of 16 \(maxBytes\)/);
    expectModelsError(await caughtAsync(() => loadTimmCheckpoint(model, timm)), 'WEIGHTS_MISMATCH', [timm], /unexpected 1: w/);
    const pickle = path.join(root, 'F0_haiku.npz');
    writeFileSync(pickle, Uint8Array.of(0x80, 4, 0x95, 0, 0));
    expectModelsError(await caughtAsync(() => loadHaikuCheckpoint(model, pickle)), 'BAD_FILE', [pickle], /is a Python pickle .*never unpickled/);
    const npzFile = path.join(root, 'bomb.npz');
    const head = npy('<f4', [256 * MiB], new Uint8Array(0));
    writeFileSync(npzFile, zip([{ name: 'w.npy', data: head, size: head.length + 1024 * MiB, method: 8, body: deflateWithZeros(head, 64) }]));
    expectModelsError(await caughtAsync(() => loadHaikuCheckpoint(model, npzFile)), 'TOO_LARGE', [npzFile], /maxInflateRatio/);
    expectModelsError(await caughtAsync(() => loadHaikuCheckpoint(model, npzFile, { maxInflateRatio: 1e6, maxBytes: 1e6 })), 'TOO_LARGE', [npzFile], /maxBytes/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('loadModel: a model folder is untrusted', () => {
  let template: string;
  let expected: Float32Array[];
  let root: string;

  beforeAll(async () => {
    root = tempRoot();
    template = path.join(root, 'template');
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'fc' })] });
    expected = model.getWeights().map((w) => w.dataSync() as Float32Array);
    await saveModel(model, template);
    model.dispose();
  });

  let n = 0;
  /** A fresh copy of the saved model (kernel 3×2 + bias 2 = 32 bytes of weights) under an awkward name. */
  function copy(): { dir: string; json: string; bin: string; manifest: Record<string, any> } {
    const dir = path.join(root, `m'odel\n${n++}`);
    cpSync(template, dir, { recursive: true });
    const json = path.join(dir, 'model.json');
    return { dir, json, bin: path.join(dir, 'weights.bin'), manifest: JSON.parse(readFileSync(json, 'utf8')) };
  }
  const write = (c: { json: string; manifest: unknown }) => writeFileSync(c.json, JSON.stringify(c.manifest));
  const paths = (c: { json: string; manifest: Record<string, any> }, ...p: unknown[]) => {
    c.manifest.weightsManifest[0].paths = p;
    write(c);
  };

  type Setup = ReturnType<typeof copy>;
  /** `tfjsLeaks`: tensors tfjs-layers itself leaves behind when it refuses weights after building the model (not ours to free; README). */
  const CASES: Array<{ name: string; setup: (c: Setup) => void; code: ModelsErrorCode; names: (c: Setup) => string[]; match: RegExp; skip?: () => boolean; tfjsLeaks?: number }> = [
    { name: "a weights path with '..'", setup: (c) => paths(c, '../template/weights.bin'), code: 'OUTSIDE_FOLDER', names: (c) => [c.json, '../template/weights.bin'], match: /a path with a '\.\.' segment; a model\.json may only name plain files inside its own folder/ },
    { name: 'an absolute path', setup: (c) => paths(c, '/etc/passwd'), code: 'OUTSIDE_FOLDER', names: (c) => [c.json, '/etc/passwd'], match: /an absolute path/ },
    { name: '/dev/zero', setup: (c) => paths(c, '/dev/zero'), code: 'OUTSIDE_FOLDER', names: (c) => [c.json, '/dev/zero'], match: /an absolute path/ },
    {
      name: 'a symlink to /dev/zero inside the folder',
      setup: (c) => {
        rmSync(c.bin);
        symlinkSync('/dev/zero', c.bin);
      },
      code: 'OUTSIDE_FOLDER',
      names: (c) => [c.json, 'weights.bin', '/dev/zero'],
      match: /a symbolic link that leads to/,
    },
    {
      name: 'a symlink to a file outside the folder',
      setup: (c) => {
        rmSync(c.bin);
        symlinkSync(path.join(template, 'weights.bin'), c.bin);
      },
      code: 'OUTSIDE_FOLDER',
      names: (c) => [c.json, 'weights.bin'],
      match: /a symbolic link that leads to .*template/,
    },
    {
      name: 'model.json itself a symlink out of the folder',
      setup: (c) => {
        rmSync(c.json);
        symlinkSync(path.join(template, 'model.json'), c.json);
      },
      code: 'OUTSIDE_FOLDER',
      names: (c) => [c.json],
      match: /model\.json' is a symbolic link that leads to .*template.*, outside the model folder/,
    },
    {
      name: 'a directory as the weights file',
      setup: (c) => {
        rmSync(c.bin);
        mkdirSync(c.bin);
      },
      code: 'BAD_FILE',
      names: (c) => [c.bin, c.json],
      match: /is a directory, not a plain file/,
    },
    {
      name: 'a FIFO as the weights file (must not block)',
      setup: (c) => {
        rmSync(c.bin);
        if (!fifo(c.bin)) throw new Error('mkfifo unavailable');
      },
      code: 'BAD_FILE',
      names: (c) => [c.bin],
      match: /is a FIFO \(named pipe\), not a plain file/,
      skip: () => !fifo(path.join(tempRoot(), 'probe')),
    },
    { name: 'a missing weights file', setup: (c) => rmSync(c.bin), code: 'IO', names: (c) => [c.bin], match: /Cannot read weights file .*: ENOENT/ },
    { name: 'the same file listed twice', setup: (c) => paths(c, 'weights.bin', './weights.bin'), code: 'BAD_FILE', names: (c) => [c.json, './weights.bin'], match: /is listed twice/ },
    { name: 'an empty path', setup: (c) => paths(c, ''), code: 'BAD_FILE', names: (c) => [c.json], match: /a weights path must be a non-empty file name/ },
    { name: 'a path that is not a string', setup: (c) => paths(c, { evil: 1 }), code: 'BAD_FILE', names: (c) => [c.json], match: /received \{"evil":1\}/ },
    { name: 'weights.bin with extra bytes', setup: (c) => writeFileSync(c.bin, cat(readFileSync(c.bin), Uint8Array.of(1, 2, 3, 4))), code: 'BAD_FILE', names: (c) => [c.bin, c.json], match: /holds 36 bytes, but its weight specs need exactly 32 \(4 extra bytes\)/ },
    { name: 'weights.bin truncated', setup: (c) => writeFileSync(c.bin, readFileSync(c.bin).subarray(0, 30)), code: 'BAD_FILE', names: (c) => [c.bin, c.json], match: /holds 30 bytes, but its weight specs need exactly 32 \(2 bytes missing: truncated\)/ },
    { name: 'model.json null', setup: (c) => writeFileSync(c.json, 'null'), code: 'BAD_FILE', names: (c) => [c.json], match: /is not a tfjs layers model \(a JSON object\), received null/ },
    { name: 'model.json truncated', setup: (c) => writeFileSync(c.json, readFileSync(c.json).subarray(0, 50)), code: 'BAD_FILE', names: (c) => [c.json], match: /is not valid UTF-8 JSON/ },
    { name: 'model.json over maxModelJsonBytes', setup: () => undefined, code: 'TOO_LARGE', names: (c) => [c.json], match: /is \d+ bytes, over the limit of 100 \(maxModelJsonBytes\)/ },
    {
      name: 'a manifest without paths',
      setup: (c) => {
        delete c.manifest.weightsManifest[0].paths;
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json],
      match: /weightsManifest\[0\] has no paths list/,
    },
    {
      name: 'a manifest group that is null',
      setup: (c) => {
        c.manifest.weightsManifest = [null];
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json],
      match: /weightsManifest\[0\] is null/,
    },
    {
      name: 'a weight spec with a negative dimension',
      setup: (c) => {
        c.manifest.weightsManifest[0].weights[0].shape = [-3, 2];
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json, 'fc/kernel'],
      match: /has shape \[-3,2\]; expected non-negative integers/,
    },
    {
      name: 'a weight spec with dtype string',
      setup: (c) => {
        c.manifest.weightsManifest[0].weights[0].dtype = 'string';
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json, 'fc/kernel'],
      match: /has dtype 'string'; supported: float32, int32, bool, complex64/,
    },
    {
      name: 'a weight spec given twice',
      setup: (c) => {
        c.manifest.weightsManifest[0].weights[1].name = 'fc/kernel';
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json, 'fc/kernel'],
      match: /appears twice in the manifest/,
    },
    {
      name: 'a weight spec declaring 4 TB',
      setup: (c) => {
        c.manifest.weightsManifest[0].weights[0].shape = [1_000_000, 1_000_000];
        write(c);
      },
      code: 'TOO_LARGE',
      names: (c) => [c.json],
      match: /its weight specs need 4000000000008 bytes, over the limit of 4294967296 \(maxBytes\)/,
    },
    {
      name: 'a weight spec larger than its file',
      setup: (c) => {
        c.manifest.weightsManifest[0].weights[0].shape = [3, 200];
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.bin],
      match: /holds 32 bytes, but its weight specs need exactly 2408/,
    },
    {
      name: 'weights that tfjs-layers cannot place (a name the model does not have)',
      setup: (c) => {
        c.manifest.weightsManifest[0].weights[0].name = 'nothing/kernel';
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json],
      match: /tfjs-layers cannot build the model from it \(.*nothing\/kernel/,
      tfjsLeaks: 4, // the 2 decoded weights and the 2 variables of the model it had built
    },
    {
      name: 'an unknown layer class',
      setup: (c) => {
        c.manifest.modelTopology.config.layers[0].class_name = 'Evil\nLayer';
        write(c);
      },
      code: 'BAD_FILE',
      names: (c) => [c.json],
      match: /tfjs-layers cannot build the model from it \(Unknown layer: Evil Layer/,
    },
  ];

  it.each(CASES)('$name → $code', async ({ name, setup, code, names, match, skip, tfjsLeaks }) => {
    if (skip?.()) return;
    const c = copy();
    setup(c);
    const before = tf.memory().numTensors;
    const started = Date.now();
    let error: unknown;
    const planned = await largestPlanned(async () => {
      error = await caughtAsync(() => loadModel(c.dir, name.includes('maxModelJsonBytes') ? { maxModelJsonBytes: 100 } : {}));
    });
    expectModelsError(error, code, names(c), match);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(planned).toBeLessThanOrEqual(64 * 1024); // model.json and the 32 weight bytes at most
    expect(tf.memory().numTensors).toBe(before + (tfjsLeaks ?? 0));
  });

  it('valid edge cases: weights split over two files in a subfolder, a symlink that stays inside, the folder itself a symlink', async () => {
    const before = tf.memory().numTensors;
    const check = async (dir: string) => {
      const model = await loadModel(dir);
      model.getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(expected[i]));
      model.dispose();
    };
    const split = copy();
    const bytes = readFileSync(split.bin);
    mkdirSync(path.join(split.dir, 'shards'));
    writeFileSync(path.join(split.dir, 'shards', 'a.bin'), bytes.subarray(0, 20));
    writeFileSync(path.join(split.dir, 'shards', 'b.bin'), bytes.subarray(20));
    paths(split, 'shards/a.bin', 'shards/b.bin');
    await check(split.dir);
    const linked = copy();
    writeFileSync(path.join(linked.dir, 'real.bin'), readFileSync(linked.bin));
    rmSync(linked.bin);
    symlinkSync('real.bin', linked.bin);
    await check(linked.dir);
    const alias = path.join(root, 'alias');
    symlinkSync(linked.dir, alias);
    await check(alias);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('limit options are validated; maxBytes bounds the weight files', async () => {
    const c = copy();
    expectModelsError(await caughtAsync(() => loadModel(c.dir, { maxBytes: 31 })), 'TOO_LARGE', [c.json], /need 32 bytes, over the limit of 31 \(maxBytes\)/);
    expectModelsError(await caughtAsync(() => loadModel(c.dir, { maxModelJsonBytes: 0 })), 'BAD_CONFIG', [], /maxModelJsonBytes must be a positive number/);
    const model = await loadModel(c.dir, { maxBytes: 32 });
    model.dispose();
  });
});
