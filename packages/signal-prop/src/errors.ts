/**
 * The one error class of @nf/signal-prop. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type SignalPropErrorCode =
  /** An option has a wrong type or value. */
  | 'BAD_OPTION'
  /** The probe input does not fit the model's inputs. */
  | 'BAD_INPUT'
  /** Nothing to measure: no residual merge found and no layer selected. */
  | 'NO_SITES'
  /** A layer cannot be executed or measured (unknown class, non-float output, failure inside it). */
  | 'UNSUPPORTED_LAYER'
  /** A model file is missing, unreadable or not a tfjs Layers model. */
  | 'BAD_MODEL_FILE'
  /** `expectSignalPreserved` found a violation. */
  | 'SIGNAL_NOT_PRESERVED';

export class SignalPropError extends Error {
  readonly code: SignalPropErrorCode;
  readonly [NF_ERROR] = true;

  constructor(code: SignalPropErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignalPropError';
    this.code = code;
  }

  static isInstance(value: unknown): value is SignalPropError {
    return isNfError(value) && (value as Error).name === 'SignalPropError';
  }
}

/** True for an error thrown by any @nf package. */
export function isNfError(value: unknown): value is Error & { code: string } {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[NF_ERROR] === true;
}
