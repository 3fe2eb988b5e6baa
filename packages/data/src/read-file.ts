/**
 * Reading user files: read-only, regular files only, size checked before anything is allocated,
 * with errors that name the file (quoted) and the fix.
 *
 * A file is opened non-blocking (a FIFO named like a data file cannot hang the open), checked with
 * fstat on the open handle (a regular file, not a folder, FIFO, socket or device; no race between
 * the check and the read), and its size is compared with the caller's limit and expectations
 * before the buffer is allocated. At most that size is read, whatever the file does meanwhile.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { DataError, type DataErrorCode } from './errors.js';
import { formatCount } from './limits.js';
import { oneLine, quote } from './quote.js';

export interface ReadOptions {
  /** Most bytes to read; a larger file fails with TOO_LARGE before anything is allocated. */
  readonly maxBytes: number;
  /** The option that sets `maxBytes`, named in the TOO_LARGE message (e.g. 'maxBytes'). */
  readonly limitName: string;
  /** Refuse a symbolic link as the last path component. */
  readonly noFollow?: boolean;
  /**
   * Called before the body is read, with the first `prefixBytes` bytes (fewer when the file is
   * shorter) and the file's size: the format checks its header against the size here, and refuses
   * the file before anything else is allocated by throwing a DataError or returning a problem.
   */
  readonly inspect?: { readonly prefixBytes: number; readonly check: (prefix: Uint8Array, size: number) => ReadProblem | undefined | void };
}

/** Why a file was not read: an error code and a description without the path. */
export interface ReadProblem {
  readonly code: DataErrorCode;
  readonly detail: string;
  readonly cause?: unknown;
}

export type ReadResult = { readonly bytes: Uint8Array } | { readonly problem: ReadProblem };

const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** "ENOENT: no such file or directory" from a Node error (its message without the syscall and path). */
export function errnoText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string' && e.message.startsWith(`${e.code}: `)) {
    return oneLine(e.message.split(', ')[0]!);
  }
  return oneLine(e?.code ? `${e.code}: ${String(e.message)}` : String(e?.message ?? error));
}

function kindOf(s: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** Reads `file` within `options`, reporting a problem instead of throwing (except what `inspect.check` throws). */
export async function readBounded(file: string, options: ReadOptions): Promise<ReadResult> {
  let handle;
  try {
    handle = await open(file, OPEN_FLAGS | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' && options.noFollow) return { problem: { code: 'NOT_FOUND', detail: 'is a symbolic link and links are not followed (followSymlinks: false)' } };
    return { problem: { code: 'NOT_FOUND', detail: code === 'ENOENT' || code === 'ENOTDIR' ? `does not exist (${errnoText(error)})` : `cannot be opened (${errnoText(error)})`, cause: error } };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = kindOf(info);
      return { problem: { code: 'NOT_FOUND', detail: `is ${kind === 'not a regular file' ? kind : `${kind}, not a regular file`}` } };
    }
    const size = info.size;
    if (options.inspect) {
      const prefix = new Uint8Array(Math.min(size, options.inspect.prefixBytes));
      const { bytesRead } = await handle.read(prefix, 0, prefix.length, 0);
      const refused = options.inspect.check(prefix.subarray(0, bytesRead), size);
      if (refused) return { problem: refused };
    }
    if (size > options.maxBytes) {
      return {
        problem: {
          code: 'TOO_LARGE',
          detail: `is ${formatCount(size)} bytes, over the ${formatCount(options.maxBytes)}-byte limit (${options.limitName}); pass a larger ${options.limitName} if the file is trusted`,
        },
      };
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(size);
    } catch (error) {
      return { problem: { code: 'TOO_LARGE', detail: `is ${formatCount(size)} bytes, more than this process can allocate (${errnoText(error)}); lower ${options.limitName}`, cause: error } };
    }
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(bytes, filled, Math.min(size - filled, 2 ** 30), filled);
      if (bytesRead === 0) break; // shrank while reading: the format checks see the short file
      filled += bytesRead;
    }
    return { bytes: filled === size ? bytes : bytes.subarray(0, filled) };
  } catch (error) {
    if (DataError.isInstance(error)) throw error; // refused by inspect.check
    return { problem: { code: 'NOT_FOUND', detail: `cannot be read (${errnoText(error)})`, cause: error } };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The bytes of `file`, or a DataError naming it; `hint` (what to do) ends the message. */
export async function readFileBytes(file: string, hint: string, options: ReadOptions = { maxBytes: Infinity, limitName: 'maxBytes' }): Promise<Uint8Array> {
  const result = await readBounded(file, options);
  if ('problem' in result) throw problemError(file, result.problem, hint);
  return result.bytes;
}

/** The DataError for a problem with `file`: `"file" <detail>; <hint>.` */
export function problemError(file: string, problem: ReadProblem, hint: string): DataError {
  const tail = problem.code === 'TOO_LARGE' ? '' : `; ${hint}`;
  return new DataError(problem.code, `${quote(file)} ${problem.detail}${tail}.`, problem.cause === undefined ? undefined : { cause: problem.cause });
}

/** Whether `file` exists and is a regular file (following links). */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Throws NOT_FOUND unless `dir` is an existing folder. */
export async function requireDirectory(dir: string, what: string, hint: string): Promise<void> {
  let isDir = false;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (error) {
    throw fileError(dir, error, hint, what);
  }
  if (!isDir) throw new DataError('NOT_FOUND', `${what} ${quote(dir)} is a file, not a folder; ${hint}.`);
}

/** NOT_FOUND for a path that could not be opened or listed. */
export function fileError(file: string, error: unknown, hint: string, what = 'file'): DataError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new DataError('NOT_FOUND', `${what} ${quote(file)} does not exist; ${hint}.`, { cause: error });
  }
  return new DataError('NOT_FOUND', `cannot read ${what} ${quote(file)} (${errnoText(error)}); ${hint}.`, { cause: error });
}
