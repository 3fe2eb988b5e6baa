/**
 * NumPy `.npz` archives (what `np.savez` / `np.savez_compressed` write): a zip of `.npy` files.
 * Reads stored and deflated entries (node:zlib) and float32/float64/float16 little-endian arrays in
 * C order — the format of the documented DeepMind checkpoint conversion.
 */
import { inflateRawSync } from 'node:zlib';
import { ModelsError } from './errors.js';
import type { NamedArray } from './safetensors.js';

function parseNpy(bytes: Uint8Array, name: string, where: string): NamedArray {
  const fail = (why: string): never => {
    throw new ModelsError('BAD_FILE', `${where}: array '${name}' ${why}.`);
  };
  if (bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') fail('is not a .npy array');
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) return fail(`has an unreadable header: ${header.trim()}`);
  if (fortran === 'True') fail('is in Fortran order; save it with np.ascontiguousarray');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  const data = new Float32Array(count);
  const body = new DataView(bytes.buffer, bytes.byteOffset + offset, bytes.byteLength - offset);
  const width = { '<f4': 4, '<f8': 8, '<f2': 2 }[descr];
  if (width === undefined) fail(`has dtype ${descr}; supported: <f4, <f8, <f2`);
  if (body.byteLength < count * width!) fail('is truncated');
  for (let i = 0; i < count; i++) {
    if (descr === '<f4') data[i] = body.getFloat32(i * 4, true);
    else if (descr === '<f8') data[i] = body.getFloat64(i * 8, true);
    else {
      const h = body.getUint16(i * 2, true);
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      const sign = h & 0x8000 ? -1 : 1;
      data[i] = exp === 0 ? sign * 2 ** -14 * (frac / 1024) : exp === 31 ? (frac ? Number.NaN : sign * Infinity) : sign * 2 ** (exp - 15) * (1 + frac / 1024);
    }
  }
  return { shape, data };
}

/** Every array of an .npz archive, keyed by name (without `.npy`). */
export function readNpz(bytes: Uint8Array, where = 'npz'): Record<string, NamedArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: signature 0x06054b50 within the last 64 KiB.
  let eocd = -1;
  for (let i = bytes.byteLength - 22; i >= Math.max(0, bytes.byteLength - 65_557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ModelsError('BAD_FILE', `${where}: not an .npz (zip) archive.`);
  const entries = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  const out: Record<string, NamedArray> = {};
  for (let e = 0; e < entries; e++) {
    if (view.getUint32(at, true) !== 0x02014b50) throw new ModelsError('BAD_FILE', `${where}: corrupt zip central directory.`);
    const method = view.getUint16(at + 10, true);
    let compressed = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let local = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    // zip64: sizes/offsets of 0xffffffff live in the extra field.
    if (compressed === 0xffffffff || local === 0xffffffff) {
      let x = at + 46 + nameLength;
      const end = x + extraLength;
      while (x < end) {
        const id = view.getUint16(x, true);
        const size = view.getUint16(x + 2, true);
        if (id === 1) {
          let y = x + 4;
          if (view.getUint32(at + 24, true) === 0xffffffff) y += 8; // uncompressed size
          if (compressed === 0xffffffff) {
            compressed = Number(view.getBigUint64(y, true));
            y += 8;
          }
          if (local === 0xffffffff) local = Number(view.getBigUint64(y, true));
        }
        x += 4 + size;
      }
    }
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let content: Uint8Array;
    if (method === 0) content = raw;
    else if (method === 8) content = new Uint8Array(inflateRawSync(raw));
    else throw new ModelsError('BAD_FILE', `${where}: entry '${name}' uses zip method ${method}; only stored and deflate are supported.`);
    out[name.replace(/\.npy$/, '')] = parseNpy(content, name, where);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}
