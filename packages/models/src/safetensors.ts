/**
 * The safetensors format, read and written directly: an 8-byte little-endian header length N,
 * N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`
 * (padded with spaces to a multiple of 8), then the raw little-endian data.
 * Reading converts F16, BF16 and F64 to float32; writing stores F32.
 *
 * Reading follows the checks of the reference implementation (the `safetensors` crate): the header is
 * at most 100,000,000 bytes, UTF-8 JSON starting with `{`; every entry has a known dtype, a shape of
 * non-negative integers and offsets with `end − begin = elements × dtype size`; the tensors cover the
 * data region exactly — sorted by offset they are contiguous from 0 to its end, with no overlap, gap or
 * trailing byte. Everything is checked before any tensor memory is allocated, so what a file can make
 * us allocate is bounded by its own length (at most 2× its data for F16/BF16). Names are returned in
 * objects without a prototype, so a tensor named `__proto__` is an ordinary key.
 */
import { planAllocation } from './allocation.js';
import { DEFAULT_FILE_LIMITS } from './file-limits.js';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';
import { readSource, type ByteSource, type FetchLike } from './byte-source.js';
import { limitOption } from './file-limits.js';

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export interface Safetensors {
  tensors: Record<string, NamedArray>;
  metadata: Record<string, string>;
}

const WIDTH: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };
const SUPPORTED = 'F32, F16, BF16, F64';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** An IEEE half-precision bit pattern as a number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The product of `shape` if every dimension is a non-negative safe integer and the product is safe too; else undefined. */
export function elementCount(shape: unknown): number | undefined {
  if (!Array.isArray(shape)) return undefined;
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    if (d !== 0 && count > Number.MAX_SAFE_INTEGER / d) return undefined;
    count *= d;
  }
  return count;
}

function showShape(shape: unknown): string {
  return Array.isArray(shape) ? `[${shape.map((d) => (typeof d === 'number' ? String(d) : JSON.stringify(d) ?? String(d))).join(', ')}]` : JSON.stringify(shape) ?? String(shape);
}

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

/** Reads safetensors bytes (a Uint8Array or an ArrayBuffer) strictly; `where` names them in errors. */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer, where = 'safetensors'): Safetensors {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  const fail: (why: string, hint?: string) => never = (why, hint = 'The file is damaged or not safetensors; export it again (safetensors.torch.save_file).') => {
    throw new ModelsError('BAD_FILE', `${quote(where)}: not a valid safetensors file (${why}). ${hint}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected bytes (a Uint8Array), received ${typeof bytes}`, 'Pass the file contents or a path.');
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes, shorter than its 8-byte header length`);
  // A view of exactly these bytes: a Node Buffer from the shared pool starts at a byteOffset inside a larger ArrayBuffer.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(bytes.byteLength - 8)) fail(`header length ${declared} exceeds the ${bytes.byteLength - 8} bytes after it; the file is truncated`);
  const headerLength = Number(declared);
  if (headerLength > DEFAULT_FILE_LIMITS.maxSafetensorsHeaderBytes) {
    throw new ModelsError('TOO_LARGE', `${quote(where)}: safetensors header of ${headerLength} bytes, over the format's limit of ${DEFAULT_FILE_LIMITS.maxSafetensorsHeaderBytes}. The file is not a usable checkpoint.`);
  }
  if (headerLength < 2) fail(`header length ${headerLength}; a header is at least '{}'`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail('header is not UTF-8');
  }
  if (text[0] !== '{') fail("header does not start with '{'");
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    return fail('header is not valid JSON');
  }
  if (!isRecord(header)) return fail('header is not a JSON object');
  const base = 8 + headerLength;
  const dataLength = bytes.byteLength - base;

  const metadata = Object.create(null) as Record<string, string>;
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(info)) fail('__metadata__ is not an object of strings');
      for (const [key, value] of Object.entries(info)) {
        if (typeof value !== 'string') fail(`__metadata__ ${quote(key)} is ${value === null ? 'null' : typeof value}, not a string`);
        metadata[key] = value;
      }
      continue;
    }
    const t = `tensor ${quote(name)}`;
    if (!isRecord(info)) fail(`${t} is ${info === null ? 'null' : Array.isArray(info) ? 'an array' : typeof info}, not {dtype, shape, data_offsets}`);
    const { dtype, shape, data_offsets: offsets } = info;
    if (typeof dtype !== 'string') fail(`${t} has no dtype`);
    const width = WIDTH[dtype];
    if (width === undefined) fail(`${t} has dtype ${quote(dtype)}; supported: ${SUPPORTED}`, 'Convert the tensor to float32 (or float16/bfloat16/float64) before exporting.');
    const count = elementCount(shape);
    if (count === undefined) fail(`${t} has shape ${showShape(shape)}; a shape is a list of non-negative integers whose product is at most 2^53`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0)) {
      fail(`${t} has data_offsets ${showShape(offsets)}; expected [begin, end], two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`${t} has data_offsets [${begin}, ${end}] with end before begin`);
    const need = count! * width!;
    if (end - begin !== need) fail(`${t} has ${end - begin} bytes (data_offsets [${begin}, ${end}]) but shape ${showShape(shape)} ${dtype} needs ${need}`);
    if (end > dataLength) fail(`${t} ends at byte ${end} of a data region of ${dataLength} bytes; the file is truncated`);
    entries.push({ name, dtype: dtype as string, shape: [...(shape as number[])], count: count!, begin, end });
  }

  // The tensors must tile the data region: contiguous from 0, no overlap, no gap, nothing after the last.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < cursor) fail(`tensors ${quote(previous!.name)} and ${quote(e.name)} overlap (bytes ${e.begin}–${Math.min(cursor, e.end)})`);
    if (e.begin > cursor) fail(`bytes ${cursor}–${e.begin} of the data region belong to no tensor (the format allows no gaps; a tensor name given twice in the header hides one)`);
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} bytes after the last tensor (the data region is ${dataLength} bytes, the tensors cover ${cursor})`);

  const tensors = Object.create(null) as Record<string, NamedArray>;
  for (const e of entries) {
    const start = base + e.begin;
    planAllocation(e.count * 4, 'safetensors tensor');
    const data = new Float32Array(e.count);
    if (e.dtype === 'F32' && LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes.subarray(start, start + e.count * 4));
    } else {
      const raw = new DataView(bytes.buffer, bytes.byteOffset + start, e.end - e.begin);
      const bits = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < e.count; i++) {
        if (e.dtype === 'F32') data[i] = raw.getFloat32(i * 4, true);
        else if (e.dtype === 'F64') data[i] = raw.getFloat64(i * 8, true);
        else if (e.dtype === 'F16') data[i] = halfToFloat(raw.getUint16(i * 2, true));
        else {
          bits.setUint32(0, raw.getUint16(i * 2, true) << 16, true);
          data[i] = bits.getFloat32(0, true);
        }
      }
    }
    tensors[e.name] = { shape: e.shape, data };
  }
  return { tensors, metadata };
}

