/**
 * Bytes from where a browser has them: a Uint8Array or ArrayBuffer, a `Blob` or `File` (a file input,
 * a drop), or a URL fetched with `fetch`. Sizes are checked against the caller's limit before anything
 * is allocated — a Blob's `size`, a response's `Content-Length` — and a body without a length is read
 * as a stream and stopped at the first byte past the limit, so a hostile server cannot grow memory
 * beyond it. Errors are the file readers' (TOO_LARGE with the same words, IO naming the URL).
 */
import { planAllocation } from './allocation.js';
import { ModelsError } from './errors.js';
import { oneLine, quote } from './quote.js';

/** What the byte readers accept: bytes, a Blob/File, or a URL (an `http(s):`, `blob:` or `data:` URL string, or a `URL`). */
export type ByteSource = Uint8Array | ArrayBuffer | Blob | URL | string;

/** A `fetch` (the global one by default); pass your own to add headers or credentials. */
export type FetchLike = (input: string, init?: { signal?: AbortSignal }) => Promise<Response>;

/** How a read is described in errors: "Cannot read <what> '<where>': <reason>. <hint>" */
export interface SourceLabel {
  what: string;
  hint?: string;
}

/** Refuses `size` bytes over `maxBytes` (TOO_LARGE) before anything is allocated. */
export function checkSizeLimit(file: string, size: number, maxBytes: number, option = 'maxBytes'): void {
  if (size > maxBytes) {
    throw new ModelsError('TOO_LARGE', `${quote(file)} is ${size} bytes, over the limit of ${maxBytes} (${option}); pass a larger { ${option} } if you trust the file.`);
  }
}

/** True for a string this package fetches: an absolute `http:`, `https:`, `blob:` or `data:` URL. */
export function isFetchUrl(value: string): boolean {
  return /^(https?:\/\/|blob:|data:)/i.test(value);
}

export function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

/** The name of a File (its `name`), else `fallback`. */
export function blobName(blob: Blob, fallback: string): string {
  const name = (blob as Partial<File>).name;
  return typeof name === 'string' && name !== '' ? name : fallback;
}

function ioError(where: string, label: SourceLabel, reason: string): ModelsError {
  return new ModelsError('IO', `Cannot read ${label.what} ${quote(where)}: ${reason}.${label.hint ? ` ${label.hint}` : ''}`);
}

/** A Blob's bytes, refused (TOO_LARGE) before reading when over `maxBytes`. */
export async function readBlob(blob: Blob, where: string, maxBytes: number, label: SourceLabel, option = 'maxBytes'): Promise<Uint8Array> {
  checkSizeLimit(where, blob.size, maxBytes, option);
  planAllocation(blob.size, 'file');
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await blob.arrayBuffer());
  } catch (e) {
    throw ioError(where, label, oneLine((e as Error)?.message ?? String(e), 300));
  }
  if (bytes.byteLength !== blob.size) {
    throw new ModelsError('BAD_FILE', `${quote(where)} changed while it was being read (now ${bytes.byteLength} bytes, was ${blob.size}); read it again once nothing writes to it.`);
  }
  return bytes;
}

/** The response for `url`, or IO naming it (network failure, HTTP error status). */
export async function fetchOk(url: string, label: SourceLabel, fetchFn: FetchLike | undefined): Promise<Response> {
  const f = fetchFn ?? (typeof fetch === 'function' ? fetch : undefined);
  if (!f) throw ioError(url, label, 'this environment has no fetch; pass { fetch }');
  let response: Response;
  try {
    response = await f(url);
  } catch (e) {
    throw ioError(url, label, oneLine((e as Error)?.message ?? String(e), 300));
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw ioError(url, label, `HTTP ${response.status}${response.statusText ? ` ${oneLine(response.statusText, 100)}` : ''}`);
  }
  return response;
}

