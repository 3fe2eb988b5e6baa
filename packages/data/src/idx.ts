/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 * bytes 0–1 zero, byte 2 the element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
 * 0x0D float32, 0x0E float64), byte 3 the rank, then one big-endian uint32 per dimension and the
 * data, big-endian. Files may be gzip-compressed (detected by content, not by name).
 */
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DataError } from './errors.js';
import { readFileBytes } from './read-file.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly shape: readonly number[];
  readonly dtype: IdxDtype;
  /** Row-major values; for uint8 a view into the file's bytes. */
  readonly data: IdxData;
}

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

const gunzipAsync = promisify(gunzip);

/** True for the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses uncompressed IDX bytes. `name` (the file) appears in error messages. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  const fix = 'pass an IDX file such as train-images-idx3-ubyte(.gz) from MNIST or Fashion-MNIST';
  if (bytes.length < 4) throw new DataError('BAD_IDX', `${name}: ${bytes.length} bytes is too short for an IDX header; ${fix}.`);
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const type = TYPES[bytes[2]!];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type) {
    throw new DataError(
      'BAD_IDX',
      `${name}: wrong magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x000008NN for uint8 data, or types 09/0B/0C/0D/0E); ${fix}.`,
    );
  }
  const rank = bytes[3]!;
  const header = 4 + 4 * rank;
  if (rank === 0 || bytes.length < header) {
    throw new DataError('BAD_IDX', `${name}: rank ${rank} header needs ${header} bytes, file has ${bytes.length}; the file is truncated or not IDX.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = header + count * type.bytes;
  if (bytes.length !== expected) {
    throw new DataError(
      'BAD_IDX',
      `${name}: shape [${shape.join(', ')}] of ${type.dtype} needs ${expected} bytes, file has ${bytes.length} (${bytes.length < expected ? 'truncated' : 'trailing data'}); download the file again.`,
    );
  }
  return { shape, dtype: type.dtype, data: readValues(view, header, count, type.dtype, bytes) };
}

function readValues(view: DataView, offset: number, count: number, dtype: IdxDtype, bytes: Uint8Array): IdxData {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(bytes.buffer, bytes.byteOffset + offset, count);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count).slice();
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Decompresses when gzip; `name` appears in error messages. */
export async function maybeGunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = await gunzipAsync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new DataError('BAD_IDX', `${name}: corrupt or truncated gzip data (${(error as Error).message}); download the file again.`, {
      cause: error,
    });
  }
}

/** Reads any IDX file, gzip-compressed or not, into `{ shape, dtype, data }`. */
export async function loadIdx(path: string): Promise<IdxArray> {
  const bytes = await readFileBytes(path, 'pass the path of an IDX file (for example train-images-idx3-ubyte.gz)');
  return parseIdx(await maybeGunzip(bytes, path), path);
}
