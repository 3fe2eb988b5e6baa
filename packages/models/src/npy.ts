/**
 * One NumPy `.npy` array (the entries of an `.npz`), read strictly: magic `\x93NUMPY`, version 1.0,
 * 2.0 or 3.0, a header of at most 10,000 bytes (NumPy's own `max_header_size`) holding exactly the
 * Python literal `{'descr': …, 'fortran_order': …, 'shape': (…)}` — parsed by a small grammar, never
 * evaluated — then exactly `elements × itemsize` bytes of data. float16/32/64 in either byte order,
 * C order. Object arrays (`|O`, pickles) are refused: nothing in a file is ever executed.
 */
import { planAllocation } from './allocation.js';
import { DEFAULT_FILE_LIMITS } from './file-limits.js';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';
import { elementCount, halfToFloat, type NamedArray } from './safetensors.js';

const DTYPES: Record<string, { width: number; little: boolean }> = {
  '<f2': { width: 2, little: true },
  '<f4': { width: 4, little: true },
  '<f8': { width: 8, little: true },
  '>f2': { width: 2, little: false },
  '>f4': { width: 4, little: false },
  '>f8': { width: 8, little: false },
};

export interface NpyHeader {
  descr: string;
  width: number;
  little: boolean;
  shape: number[];
  count: number;
  /** Where the data starts. */
  dataOffset: number;
  /** The whole .npy's length: dataOffset + count × width. */
  totalBytes: number;
}

export type Fail = (why: string, hint?: string, code?: 'BAD_FILE' | 'TOO_LARGE') => never;

/** The failure function for array `name` of the archive `where`. */
export function npyFail(where: string, name: string): Fail {
  return (why, hint = 'Save the array again with np.savez (float16/32/64, C order).', code = 'BAD_FILE') => {
    throw new ModelsError(code, `${quote(where)}: array ${quote(name)} ${why}. ${hint}`);
  };
}

/** Bytes needed to know the header length: 10 for version 1, 12 for versions 2 and 3. */
export const NPY_PREAMBLE = 12;

/** The header's end (where the data starts), from the first bytes; fails on a wrong magic, version or an oversize header. */
export function npyHeaderEnd(head: Uint8Array, fail: Fail): number {
  if (head.byteLength < 10) fail(`is not a .npy array (${head.byteLength} bytes)`);
  if (head[0] !== 0x93 || String.fromCharCode(...head.subarray(1, 6)) !== 'NUMPY') fail('is not a .npy array (no \\x93NUMPY magic)');
  const [major, minor] = [head[6]!, head[7]!];
  if (![1, 2, 3].includes(major) || minor !== 0) fail(`is .npy format version ${major}.${minor}; supported: 1.0, 2.0, 3.0`);
  if (major > 1 && head.byteLength < 12) fail(`is not a .npy array (${head.byteLength} bytes)`);
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (length > DEFAULT_FILE_LIMITS.maxNpyHeaderBytes) {
    fail(`has a header of ${length} bytes, over NumPy's limit of ${DEFAULT_FILE_LIMITS.maxNpyHeaderBytes}`, 'The file is damaged or hostile.', 'TOO_LARGE');
  }
  return (major === 1 ? 10 : 12) + length;
}

/** A parser for the one Python literal a .npy header holds: a dict of str keys to str, bool or tuple-of-int values. */
function parseLiteral(text: string): Map<string, string | boolean | number[]> | string {
  let at = 0;
  const ws = () => {
    while (at < text.length && ' \t\r\n'.includes(text[at]!)) at++;
  };
  const str = (): string | undefined => {
    const q = text[at];
    if (q !== "'" && q !== '"') return undefined;
    const end = text.indexOf(q, at + 1);
    if (end < 0) return undefined;
    const value = text.slice(at + 1, end);
    if (value.includes('\\')) return undefined;
    at = end + 1;
    return value;
  };
  const int = (): number | undefined => {
    const m = /^[0-9]+L?/.exec(text.slice(at, at + 40));
    if (!m) return undefined;
    at += m[0].length;
    const digits = m[0].replace('L', '');
    const value = Number(digits);
    return digits.length <= 16 && Number.isSafeInteger(value) ? value : Number.NaN;
  };
  const out = new Map<string, string | boolean | number[]>();
  ws();
  if (text[at++] !== '{') return 'the header is not a dict';
  for (;;) {
    ws();
    if (text[at] === '}') {
      at++;
      break;
    }
    const key = str();
    if (key === undefined) return `expected a quoted key at character ${at}`;
    if (out.has(key)) return `key ${quote(key)} appears twice`;
    ws();
    if (text[at++] !== ':') return `expected ':' at character ${at - 1}`;
    ws();
    let value: string | boolean | number[] | undefined;
    if (text.startsWith('True', at)) [value, at] = [true, at + 4];
    else if (text.startsWith('False', at)) [value, at] = [false, at + 5];
    else if (text[at] === '(') {
      at++;
      const dims: number[] = [];
      for (;;) {
        ws();
        if (text[at] === ')') break;
        const d = int();
        if (d === undefined) return `expected an integer in the shape at character ${at}`;
        dims.push(d);
        ws();
        if (text[at] === ',') at++;
        else if (text[at] !== ')') return `expected ',' or ')' in the shape at character ${at}`;
      }
      at++;
      value = dims;
    } else value = str();
    if (value === undefined) return `expected a string, True, False or a tuple at character ${at} (structured dtypes are not supported)`;
    out.set(key, value);
    ws();
    if (text[at] === ',') at++;
    else if (text[at] !== '}') return `expected ',' or '}' at character ${at}`;
  }
  ws();
  if (at !== text.length) return `unexpected text after the dict at character ${at}`;
  return out;
}

