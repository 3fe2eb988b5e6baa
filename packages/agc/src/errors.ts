/**
 * The one error class of @nf/agc. Every @nf package marks its errors with the shared
 * `Symbol.for('@nf/error')`, so `isNfError` recognises them without a shared dependency.
 * Messages are one line: every name and received value goes through `quoteName` / `formatValue`,
 * which escape line breaks and other control characters.
 */
const NF_ERROR = Symbol.for('@nf/error');

export type AgcErrorCode =
  | 'MISSING_PARAM'
  | 'SHAPE_MISMATCH'
  | 'BAD_OPTION'
  | 'BAD_AXES'
  | 'UNKNOWN_OPTIMIZER'
  | 'BAD_INPUT'
  | 'BAD_DTYPE'
  | 'NON_FINITE';

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

/** Longest part of a name or value shown in a message; the rest becomes '…'. */
const MAX_SHOWN = 200;

/**
 * A parameter name as messages show it: in single quotes, with backslashes, quotes, control
 * characters and Unicode line separators escaped (a name can never split an error line), and cut
 * at 200 characters.
 */
export function quoteName(name: string): string {
  const text = String(name);
  const shown = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return `'${shown.replace(/[\\'\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, escapeChar)}'`;
}

function escapeChar(c: string): string {
  switch (c) {
    case '\\':
      return '\\\\';
    case "'":
      return "\\'";
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  }
}

/** Any received value, shown safely on one line (strings quoted, arrays and objects summarised). */
export function formatValue(value: unknown, depth = 0): string {
  if (typeof value === 'string') return quoteName(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'symbol' || typeof value === 'function') return typeof value;
  if (Array.isArray(value)) {
    if (depth > 0) return `Array(${value.length})`;
    const items = value.slice(0, 8).map((v) => formatValue(v, depth + 1));
    return `[${items.join(', ')}${value.length > 8 ? ', …' : ''}]`;
  }
  return kindOf(value);
}

/** What kind of object a value is, for messages: 'Float32Array', 'Map', 'RegExp', 'object'. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  // The built-in tag works across realms and for objects without a prototype.
  const tag = Object.prototype.toString.call(value).slice(8, -1);
  return tag === 'Object' ? 'object' : tag;
}
