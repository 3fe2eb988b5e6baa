/** Test files written into fresh temporary folders (removed by the suites that make them). */
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import sharp from 'sharp';

export function tempDir(prefix = 'nf-data-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPE_CODE = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;
const SIZE = { uint8: 1, int8: 1, int16: 2, int32: 4, float32: 4, float64: 8 } as const;

/** IDX bytes written by hand (big-endian), independent of src/idx.ts. */
export function idxBytes(dtype: keyof typeof TYPE_CODE, shape: number[], values: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header[2] = TYPE_CODE[dtype];
  header[3] = shape.length;
  shape.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  const body = Buffer.alloc(values.length * SIZE[dtype]);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const at = i * SIZE[dtype];
    if (dtype === 'uint8') body.writeUInt8(v, at);
    else if (dtype === 'int8') body.writeInt8(v, at);
    else if (dtype === 'int16') body.writeInt16BE(v, at);
    else if (dtype === 'int32') body.writeInt32BE(v, at);
    else if (dtype === 'float32') body.writeFloatBE(v, at);
    else body.writeDoubleBE(v, at);
  }
  return Buffer.concat([header, body]);
}

export function writeIdx(file: string, dtype: keyof typeof TYPE_CODE, shape: number[], values: ArrayLike<number>, gzip = false): void {
  const bytes = idxBytes(dtype, shape, values);
  writeFileSync(file, gzip ? gzipSync(bytes) : bytes);
}

/** A w×h RGB image whose pixel (x, y) is (x·k, y·k, 100 + seed) — easy to check after decoding. */
export function gradient(width: number, height: number, seed = 0): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      data[i] = Math.round((x * 255) / Math.max(1, width - 1));
      data[i + 1] = Math.round((y * 255) / Math.max(1, height - 1));
      data[i + 2] = (100 + seed * 13) % 256;
    }
  }
  return data;
}

export type Variant = 'jpeg' | 'png' | 'webp' | 'gray-png' | 'rgba-png' | 'palette-png' | 'png16' | 'cmyk-jpeg' | 'gray-alpha-png';

/** Encodes a gradient image in one of the colour models the decoder must handle. */
export async function encode(variant: Variant, width: number, height: number, seed = 0): Promise<Buffer> {
  const base = sharp(gradient(width, height, seed), { raw: { width, height, channels: 3 } });
  switch (variant) {
    case 'jpeg':
      return base.jpeg({ quality: 95 }).toBuffer();
    case 'png':
      return base.png().toBuffer();
    case 'webp':
      return base.webp({ lossless: true }).toBuffer();
    case 'gray-png':
      return base.toColourspace('b-w').png().toBuffer();
    case 'gray-alpha-png':
      return base.toColourspace('b-w').ensureAlpha(0.5).png().toBuffer();
    case 'rgba-png':
      return base.ensureAlpha(0.5).png().toBuffer();
    case 'palette-png':
      return base.png({ palette: true, colours: 256 }).toBuffer();
    case 'png16':
      return base.toColourspace('rgb16').png().toBuffer();
    case 'cmyk-jpeg':
      return base.toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
  }
}

/** sha256 and mtime of every file under `dir`: compare before/after to prove nothing changed. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else out.set(full, `${createHash('sha256').update(readFileSync(full)).digest('hex')} ${st.mtimeMs} ${st.mode}`);
    }
  };
  walk(dir);
  return out;
}

export function writeFile(file: string, bytes: Uint8Array | string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}
