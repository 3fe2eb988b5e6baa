/**
 * The one error class of @nf/agc. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type AgcErrorCode =
  | 'MISSING_PARAM'
  | 'SHAPE_MISMATCH'
  | 'BAD_OPTION'
  | 'BAD_AXES'
  | 'UNKNOWN_OPTIMIZER';

export class AgcError extends Error {
  readonly code: AgcErrorCode;
  readonly [NF_ERROR] = true;

  constructor(code: AgcErrorCode, message: string) {
    super(message);
    this.name = 'AgcError';
    this.code = code;
  }

  static isInstance(value: unknown): value is AgcError {
    return isNfError(value) && (value as Error).name === 'AgcError';
  }
}

/** True for an error thrown by any @nf package. */
export function isNfError(value: unknown): value is Error & { code: string } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NF_ERROR] === true;
}

/** A RangeError carrying the same marker and code, for option values out of range. */
export class AgcRangeError extends RangeError {
  readonly code: AgcErrorCode = 'BAD_OPTION';
  readonly [NF_ERROR] = true;
  constructor(message: string) {
    super(message);
    this.name = 'AgcRangeError';
  }
}
