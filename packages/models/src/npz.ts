/**
 * NumPy `.npz` archives (what `np.savez` / `np.savez_compressed` write): a zip of `.npy` files.
 * Reads stored and deflated entries (node:zlib) of float16/32/64 arrays in C order (npy.ts) — the
 * format of the documented DeepMind checkpoint conversion.
 *
 * The zip is read as an untrusted file. Before anything is unpacked: the end record, the zip64 records
 * (which np.savez writes) and the central directory must be consistent with each other and lie inside
 * the file; every entry's local header must agree with its central-directory record (name, method,
 * flags, CRC, sizes); no two entries may share bytes (the overlapping-entry zip bomb); names must be
 * unique, relative `NAME.npy` without `..` segments or control characters; encrypted entries and
 * methods other than stored/deflate are refused. The declared unpacked sizes must fit `maxBytes`
 * (default 4 GiB) and `maxInflateRatio` × the archive's size (default 100×, at least 16 MiB). Each
 * deflated entry's .npy header is inflated first and must declare exactly the entry's size; the entry
 * is then inflated with zlib's `maxOutputLength` set to that size, so a stream that inflates further is
 * stopped there. Every entry's CRC-32 is checked.
 */
import * as zlib from 'node:zlib';
import { planAllocation } from './allocation.js';
import { DEFAULT_FILE_LIMITS, limitOption, type FileLimits } from './file-limits.js';
import { ModelsError } from './errors.js';
import { NPY_PREAMBLE, npyFail, npyHeaderEnd, readNpy, readNpyHeader } from './npy.js';
import { quote } from './quote.js';
import type { NamedArray } from './safetensors.js';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const METHODS: Record<number, string> = { 1: 'shrink', 6: 'implode', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz', 98: 'ppmd', 99: 'AES encryption' };

let crcTable: Uint32Array | undefined;
/** CRC-32 (zip's), through zlib when this Node has it (20.15+). */
function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (native) return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

interface Entry {
  name: string;
  key: string;
  flags: number;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  local: number;
  dataStart: number;
  dataEnd: number;
}

/** zlib's failure as a short phrase: its code (Z_DATA_ERROR…) without the raw message. */
function zlibReason(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) ? code : 'unknown error';
}

/**
 * The first output bytes of a raw deflate stream, at least `want` of them (or all there are), inflating
 * only a growing prefix of the input: a bomb cannot make this allocate more than ~1 MiB per try.
 */
function inflateHead(raw: Uint8Array, want: number): Uint8Array {
  for (let n = Math.min(raw.byteLength, 1024); ; n = Math.min(raw.byteLength, n * 4)) {
    // Deflate expands at most 1032:1, so this limit is never the one that stops a valid stream.
    planAllocation(n * 1100 + 65_536, 'npy header inflate');
    const out = zlib.inflateRawSync(raw.subarray(0, n), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: n * 1100 + 65_536 });
    if (out.byteLength >= want || n === raw.byteLength) return out;
  }
}

