/**
 * The limits every file reader of @nf/models applies to untrusted input (README "Untrusted files").
 * `maxBytes` and `maxInflateRatio` can be changed per call; the two header limits are fixed, as in
 * the reference implementations (the safetensors crate and NumPy).
 */
import { ModelsError } from './errors.js';

export interface FileLimits {
  /**
   * The most bytes one load may read from disk and/or inflate: a checkpoint file read from a path,
   * the weight files of a model.json together, an .npz's entries unpacked together. Default 4 GiB.
   */
  maxBytes?: number;
  /**
   * .npz only: the entries of an archive of N bytes may unpack to at most max(maxInflateRatio × N, 16 MiB).
   * Real weights compress by well under 2×; a zip bomb by ~1000×. Default 100.
   */
  maxInflateRatio?: number;
}

export const DEFAULT_FILE_LIMITS = Object.freeze({
  maxBytes: 4 * 1024 ** 3,
  maxInflateRatio: 100,
  /** Unpacking below this never counts as a bomb, whatever the ratio. */
  inflateAllowance: 16 * 1024 ** 2,
  /** model.json (`loadModel`'s `maxModelJsonBytes`). */
  maxModelJsonBytes: 64 * 1024 ** 2,
  /** A safetensors JSON header, as the safetensors crate's MAX_HEADER_SIZE. Fixed. */
  maxSafetensorsHeaderBytes: 100_000_000,
  /** A .npy header, as NumPy's `max_header_size` default. Fixed. */
  maxNpyHeaderBytes: 10_000,
} as const);

/** `value` if it is a positive number (or the default), else a BAD_CONFIG error naming the option. */
export function limitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new ModelsError('BAD_CONFIG', `Option ${name} must be a positive number of ${name === 'maxInflateRatio' ? 'times' : 'bytes'}, received ${String(value)}.`);
  }
  return value;
}