/** The header of a .npy whose first bytes (at least `npyHeaderEnd`) are `head`. */
export function readNpyHeader(head: Uint8Array, fail: Fail): NpyHeader {
  const dataOffset = npyHeaderEnd(head, fail);
  const start = head[6] === 1 ? 10 : 12;
  if (dataOffset > head.byteLength) fail(`has a header of ${dataOffset - start} bytes but only ${head.byteLength - start} follow; it is truncated`);
  const raw = head.subarray(start, dataOffset);
  if (raw.some((b) => b >= 0x80)) fail('has a header with non-ASCII bytes');
  const text = String.fromCharCode(...raw);
  const dict = parseLiteral(text);
  if (typeof dict === 'string') fail(`has an unreadable header (${dict})`);
  const fields = dict as Map<string, string | boolean | number[]>;
  const keys = [...fields.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') fail(`has header keys ${keys}; expected descr, fortran_order, shape`);
  const descr = fields.get('descr');
  const fortran = fields.get('fortran_order');
  const shape = fields.get('shape');
  if (typeof descr !== 'string') return fail('has a descr that is not a string (structured dtypes are not supported)');
  if (typeof fortran !== 'boolean') return fail('has a fortran_order that is not True or False');
  if (!Array.isArray(shape)) return fail('has a shape that is not a tuple');
  if (/O/.test(descr)) {
    fail(`has dtype ${quote(descr)}: Python objects, stored as pickles; refused, since reading them would run code from the file`, 'Save numeric arrays (np.asarray(v, np.float32)).');
  }
  const dtype = DTYPES[descr];
  if (!dtype) fail(`has dtype ${quote(descr)}; supported: <f4, <f8, <f2 (and big-endian >f4, >f8, >f2)`, 'Convert it with np.asarray(v, np.float32) before saving.');
  if (fortran) fail('is in Fortran order', 'Save it with np.ascontiguousarray(v).');
  const count = elementCount(shape);
  if (count === undefined || count * dtype!.width > Number.MAX_SAFE_INTEGER) {
    fail(`has shape (${shape.join(', ')}), whose size is not a safe integer`);
  }
  return { descr, width: dtype!.width, little: dtype!.little, shape: [...shape], count: count!, dataOffset, totalBytes: dataOffset + count! * dtype!.width };
}

/** The whole .npy `bytes` as float32: the data must be exactly what the header declares. */
export function readNpy(bytes: Uint8Array, fail: Fail): NamedArray {
  const header = readNpyHeader(bytes, fail);
  if (bytes.byteLength < header.totalBytes) fail(`has ${bytes.byteLength - header.dataOffset} data bytes but shape (${header.shape.join(', ')}) ${header.descr} needs ${header.totalBytes - header.dataOffset}; it is truncated`);
  if (bytes.byteLength > header.totalBytes) fail(`has ${bytes.byteLength - header.totalBytes} bytes after the data that shape (${header.shape.join(', ')}) ${header.descr} declares`);
  const { count, width, little, dataOffset } = header;
  planAllocation(count * 4, 'npy array');
  const data = new Float32Array(count);
  const body = new DataView(bytes.buffer, bytes.byteOffset + dataOffset, count * width);
  for (let i = 0; i < count; i++) {
    if (width === 4) data[i] = body.getFloat32(i * 4, little);
    else if (width === 8) data[i] = body.getFloat64(i * 8, little);
    else data[i] = halfToFloat(body.getUint16(i * 2, little));
  }
  return { shape: header.shape, data };
}
