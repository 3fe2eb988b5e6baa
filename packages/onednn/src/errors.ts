/**
 * The one error class of @nf/onednn, marked with the shared `Symbol.for('@nf/error')` like every
 * @nf package's errors.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type OneDnnErrorCode = 'UNAVAILABLE' | 'NO_FALLBACK' | 'BAD_ARGUMENT';

export class OneDnnError extends Error {
  readonly code: OneDnnErrorCode;
  readonly [NF_ERROR] = true;

  constructor(code: OneDnnErrorCode, message: string) {
    super(message);
    this.name = 'OneDnnError';
    this.code = code;
  }
}
