/**
 * The one error class of @nf/models. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 */
import { oneLine } from './quote.js';

const NF_ERROR = Symbol.for('@nf/error');

/**
 * - `UNKNOWN_MODEL`, `BAD_CONFIG`: a model name or configuration field.
 * - `WEIGHTS_MISMATCH`: a well-formed checkpoint that does not fit the model (or tensors to write that do not fit their shapes).
 * - `BAD_FILE`: a file that is malformed, inconsistent, truncated, has extra bytes, uses an unsupported
 *   feature (dtype, zip method, encryption…), or is not a plain file (directory, device, FIFO).
 * - `TOO_LARGE`: a file, or what it declares, exceeds a limit (`maxBytes`, `maxInflateRatio`, the fixed header limits).
 * - `OUTSIDE_FOLDER`: a model.json names a weight file outside its own folder (`..`, an absolute path, a symlink leading out).
 * - `IO`: the operating system could not read or write a file (missing, permissions…).
 */
export type ModelsErrorCode = 'UNKNOWN_MODEL' | 'BAD_CONFIG' | 'WEIGHTS_MISMATCH' | 'BAD_FILE' | 'TOO_LARGE' | 'OUTSIDE_FOLDER' | 'IO';

export class ModelsError extends Error {
  readonly code: ModelsErrorCode;
  readonly [NF_ERROR] = true;

  /** `message` is kept to one line: any control character or line break left in it is escaped. */
  constructor(code: ModelsErrorCode, message: string) {
    super(oneLine(message, Number.POSITIVE_INFINITY));
    this.name = 'ModelsError';
    this.code = code;
  }
}

/** True for an error thrown by any @nf package. */
export function isNfError(value: unknown): value is Error & { code: string } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NF_ERROR] === true;
}
