/**
 * The one error class of @nf/ws-conv. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type WsConvErrorCode =
  | 'BAD_GROUPS'
  | 'BAD_SHAPE'
  | 'BAD_PADDING'
  | 'BAD_CONVENTION'
  | 'UNKNOWN_ACTIVATION'
  | 'BAD_OPTION'
  | 'KERNEL_TOO_LARGE';

export class WsConvError extends Error {
  readonly code: WsConvErrorCode;
  readonly [NF_ERROR] = true;

  constructor(code: WsConvErrorCode, message: string) {
    super(message);
    this.name = 'WsConvError';
    this.code = code;
  }

  static isInstance(value: unknown): value is WsConvError {
    return isNfError(value) && (value as Error).name === 'WsConvError';
  }
}

/** True for an error thrown by any @nf package. */
export function isNfError(value: unknown): value is Error & { code: string } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NF_ERROR] === true;
}
