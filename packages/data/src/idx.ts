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
 * data runs past it — a bomb costs at most the declared size plus one chunk (64 KiB from
 * node:zlib; from `DecompressionStream`, what one 4 KiB slice of input inflates to, at most 4 MiB).
 * A declared size that the compressed bytes cannot hold (deflate expands at most 1032:1) is refused
 * without allocating, and so is one over `maxBytes` (TOO_LARGE).
 *
 * This module reads bytes (`parseIdx`, `decodeIdx`, gzip through the web-standard
 * `DecompressionStream`) and runs anywhere; files are idx-file.ts (`loadIdx`, `@nf/data/node`).
 */
import { DataError } from './errors.js';
import { formatCount, resolveLimit } from './limits.js';
import { oneLine, quote } from './quote.js';

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
export const MAX_HEADER = 4 + 4 * 255;
/** deflate's largest expansion (zlib's documentation: "1032:1"); gzip framing only lowers it. */
const DEFLATE_MAX_RATIO = 1032;
/** Inflated bytes handed over per step by node:zlib: the most a gzip bomb inflates past the declared size there. */
export const INFLATE_CHUNK = 64 * 1024;

const FIX = 'pass an IDX file such as train-images-idx3-ubyte(.gz) from MNIST or Fashion-MNIST';

export interface IdxHeader {
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
export function readHeader(bytes: Uint8Array, label: string, complete: boolean): IdxHeader | undefined {
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

export function sizeMismatch(label: string, header: IdxHeader, actual: number, what = 'file has'): DataError {
  const { totalBytes: expected } = header;
  return new DataError(
    'BAD_IDX',
    `${label}: shape [${header.shape.join(', ')}] of ${header.dtype} needs ${formatCount(expected)} bytes, ${what} ${formatCount(actual)} (${actual < expected ? 'truncated' : 'trailing data'}); download the file again.`,
  );
}

export function overLimit(label: string, header: IdxHeader, maxBytes: number, owner: string): DataError {
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

export function allocate(label: string, header: IdxHeader): Uint8Array {
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
 * Inflated IDX data arriving in chunks (from node:zlib or a `DecompressionStream`), written into one
 * buffer of exactly the size the header declares: the header is read from the first inflated bytes
 * (at most 1,024 are needed), checked against the compressed size and `maxBytes`, and the first byte
 * past the declared size is an error. `take` and `end` throw the DataError to report.
 */
export class IdxInflater {
  private head: Uint8Array = new Uint8Array(0);
  private header: IdxHeader | undefined;
  private out: Uint8Array | undefined;
  private filled = 0;

  constructor(
    private readonly compressedBytes: number,
    private readonly label: string,
    private readonly maxBytes: number,
    private readonly owner: string,
  ) {}

  take(chunk: Uint8Array): void {
    const { label } = this;
    if (!this.out) {
      const joined = new Uint8Array(this.head.length + chunk.length);
      joined.set(this.head);
      joined.set(chunk, this.head.length);
      const header = readHeader(joined, label, false);
      if (!header) {
        this.head = joined; // < MAX_HEADER bytes: readHeader decides by then
        return;
      }
      const possible = this.compressedBytes * DEFLATE_MAX_RATIO;
      if (header.totalBytes > possible) {
        throw new DataError(
          'BAD_IDX',
          `${label}: shape [${header.shape.join(', ')}] of ${header.dtype} needs ${formatCount(header.totalBytes)} bytes, but ${formatCount(this.compressedBytes)} bytes of gzip inflate to at most ${formatCount(possible)} (deflate's limit is 1032:1): the file is truncated or its header is corrupt; download the file again.`,
        );
      }
      if (header.totalBytes > this.maxBytes) throw overLimit(label, header, this.maxBytes, this.owner);
      this.header = header;
      this.out = allocate(label, header);
      chunk = joined;
      this.head = new Uint8Array(0);
    }
    if (this.filled + chunk.length > this.out.length) {
      throw sizeMismatch(label, this.header!, this.filled + chunk.length, 'its gzip data inflates to at least');
    }
    this.out.set(chunk, this.filled);
    this.filled += chunk.length;
  }

  /** The inflated file, once the stream has ended. */
  end(): Uint8Array {
    if (!this.out) readHeader(this.head, this.label, true); // throws: the stream ended inside the header
    if (this.filled !== this.out!.length) throw sizeMismatch(this.label, this.header!, this.filled, 'its gzip data inflates to');
    return this.out!;
  }
}

/** BAD_IDX for gzip data the inflater refused (`reason` from zlib or the DecompressionStream). */
export function corruptGzip(label: string, error: unknown): DataError {
  return new DataError('BAD_IDX', `${label}: corrupt or truncated gzip data (${oneLine((error as Error)?.message ?? String(error))}); download the file again.`, { cause: error });
}

/** Compressed bytes fed per step to a `DecompressionStream`: deflate's 1032:1 bounds what one step inflates to (about 4 MiB). */
const INPUT_SLICE = 4 * 1024;

/**
 * Inflates gzip IDX bytes with the web-standard `DecompressionStream('gzip')` (browsers, Deno, Node
 * ≥ 18) into one buffer of exactly the declared size (`IdxInflater`). The input is fed in 4 KiB
 * slices as the output is read, so a bomb is stopped after at most one slice's worth past the
 * declared size.
 */
export async function gunzipIdxWeb(gz: Uint8Array, label: string, maxBytes: number, owner: string): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new DataError('BAD_OPTION', `${label}: gzip data, and this environment has no DecompressionStream; gunzip the file first, or use a current browser or Node ≥ 18.`);
  }
  const sink = new IdxInflater(gz.length, label, maxBytes, owner);
  let offset = 0;
  const input = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (offset >= gz.length) {
          controller.close();
          return;
        }
        const end = Math.min(gz.length, offset + INPUT_SLICE);
        controller.enqueue(gz.slice(offset, end));
        offset = end;
      },
    },
    { highWaterMark: 0 },
  );
  const reader = input.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream<Uint8Array, Uint8Array>).getReader();
  try {
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await reader.read();
      } catch (error) {
        throw corruptGzip(label, error);
      }
      if (step.done) break;
      sink.take(step.value);
    }
    return sink.end();
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
}