/**
 * A safetensors file of F32 tensors (in the order given) and string metadata. Refuses (WEIGHTS_MISMATCH)
 * a tensor whose data length does not match its shape, and the reserved name `__metadata__`.
 */
export function writeSafetensors(tensors: Record<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  // No prototype: a tensor named `__proto__` must become a key of the JSON, not the object's prototype.
  const header = Object.create(null) as Record<string, unknown>;
  const meta = Object.entries(metadata);
  if (meta.length > 0) {
    for (const [key, value] of meta) {
      if (typeof value !== 'string') throw new ModelsError('WEIGHTS_MISMATCH', `Metadata ${quote(key)} must be a string, received ${typeof value}.`);
    }
    header.__metadata__ = Object.fromEntries(meta);
    Object.setPrototypeOf(header.__metadata__ as object, null);
  }
  let offset = 0;
  const list = Object.entries(tensors);
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new ModelsError('WEIGHTS_MISMATCH', "A tensor cannot be named '__metadata__' (the format reserves it).");
    const count = elementCount(t.shape);
    if (!(t.data instanceof Float32Array) || count !== t.data.length) {
      throw new ModelsError('WEIGHTS_MISMATCH', `Tensor ${quote(name)} has ${t.data?.length} values for shape ${showShape(t.shape)} (${count ?? 'not a shape'}); pass a Float32Array of exactly the shape's size.`);
    }
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = new Uint8Array(json.byteLength + ((8 - (json.byteLength % 8)) % 8)).fill(0x20);
  headerBytes.set(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const [, t] of list) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Reads a safetensors file from bytes, a File/Blob or a URL (`http(s):`, `blob:`, `data:`), within
 * `maxBytes` (default 4 GiB) for a File or URL, with `readSafetensors`' checks. A file path needs
 * `@nf/models/node`.
 */
export async function loadSafetensors(source: ByteSource, options: { maxBytes?: number; fetch?: FetchLike } = {}): Promise<Safetensors> {
  const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
  const { bytes, where } = await readSource(source, { maxBytes, label: { what: 'safetensors file' }, fallbackName: 'safetensors', fetch: options.fetch, owner: 'loadSafetensors' });
  return readSafetensors(bytes, where);
}
