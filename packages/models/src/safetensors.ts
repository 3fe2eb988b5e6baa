/**
 * The safetensors format, read and written directly: an 8-byte little-endian header length N,
 * N bytes of JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {…}}`
 * (padded with spaces to a multiple of 8), then the raw little-endian data.
 * Reading converts F16, BF16 and F64 to float32; writing stores F32.
 */
import { ModelsError } from './errors.js';

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export interface Safetensors {
  tensors: Record<string, NamedArray>;
  metadata: Record<string, string>;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

export function readSafetensors(bytes: Uint8Array, where = 'safetensors'): Safetensors {
  const fail = (why: string) => {
    throw new ModelsError('BAD_FILE', `${where}: not a valid safetensors file (${why}).`);
  };
  if (bytes.byteLength < 8) fail('shorter than its 8-byte header length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8 || headerLength > 100_000_000) fail(`header length ${headerLength} exceeds the file`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch {
    return fail('header is not JSON');
  }
  const base = 8 + headerLength;
  const tensors: Record<string, NamedArray> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const [begin, end] = offsets;
    const count = shape.reduce((a, b) => a * b, 1);
    if (base + end > bytes.byteLength || end < begin) fail(`tensor '${name}' lies outside the file (truncated?)`);
    const raw = new DataView(bytes.buffer, bytes.byteOffset + base + begin, end - begin);
    const data = new Float32Array(count);
    const width = { F32: 4, F16: 2, BF16: 2, F64: 8 }[dtype];
    if (width === undefined) fail(`tensor '${name}' has dtype ${dtype}; supported: F32, F16, BF16, F64`);
    if ((end - begin) !== count * width!) fail(`tensor '${name}' has ${end - begin} bytes for shape [${shape.join(', ')}] ${dtype}`);
    for (let i = 0; i < count; i++) {
      if (dtype === 'F32') data[i] = raw.getFloat32(i * 4, true);
      else if (dtype === 'F64') data[i] = raw.getFloat64(i * 8, true);
      else if (dtype === 'F16') data[i] = halfToFloat(raw.getUint16(i * 2, true));
      else {
        const buf = new DataView(new ArrayBuffer(4));
        buf.setUint32(0, raw.getUint16(i * 2, true) << 16, true);
        data[i] = buf.getFloat32(0, true);
      }
    }
    tensors[name] = { shape: [...shape], data };
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors, metadata };
}

export function writeSafetensors(tensors: Record<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
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
  for (const t of Object.values(tensors)) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