/** Options of `decodeIdx`. */
export interface IdxDecodeOptions extends IdxReadOptions {
  /** The file the bytes came from, named (quoted) in error messages. */
  readonly name?: string;
}

/**
 * Parses IDX bytes, gzip-compressed or not (detected by content), within `maxBytes` (after
 * decompression; default 1 GiB) — the checks of `loadIdx` on bytes a page fetched or a user picked.
 * Gzip is inflated with `DecompressionStream`, stopped at the size the header declares.
 */
export async function decodeIdx(bytes: Uint8Array | ArrayBuffer, options: IdxDecodeOptions = {}): Promise<IdxArray> {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new DataError('BAD_OPTION', `decodeIdx: bytes must be a Uint8Array or an ArrayBuffer of an IDX file, received ${bytes === null ? 'null' : typeof bytes}.`);
  const maxBytes = resolveLimit('decodeIdx', 'maxBytes', options?.maxBytes);
  return decodeIdxBytes(bytes, options.name, maxBytes, 'decodeIdx');
}

/** `decodeIdx` for the loaders: `owner` (the public function) is named in TOO_LARGE messages. */
export async function decodeIdxBytes(bytes: Uint8Array, name: string | undefined, maxBytes: number, owner: string): Promise<IdxArray> {
  const label = name === undefined ? 'IDX data' : quote(name);
  if (isGzip(bytes)) return parseIdx(await gunzipIdxWeb(bytes, label, maxBytes, owner), name);
  const header = readHeader(bytes, label, true)!;
  if (header.totalBytes !== bytes.length) throw sizeMismatch(label, header, bytes.length);
  if (bytes.length > maxBytes) throw overLimit(label, header, maxBytes, owner);
  return parseIdx(bytes, name);
}
