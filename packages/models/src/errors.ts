/**
 * The one error class of @nf/models. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type ModelsErrorCode = 'UNKNOWN_MODEL' | 'BAD_CONFIG' | 'WEIGHTS_MISMATCH' | 'BAD_FILE' | 'IO';

export class ModelsError extends Error {
  readonly code: ModelsErrorCode;
  readonly [NF_ERROR] = true;

  constructor(code: ModelsErrorCode, message: string) {
    super(message);
    this.name = 'ModelsError';
    this.code = code;
  }
}

/** True for an error thrown by any @nf package. */
export function isNfError(value: unknown): value is Error & { code: string } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NF_ERROR] === true;
}
