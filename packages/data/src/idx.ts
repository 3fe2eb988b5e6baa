/**
 * The IDX format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 * bytes 0–1 zero, byte 2 the element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
 * 0x0D float32, 0x0E float64), byte 3 the rank, then one big-endian uint32 per dimension and the
 * data, big-endian. Files may be gzip-compressed (detected by content, not by name).
 *
 * Untrusted files: the header is read and checked first (known type, rank ≥ 1, every dimension
 * ≥ 1, the product representable), and the size it declares is compared with the bytes present
 * before the data is allocated: a raw file must have exactly that size; a gzip file is inflated
 * as a stream into one buffer of exactly that size, and inflating stops (BAD_IDX) as soon as the
 * data runs past it — a bomb costs at most the declared size plus one 64 KiB chunk. A declared
 * size that the compressed bytes cannot hold (deflate expands at most 1032:1) is refused without
 * allocating, and so is one over `maxBytes` (TOO_LARGE).
 */
import { createGunzip } from 'node:zlib';
import { DataError } from './errors.js';
import { formatCount, resolveLimit } from './limits.js';
import { oneLine, quote } from './quote.js';
import { readFileBytes } from './read-file.js';

export type IdxDtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  readonly shape: readonly number[];
  readonly dtype: IdxDtype;
  /** Row-major values; for uint8 a view into the file's bytes. */
  readonly data: IdxData;
}

export interface IdxReadOptions {
  /** The most bytes one IDX file may hold after decompression (header + data). Default `DEFAULT_LIMITS.maxBytes` (1 GiB). */
  readonly maxBytes?: number;
}

const TYPES: Record<number, { dtype: IdxDtype; bytes: number }> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** The longest IDX header: magic and 255 dimensions. */
const MAX_HEADER = 4 + 4 * 255;
/** deflate's largest expansion (zlib's documentation: "1032:1"); gzip framing only lowers it. */
const DEFLATE_MAX_RATIO = 1032;
/** Inflated bytes handed over per step: the most a gzip bomb inflates past the declared size. */
const INFLATE_CHUNK = 64 * 1024;

const FIX = 'pass an IDX file such as train-images-idx3-ubyte(.gz) from MNIST or Fashion-MNIST';

interface IdxHeader {
  readonly dtype: IdxDtype;
  readonly elementBytes: number;
  readonly shape: readonly number[];
  readonly headerBytes: number;
  /** Header + data: the exact size of a well-formed file. */
  readonly totalBytes: number;
}

/** True for the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const hex = (v: number, digits: number) => `0x${v.toString(16).toUpperCase().padStart(digits, '0')}`;

/**
 * The header at the start of `bytes`, checked; undefined when more bytes are needed and
 * `complete` is false (a stream), BAD_IDX when the bytes cannot start an IDX file.
 */