/** The body's length as the server declares it (undefined when absent, or when the body is content-encoded and so longer). */
export function declaredLength(response: Response): number | undefined {
  if (response.headers.get('content-encoding')) return undefined;
  const text = response.headers.get('content-length');
  if (text === null || !/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * A response body of at most `room` bytes. With a Content-Length (and no content encoding) a longer body
 * is refused before it is read (`bytes` undefined, `held` the declared length, `exact`); without one the
 * body is read as a stream and cancelled at the first chunk past `room` (`held` what had arrived).
 * A body that differs from its Content-Length is BAD_FILE.
 */
export async function readBody(response: Response, url: string, room: number): Promise<{ bytes: Uint8Array | undefined; held: number; exact: boolean }> {
  const declared = declaredLength(response);
  if (declared !== undefined && declared > room) {
    await response.body?.cancel().catch(() => undefined);
    return { bytes: undefined, held: declared, exact: true };
  }
  const chunks: Uint8Array[] = [];
  let held = 0;
  if (response.body) {
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        held += value.byteLength;
        if (held > (declared ?? room)) {
          await reader.cancel().catch(() => undefined);
          break;
        }
        chunks.push(value);
      }
    } finally {
      reader.releaseLock();
    }
  } else {
    const whole = new Uint8Array(await response.arrayBuffer());
    held = whole.byteLength;
    chunks.push(whole);
  }
  if (declared !== undefined && held !== declared) {
    throw new ModelsError('BAD_FILE', `${quote(url)} sent ${held > declared ? 'more' : held} bytes${held > declared ? ' than' : ', not'} the ${declared} its Content-Length declared; read it again.`);
  }
  if (held > room) return { bytes: undefined, held, exact: false };
  planAllocation(held, 'file');
  const bytes = new Uint8Array(held);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes, held, exact: true };
}

/** A URL's whole body, within `maxBytes`: refused from its Content-Length before reading, else stopped at the first chunk past the limit. */
export async function fetchBytes(url: string, maxBytes: number, label: SourceLabel, fetchFn: FetchLike | undefined, option = 'maxBytes'): Promise<Uint8Array> {
  const response = await fetchOk(url, label, fetchFn);
  const { bytes, held, exact } = await readBody(response, url, maxBytes);
  if (bytes) return bytes;
  if (exact) checkSizeLimit(url, held, maxBytes, option);
  throw new ModelsError('TOO_LARGE', `${quote(url)} is more than ${maxBytes} bytes, over the limit of ${maxBytes} (${option}); pass a larger { ${option} } if you trust the file.`);
}

/**
 * The bytes of `source` and the name to show for it: bytes as they are; a Blob/File within `maxBytes`
 * (its size checked first); a URL fetched within `maxBytes`. Any other string is refused with
 * `stringHint` (in the main entry a string is not a path: that is `@nf/models/node`).
 */
export async function readSource(
  source: ByteSource,
  options: { maxBytes: number; label: SourceLabel; fallbackName: string; fetch?: FetchLike | undefined; owner: string },
): Promise<{ bytes: Uint8Array; where: string }> {
  const { maxBytes, label, fallbackName, owner } = options;
  if (source instanceof Uint8Array) return { bytes: source, where: fallbackName };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), where: fallbackName };
  if (isBlob(source)) {
    const where = blobName(source, fallbackName);
    return { bytes: await readBlob(source, where, maxBytes, label), where };
  }
  if (source instanceof URL || (typeof source === 'string' && isFetchUrl(source))) {
    const url = String(source);
    return { bytes: await fetchBytes(url, maxBytes, label, options.fetch), where: url };
  }
  if (typeof source === 'string') {
    throw new ModelsError(
      'BAD_CONFIG',
      `${owner}: ${quote(source)} is not a URL; in a browser pass an absolute URL (new URL(path, location.href)), a File/Blob or the bytes; a file path needs Node: import { ${owner} } from '@nf/models/node'.`,
    );
  }
  throw new ModelsError('BAD_FILE', `${fallbackName}: expected a path, a URL, a File/Blob, a Uint8Array or an ArrayBuffer, received ${source === null ? 'null' : typeof source}.`);
}