/** Every array of an .npz archive, keyed by name (without `.npy`), in an object without a prototype. */
export function readNpz(bytes: Uint8Array, where = 'npz', options: FileLimits = {}): Record<string, NamedArray> {
  const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
  const maxRatio = limitOption('maxInflateRatio', options.maxInflateRatio, DEFAULT_FILE_LIMITS.maxInflateRatio);
  const fail: (why: string, hint?: string) => never = (why, hint = 'The file is damaged or not an .npz; save it again with np.savez.') => {
    throw new ModelsError('BAD_FILE', `${quote(where)}: not a valid .npz archive (${why}). ${hint}`);
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected bytes (a Uint8Array), received ${typeof bytes}`, 'Pass the file contents or a path.');
  const length = bytes.byteLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  /** A zip64 field: an offset (or a compressed size) must lie within the file; an unpacked size must at least be a safe integer. */
  const u64 = (at: number, what: string, within = true): number => {
    const value = view.getBigUint64(at, true);
    if (within && value > BigInt(length)) fail(`${what} ${value} lies beyond the ${length}-byte file`);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${value} is past 2^53`);
    return Number(value);
  };

  // End of central directory: the last record whose comment ends exactly at the end of the file.
  let end = -1;
  for (let i = length - 22; i >= Math.max(0, length - 22 - 0xffff); i--) {
    if (u32(i) === END && i + 22 + u16(i + 20) === length) {
      end = i;
      break;
    }
  }
  if (end < 0) {
    throw new ModelsError('BAD_FILE', `${quote(where)}: not an .npz (zip) archive (no zip end record at its end). Pass a file written by np.savez.`);
  }
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0 || u16(end + 8) !== u16(end + 10)) fail('it spans several disks');
  let count = u16(end + 10);
  let cdSize = u32(end + 12);
  let cdOffset = u32(end + 16);
  let cdLimit = end; // the central directory ends where the (zip64) end record starts
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = end - 20;
    if (locator < 0 || u32(locator) !== ZIP64_LOCATOR) fail('its end record points to zip64 records that are missing');
    if (u32(locator + 4) !== 0 || u32(locator + 16) > 1) fail('it spans several disks');
    const z = u64(locator + 8, 'zip64 end record offset');
    if (z + 56 > locator || u32(z) !== ZIP64_END) fail('its zip64 end record is missing or misplaced');
    if (u64(z + 4, 'zip64 end record size') + 12 !== locator - z) fail('its zip64 end record has the wrong size');
    if (u32(z + 16) !== 0 || u32(z + 20) !== 0) fail('it spans several disks');
    const count64 = u64(z + 32, 'entry count');
    if (u64(z + 24, 'entry count') !== count64) fail('it spans several disks');
    const size64 = u64(z + 40, 'central directory size');
    const offset64 = u64(z + 48, 'central directory offset');
    if ((count !== 0xffff && count !== count64) || (cdSize !== 0xffffffff && cdSize !== size64) || (cdOffset !== 0xffffffff && cdOffset !== offset64)) {
      fail('its end record and zip64 end record disagree');
    }
    [count, cdSize, cdOffset, cdLimit] = [count64, size64, offset64, z];
  }
  if (cdOffset + cdSize !== cdLimit) fail(`its central directory (${cdSize} bytes at ${cdOffset}) does not end where the end record starts (${cdLimit})`);
  if (count * 46 > cdSize) fail(`it declares ${count} entries but its central directory of ${cdSize} bytes holds at most ${Math.floor(cdSize / 46)}`);

  // The central directory.
  const entries: Entry[] = [];
  const keys = new Set<string>();
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let at = cdOffset;
  for (let e = 0; e < count; e++) {
    if (at + 46 > cdLimit || u32(at) !== CENTRAL) fail(`central directory entry ${e} is missing or corrupt`);
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressed = u32(at + 20);
    let size = u32(at + 24);
    const nameLength = u16(at + 28);
    const extraLength = u16(at + 30);
    const next = at + 46 + nameLength + extraLength + u16(at + 32);
    let disk = u16(at + 34);
    let local = u32(at + 42);
    if (next > cdLimit) fail(`central directory entry ${e} runs past the central directory`);
    let name: string;
    try {
      name = utf8.decode(bytes.subarray(at + 46, at + 46 + nameLength));
    } catch {
      return fail(`entry ${e}'s name is not UTF-8`);
    }
    const entry = `entry ${quote(name)}`;
    // zip64: the fields saturated at 0xffff… are in the extra field, in this order.
    if (size === 0xffffffff || compressed === 0xffffffff || local === 0xffffffff || disk === 0xffff) {
      let x = at + 46 + nameLength;
      const extraEnd = x + extraLength;
      let found = false;
      while (x + 4 <= extraEnd) {
        const id = u16(x);
        const fieldsEnd = x + 4 + u16(x + 2);
        if (fieldsEnd > extraEnd) fail(`${entry} has a corrupt extra field`);
        if (id === 1) {
          found = true;
          let y = x + 4;
          const take = (bytesNeeded: number) => {
            if (y + bytesNeeded > fieldsEnd) fail(`${entry} has a short zip64 extra field`);
            y += bytesNeeded;
            return y - bytesNeeded;
          };
          if (size === 0xffffffff) size = u64(take(8), `${entry} size`, false);
          if (compressed === 0xffffffff) compressed = u64(take(8), `${entry} compressed size`);
          if (local === 0xffffffff) local = u64(take(8), `${entry} offset`);
          if (disk === 0xffff) disk = u32(take(4));
        }
        x = fieldsEnd;
      }
      if (!found) fail(`${entry} has zip64 sizes but no zip64 extra field`);
    }
    if (disk !== 0) fail(`${entry} is on another disk`);
    if (flags & 0x41) fail(`${entry} is encrypted`, 'Save the archive without a password (np.savez).');
    if (method !== 0 && method !== 8) {
      fail(`${entry} uses zip method ${method}${METHODS[method] ? ` (${METHODS[method]})` : ''}; only stored (0) and deflate (8) are supported`, 'Save it with np.savez or np.savez_compressed.');
    }
    if (method === 0 && compressed !== size) fail(`${entry} is stored but its sizes differ (${compressed} vs ${size})`);
    if (!name.endsWith('.npy') || name.endsWith('/.npy')) fail(`${entry} is not a NAME.npy array (np.savez writes nothing else)`);
    if (/^[\\/]|^[A-Za-z]:|\\|[\u0000-\u001f\u007f]/.test(name) || name.split('/').some((part) => part === '..' || part === '.')) {
      fail(`${entry} has an unsafe name (absolute, '..' or '.' segments, backslashes or control characters)`);
    }
    const key = name.slice(0, -4);
    if (keys.has(key)) fail(`${entry} appears twice`);
    keys.add(key);
    entries.push({ name, key, flags, method, crc, compressed, size, local, dataStart: 0, dataEnd: 0 });
    at = next;
  }
  if (at !== cdLimit) fail(`its central directory has ${cdLimit - at} bytes after its ${count} entries`);

  // Local headers: each must agree with its central record, and the entries' bytes must not overlap.
  for (const e of entries) {
    const entry = `entry ${quote(e.name)}`;
    const l = e.local;
    if (l + 30 > cdOffset || u32(l) !== LOCAL) fail(`${entry}'s local header is missing (offset ${l})`);
    const nameLength = u16(l + 26);
    const extraLength = u16(l + 28);
    e.dataStart = l + 30 + nameLength + extraLength;
    e.dataEnd = e.dataStart + e.compressed;
    if (e.dataEnd > cdOffset) fail(`${entry}'s data (${e.compressed} bytes at ${e.dataStart}) runs into the central directory`);
    const name = bytes.subarray(l + 30, l + 30 + nameLength);
    if (utf8.decode(name) !== e.name) fail(`${entry}'s local header names it ${quote(new TextDecoder().decode(name))}`);
    if (u16(l + 6) !== e.flags || u16(l + 8) !== e.method) fail(`${entry}'s local header disagrees with the central directory (flags or method)`);
    if (!(e.flags & 0x08)) {
      let size = u32(l + 22);
      let compressed = u32(l + 18);
      if (size === 0xffffffff || compressed === 0xffffffff) {
        let x = l + 30 + nameLength;
        const extraEnd = x + extraLength;
        while (x + 4 <= extraEnd) {
          const fieldsEnd = x + 4 + u16(x + 2);
          if (fieldsEnd > extraEnd) fail(`${entry}'s local header has a corrupt extra field`);
          if (u16(x) === 1) {
            let y = x + 4;
            if (size === 0xffffffff && y + 8 <= fieldsEnd) [size, y] = [u64(y, `${entry} size`, false), y + 8];
            if (compressed === 0xffffffff && y + 8 <= fieldsEnd) compressed = u64(y, `${entry} compressed size`);
          }
          x = fieldsEnd;
        }
      }
      if (u32(l + 14) !== e.crc || size !== e.size || compressed !== e.compressed) {
        fail(`${entry}'s local header disagrees with the central directory (CRC or sizes: ${compressed}/${size} vs ${e.compressed}/${e.size})`);
      }
    }
  }
  const byStart = [...entries].sort((a, b) => a.local - b.local);
  for (let i = 1; i < byStart.length; i++) {
    if (byStart[i]!.local < byStart[i - 1]!.dataEnd) {
      fail(`entries ${quote(byStart[i - 1]!.name)} and ${quote(byStart[i]!.name)} overlap (entries sharing bytes are a zip-bomb construction)`);
    }
  }

  // What unpacking will cost, from the declared sizes, before anything is unpacked.
  const total = entries.reduce((n, e) => n + e.size, 0);
  if (total > maxBytes) {
    throw new ModelsError('TOO_LARGE', `${quote(where)}: its arrays unpack to ${total} bytes, over the limit of ${maxBytes} (maxBytes); pass a larger { maxBytes } if you trust the file.`);
  }
  const allowance = Math.max(maxRatio * length, DEFAULT_FILE_LIMITS.inflateAllowance);
  if (total > allowance) {
    throw new ModelsError(
      'TOO_LARGE',
      `${quote(where)}: its arrays unpack to ${total} bytes from a ${length}-byte archive (${(total / length).toFixed(0)}×), over the limit of ${maxRatio}× (maxInflateRatio), as a zip bomb would; pass a larger { maxInflateRatio } if you trust the file.`,
    );
  }

  const out = Object.create(null) as Record<string, NamedArray>;
  for (const e of entries) {
    const failNpy = npyFail(where, e.name);
    const raw = bytes.subarray(e.dataStart, e.dataEnd);
    let content: Uint8Array;
    if (e.method === 0) content = raw;
    else {
      const corrupt = (err: unknown): never => failNpy(`has corrupt deflate data (zlib ${zlibReason(err)})`, 'The archive is damaged; save it again.');
      // The .npy header first: it must declare exactly the entry's size before the entry is inflated.
      let head: Uint8Array;
      try {
        head = inflateHead(raw, NPY_PREAMBLE);
        if (head.byteLength >= 10) head = inflateHead(raw, Math.min(npyHeaderEnd(head, failNpy), e.size));
      } catch (err) {
        if (err instanceof ModelsError) throw err;
        return corrupt(err);
      }
      if (head.byteLength > e.size) head = head.subarray(0, e.size);
      const header = readNpyHeader(head, failNpy);
      if (header.totalBytes !== e.size) {
        failNpy(`declares shape (${header.shape.join(', ')}) ${header.descr}, ${header.totalBytes} bytes with its header, but its zip entry holds ${e.size}`);
      }
      try {
        planAllocation(e.size, 'npz entry inflate');
        content = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
          failNpy(`inflates past the ${e.size} bytes its zip entry declares (stopped there)`, 'The archive is damaged or hostile.');
        }
        return corrupt(err);
      }
      if (content.byteLength !== e.size) failNpy(`inflates to ${content.byteLength} bytes, not the ${e.size} its zip entry declares; it is truncated`, 'The archive is damaged; save it again.');
    }
    if (crc32(content) !== e.crc) failNpy('fails its CRC-32 check', 'The archive is damaged; save it again.');
    out[e.key] = readNpy(content, failNpy);
  }
  return out;
}