function readHeader(bytes: Uint8Array, label: string, complete: boolean): IdxHeader | undefined {
  if (bytes.length < 4) {
    if (!complete) return undefined;
    throw new DataError('BAD_IDX', `${label}: ${bytes.length} bytes is too short for an IDX header (4 bytes + 4 per dimension); the file is truncated or not IDX; ${FIX}.`);
  }
  const magic = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(
      'BAD_IDX',
      `${label}: wrong magic number 0x${magic.toString(16).padStart(8, '0')} (expected 0x000008NN for uint8 data, or types 09/0B/0C/0D/0E); ${FIX}.`,
    );
  }
  const type = TYPES[bytes[2]!];
  if (!type) {
    throw new DataError(
      'BAD_IDX',
      `${label}: unknown IDX element type ${hex(bytes[2]!, 2)} (magic ${hex(magic, 8)}); IDX defines 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64; ${FIX}.`,
    );
  }
  const rank = bytes[3]!;
  if (rank === 0) throw new DataError('BAD_IDX', `${label}: rank 0 (no dimensions) in the IDX header; the file is corrupt or not IDX; ${FIX}.`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) {
    if (!complete) return undefined;
    throw new DataError('BAD_IDX', `${label}: rank ${rank} header needs ${headerBytes} bytes, file has ${bytes.length}; the file is truncated or not IDX.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const shown = `shape [${shape.join(', ')}] of ${type.dtype}`;
  const zero = shape.indexOf(0);
  if (zero >= 0) {
    throw new DataError('BAD_IDX', `${label}: dimension ${zero} of ${shown} is 0, so the file holds no values; the file is corrupt, or pass a non-empty IDX file.`);
  }
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count * type.bytes > Number.MAX_SAFE_INTEGER) {
      throw new DataError('BAD_IDX', `${label}: ${shown} declares more than 2⁵³ bytes of data; the header is corrupt; download the file again.`);
    }
  }
  return { dtype: type.dtype, elementBytes: type.bytes, shape, headerBytes, totalBytes: headerBytes + count * type.bytes };
}

function sizeMismatch(label: string, header: IdxHeader, actual: number, what = 'file has'): DataError {
  const { totalBytes: expected } = header;
  return new DataError(
    'BAD_IDX',
    `${label}: shape [${header.shape.join(', ')}] of ${header.dtype} needs ${formatCount(expected)} bytes, ${what} ${formatCount(actual)} (${actual < expected ? 'truncated' : 'trailing data'}); download the file again.`,
  );
}

function overLimit(label: string, header: IdxHeader, maxBytes: number, owner: string): DataError {
  return new DataError(
    'TOO_LARGE',
    `${label}: shape [${header.shape.join(', ')}] of ${header.dtype} is ${formatCount(header.totalBytes)} bytes, over the ${formatCount(maxBytes)}-byte limit (maxBytes); pass ${owner}({ maxBytes }) with a larger value if the file is trusted.`,
  );
}

/** Parses uncompressed IDX bytes. `name` (the file) appears, quoted, in error messages. */
export function parseIdx(bytes: Uint8Array, name?: string): IdxArray {
  const label = name === undefined ? 'IDX data' : quote(name);
  const header = readHeader(bytes, label, true)!;
  if (bytes.length !== header.totalBytes) throw sizeMismatch(label, header, bytes.length);
  const count = (header.totalBytes - header.headerBytes) / header.elementBytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { shape: header.shape, dtype: header.dtype, data: readValues(view, header.headerBytes, count, header.dtype, bytes) };
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

function allocate(label: string, header: IdxHeader): Uint8Array {
  try {
    return new Uint8Array(header.totalBytes);
  } catch (error) {
    throw new DataError(
      'TOO_LARGE',
      `${label}: shape [${header.shape.join(', ')}] of ${header.dtype} is ${formatCount(header.totalBytes)} bytes, more than this process can allocate (${oneLine(String((error as Error).message))}); lower maxBytes or free memory.`,
      { cause: error },
    );
  }
}

/**
 * Inflates gzip IDX bytes into one buffer of exactly the size the header declares: the header is
 * read from the first inflated bytes (at most 1,024 are needed), checked against the compressed
 * size and `maxBytes`, and inflating stops at the first byte past it.
 */
function gunzipIdx(gz: Uint8Array, label: string, maxBytes: number, owner: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
    let settled = false;
    let head: Uint8Array = new Uint8Array(0);
    let header: IdxHeader | undefined;
    let out: Uint8Array | undefined;
    let filled = 0;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      reject(error);
    };
    const take = (chunk: Uint8Array) => {
      if (!out) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        header = readHeader(joined, label, false);
        if (!header) {
          head = joined; // < MAX_HEADER bytes: readHeader decides by then
          return;
        }
        const possible = gz.length * DEFLATE_MAX_RATIO;
        if (header.totalBytes > possible) {
          throw new DataError(
            'BAD_IDX',
            `${label}: shape [${header.shape.join(', ')}] of ${header.dtype} needs ${formatCount(header.totalBytes)} bytes, but ${formatCount(gz.length)} bytes of gzip inflate to at most ${formatCount(possible)} (deflate's limit is 1032:1): the file is truncated or its header is corrupt; download the file again.`,
          );
        }
        if (header.totalBytes > maxBytes) throw overLimit(label, header, maxBytes, owner);
        out = allocate(label, header);
        chunk = joined;
        head = new Uint8Array(0);
      }
      if (filled + chunk.length > out.length) {
        throw sizeMismatch(label, header!, filled + chunk.length, 'its gzip data inflates to at least');
      }
      out.set(chunk, filled);
      filled += chunk.length;
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        take(chunk);
      } catch (error) {
        fail(error);
      }
    });
    gunzip.on('error', (error: Error) =>
      fail(new DataError('BAD_IDX', `${label}: corrupt or truncated gzip data (${oneLine(error.message)}); download the file again.`, { cause: error })),
    );
    gunzip.on('end', () => {
      if (settled) return;
      try {
        if (!out) readHeader(head, label, true); // throws: the stream ended inside the header
        if (filled !== out!.length) throw sizeMismatch(label, header!, filled, 'its gzip data inflates to');
        settled = true;
        resolve(out!);
      } catch (error) {
        fail(error);
      }
    });
    gunzip.end(gz);
  });
}

/**
 * Reads an IDX file, gzip or raw, within `maxBytes`: a raw file's header is checked against its
 * size before the body is read; a gzip file is inflated by `gunzipIdx`. `hint` ends a NOT_FOUND
 * message, `owner` (the public function) is named in TOO_LARGE messages.
 */
export async function readIdxFile(file: string, hint: string, maxBytes: number, owner: string): Promise<IdxArray> {
  const label = quote(file);
  const bytes = await readFileBytes(file, hint, {
    maxBytes,
    limitName: 'maxBytes',
    inspect: {
      prefixBytes: MAX_HEADER,
      check: (prefix, size) => {
        if (isGzip(prefix)) return;
        const header = readHeader(prefix, label, prefix.length === size)!;
        if (header.totalBytes !== size) throw sizeMismatch(label, header, size);
        if (size > maxBytes) throw overLimit(label, header, maxBytes, owner);
      },
    },
  });
  return parseIdx(isGzip(bytes) ? await gunzipIdx(bytes, label, maxBytes, owner) : bytes, file);
}

/** Reads any IDX file, gzip-compressed or not, into `{ shape, dtype, data }`. */
export async function loadIdx(path: string, options: IdxReadOptions = {}): Promise<IdxArray> {
  if (typeof path !== 'string') throw new DataError('BAD_OPTION', `loadIdx: path must be a file path, received ${typeof path}.`);
  const maxBytes = resolveLimit('loadIdx', 'maxBytes', options?.maxBytes);
  return readIdxFile(path, 'pass the path of an IDX file (for example train-images-idx3-ubyte.gz)', maxBytes, 'loadIdx');
}
