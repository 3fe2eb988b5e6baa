/**
 * IDX files (idx.ts has the format): read within `maxBytes`, a raw file's header checked against its
 * size before the body is read, a gzip file inflated by node:zlib into `IdxInflater` (the same bounds
 * as the `DecompressionStream` path of `decodeIdx`). Node only (`@nf/data/node`).
 */
import { createGunzip } from 'node:zlib';
import { corruptGzip, IdxInflater, INFLATE_CHUNK, isGzip, MAX_HEADER, overLimit, parseIdx, readHeader, sizeMismatch, type IdxArray, type IdxReadOptions } from './idx.js';
import { DataError } from './errors.js';
import { resolveLimit } from './limits.js';
import { quote } from './quote.js';
import { readFileBytes } from './read-file.js';

/** Inflates gzip IDX bytes with node:zlib into one buffer of exactly the size the header declares (`IdxInflater`). */
function gunzipIdx(gz: Uint8Array, label: string, maxBytes: number, owner: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const gunzip = createGunzip({ chunkSize: INFLATE_CHUNK });
    const sink = new IdxInflater(gz.length, label, maxBytes, owner);
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      gunzip.destroy();
      reject(error);
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        sink.take(chunk);
      } catch (error) {
        fail(error);
      }
    });
    gunzip.on('error', (error: Error) => fail(corruptGzip(label, error)));
    gunzip.on('end', () => {
      if (settled) return;
      try {
        const out = sink.end();
        settled = true;
        resolve(out);
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
