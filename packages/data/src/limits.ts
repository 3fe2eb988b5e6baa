/**
 * The limits every reader of untrusted files checks before it allocates: how many bytes an IDX or
 * CIFAR file may hold, how many pixels and bytes one encoded image may have, and how far an image
 * folder walk may go. Each has an option of the same name on the loader that applies it; a file
 * or folder over a limit fails with `TOO_LARGE`, naming the option.
 */
import { DataError } from './errors.js';

export interface Limits {
  /** IDX (after gzip) and CIFAR files: the most bytes one file may hold. 1 GiB. */
  readonly maxBytes: number;
  /** One encoded image: the most pixels (width × height), read from its header before decoding. PIL's MAX_IMAGE_PIXELS, 89,478,485. */
  readonly maxImagePixels: number;
  /** One encoded image file: the most bytes read into memory. 256 MiB. */
  readonly maxImageBytes: number;
  /** Image folders: the most folder levels below a class folder. 32. */
  readonly maxDepth: number;
  /** Image folders: the most directory entries read in one walk (all classes). 2²⁴ = 16,777,216. */
  readonly maxEntries: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxBytes: 2 ** 30,
  maxImagePixels: 89_478_485,
  maxImageBytes: 2 ** 28,
  maxDepth: 32,
  maxEntries: 2 ** 24,
});

/** `value` of limit `name` for `owner` (a function name), or the default; a positive integer or Infinity. */
export function resolveLimit(owner: string, name: keyof Limits, value: unknown): number {
  if (value === undefined) return DEFAULT_LIMITS[name];
  const min = name === 'maxDepth' ? 0 : 1;
  if (value !== Infinity && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= min)) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new DataError('BAD_OPTION', `${owner}: ${name} must be an integer ≥ ${min} or Infinity, received ${shown}.`);
  }
  return value as number;
}

/** A count for messages: 1,073,741,824. */
export function formatCount(n: number): string {
  return n === Infinity ? 'Infinity' : n.toLocaleString('en-US');
}
