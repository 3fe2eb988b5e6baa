/**
 * The one error class of @nf/data. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 * Messages name the file or value, what was found, and how to fix it, on one line: file names are
 * written through `quote` (src/quote.ts), foreign text through `oneLine`.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type DataErrorCode =
  /** A file or folder does not exist, cannot be read, or is not a regular file / folder. */
  | 'NOT_FOUND'
  /** An IDX file is malformed: wrong magic number, unknown type, zero or impossible dimensions, truncated, trailing data, corrupt gzip. */
  | 'BAD_IDX'
  /** A CIFAR binary batch is malformed, truncated, holds another record count than the official one, or its label-names file is wrong. */
  | 'BAD_CIFAR'
  /** A file or folder is over one of the limits (`DEFAULT_LIMITS`): bytes, image pixels, folder entries or depth. */
  | 'TOO_LARGE'
  /** Images and labels disagree in number. */
  | 'COUNT_MISMATCH'
  /** An image folder has no class folders, or a class folder holds no image. */
  | 'EMPTY_CLASS'
  /** A single image could not be decoded (only thrown by `readImage`; the pipeline skips it). */
  | 'BAD_IMAGE'
  /** An option or argument is out of range or of the wrong type. */
  | 'BAD_OPTION'
  /** A resume position does not fit the pipeline (other seed, past the end). */
  | 'BAD_POSITION'
  /** A second iteration was started while one is running. */
  | 'BUSY'
  /** A worker thread could not start or crashed. */
  | 'WORKER_FAILED';

export class DataError extends Error {
  readonly code: DataErrorCode;
  readonly [NF_ERROR] = true;

  constructor(code: DataErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DataError';
    this.code = code;
  }

  static isInstance(value: unknown): value is DataError {
    return isNfError(value) && (value as Error).name === 'DataError';
  }
}

/** True for an error thrown by any @nf package. */
export function isNfError(value: unknown): value is Error & { code: string } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NF_ERROR] === true;
}
