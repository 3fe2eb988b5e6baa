/**
 * The one error class of @nf/data. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 * Messages name the file or value, what was found, and how to fix it.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type DataErrorCode =
  /** A file or folder does not exist or cannot be read. */
  | 'NOT_FOUND'
  /** An IDX file is malformed: wrong magic number, unknown type, truncated. */
  | 'BAD_IDX'
  /** A CIFAR binary batch is malformed or truncated. */
  | 'BAD_CIFAR'
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
