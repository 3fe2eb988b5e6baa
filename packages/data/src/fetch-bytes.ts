/**
 * Fetching a data file in a browser (or anywhere with `fetch`), bounded like a file read: a response
 * whose Content-Length is over the limit is refused before its body is read, and a body without one is
 * cancelled at the first chunk past the limit, so a hostile server cannot grow memory beyond it.
 * Errors name the URL: NOT_FOUND (network failure, HTTP error status), TOO_LARGE.
 */
import { DataError } from './errors.js';
import { formatCount } from './limits.js';
import { oneLine, quote } from './quote.js';

/** A `fetch` (the global one by default); pass your own to add headers or credentials. */
export type FetchLike = (input: string) => Promise<Response>;

function tooLarge(url: string, size: string, maxBytes: number, limitName: string): DataError {
  return new DataError('TOO_LARGE', `${quote(url)} is ${size} bytes, over the ${formatCount(maxBytes)}-byte limit (${limitName}); pass a larger ${limitName} if the file is trusted.`);
}

/** The body of `url`, at most `maxBytes`; `hint` (what to do) ends a NOT_FOUND message. */
export async function fetchBytes(url: string, hint: string, maxBytes: number, fetchFn?: FetchLike, limitName = 'maxBytes'): Promise<Uint8Array> {
  const f = fetchFn ?? (typeof fetch === 'function' ? fetch : undefined);
  if (!f) throw new DataError('BAD_OPTION', `cannot fetch ${quote(url)}: this environment has no fetch; pass { fetch }.`);
  let response: Response;
  try {
    response = await f(url);
  } catch (error) {
    throw new DataError('NOT_FOUND', `${quote(url)} cannot be fetched (${oneLine((error as Error)?.message ?? String(error), 300)}); ${hint}.`, { cause: error });
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new DataError('NOT_FOUND', `${quote(url)} cannot be fetched (HTTP ${response.status}${response.statusText ? ` ${oneLine(response.statusText, 100)}` : ''}); ${hint}.`);
  }
  const lengthText = response.headers.get('content-encoding') ? null : response.headers.get('content-length');
  const declared = lengthText !== null && /^\d+$/.test(lengthText.trim()) ? Number(lengthText.trim()) : undefined;
  if (declared !== undefined && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, formatCount(declared), maxBytes, limitName);
  }
  if (!response.body) {
    const whole = new Uint8Array(await response.arrayBuffer());
    if (whole.length > maxBytes) throw tooLarge(url, formatCount(whole.length), maxBytes, limitName);
    return whole;
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw tooLarge(url, `more than ${formatCount(maxBytes)}`, maxBytes, limitName);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}
