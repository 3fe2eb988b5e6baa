/**
 * Reading files we were pointed at, defensively: only regular files (never a directory, device,
 * FIFO or socket, so `/dev/zero` or a named pipe cannot hang a load or grow memory without bound),
 * at most a stated number of bytes, and — for names that come from a file such as a weights
 * manifest — only inside a given folder, with symbolic links resolved before the check.
 * The file is opened non-blocking and must still be the file that was checked when it is read.
 */
import { constants as bufferConstants } from 'node:buffer';
import { constants, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planAllocation } from './allocation.js';
import { checkSizeLimit } from './byte-source.js';
import { checkWeightsPath, outsideFolder } from './model-json.js';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';

/** A regular file that was checked, and how large it was then. */
export interface PlainFile {
  path: string;
  size: number;
  dev: number;
  ino: number;
  /** Resolved with realpath: opened with O_NOFOLLOW so a link swapped in afterwards is refused. */
  resolved: boolean;
}

/** How an IO failure is described: "Cannot read <what> '<file>': <reason>. <hint>" */
export interface FileLabel {
  what: string;
  hint?: string;
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

/** An OS error as one safe phrase ("ENOENT (no such file or directory)"), without the raw message, which repeats the path unescaped. */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z0-9]+$/.test(code)) return REASONS[code] ? `${code} (${REASONS[code]})` : code;
  return 'unknown error';
}

function ioError(file: string, label: FileLabel, e: unknown): ModelsError {
  if (e instanceof ModelsError) return e;
  return new ModelsError('IO', `Cannot read ${label.what} ${quote(file)}: ${ioReason(e)}.${label.hint ? ` ${label.hint}` : ''}`);
}

function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notPlain(file: string, s: Stats, context: string): ModelsError {
  return new ModelsError('BAD_FILE', `${quote(file)}${context} is ${kindOf(s)}, not a plain file; only regular files are read.`);
}

/** Bytes a single buffer can hold in this Node.js (4 GiB on Node 20). */
export const MAX_BUFFER_BYTES = bufferConstants.MAX_LENGTH;

/** Refuses `size` bytes over `maxBytes` (TOO_LARGE) before anything is allocated. */
export function checkSize(file: string, size: number, maxBytes: number, option = 'maxBytes'): void {
  checkSizeLimit(file, size, maxBytes, option);
  if (size > MAX_BUFFER_BYTES) {
    throw new ModelsError('TOO_LARGE', `${quote(file)} is ${size} bytes, more than one Node.js buffer holds (${MAX_BUFFER_BYTES}).`);
  }
}

/** `file` (symbolic links followed, as the caller named it) if it is a regular file. */
export async function statPlainFile(file: string, label: FileLabel): Promise<PlainFile> {
  let s: Stats;
  try {
    s = await stat(file);
  } catch (e) {
    throw ioError(file, label, e);
  }
  if (!s.isFile()) throw notPlain(file, s, '');
  return { path: file, size: s.size, dev: s.dev, ino: s.ino, resolved: false };
}

/** True if `target` lies strictly inside the folder `root` (both absolute and resolved). */
export function isInside(root: string, target: string): boolean {
  const rel = path.relative(root, target);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/**
 * The regular file that `name` (read from `manifest`) denotes inside the folder `root` (already a
 * realpath). Refuses absolute names, `..` segments and symbolic links that lead out (OUTSIDE_FOLDER),
 * and anything but a regular file (BAD_FILE). `self`: `name` is the manifest itself (model.json).
 */
export async function resolveInside(root: string, name: unknown, manifest: string, label: FileLabel, self = false): Promise<PlainFile> {
  const context = self ? '' : ` (named by ${quote(manifest)})`;
  checkWeightsPath(name, manifest, root, self);
  if (path.isAbsolute(name)) throw outsideFolder(manifest, name, root, 'an absolute path', self);
  const outside = (why: string) => outsideFolder(manifest, name, root, why, self);
  const full = path.resolve(root, name);
  if (!isInside(root, full)) throw outside('which resolves outside the folder');
  let real: string;
  try {
    real = await realpath(full);
  } catch (e) {
    throw ioError(full, label, e);
  }
  if (!isInside(root, real)) throw outside(`a symbolic link that leads to ${quote(real)}`);
  let s: Stats;
  try {
    s = await stat(real);
  } catch (e) {
    throw ioError(real, label, e);
  }
  if (!s.isFile()) throw notPlain(full, s, context);
  return { path: real, size: s.size, dev: s.dev, ino: s.ino, resolved: true };
}

const CHUNK = 64 * 1024 * 1024;

/**
 * Reads exactly `file.size` bytes of a checked file into `target` at `at`. The file is opened
 * non-blocking (and without following links when it was resolved) and must still be the same regular
 * file of the same size; a file that shrinks meanwhile is reported as truncated, growth is not read.
 */
export async function readPlainFileInto(file: PlainFile, target: Uint8Array, at: number, label: FileLabel): Promise<void> {
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (file.resolved ? (constants.O_NOFOLLOW ?? 0) : 0);
  let handle;
  try {
    handle = await open(file.path, flags);
  } catch (e) {
    throw ioError(file.path, label, e);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw notPlain(file.path, s, '');
    if (s.dev !== file.dev || s.ino !== file.ino || s.size !== file.size) {
      throw new ModelsError('BAD_FILE', `${quote(file.path)} changed while it was being read (now ${s.size} bytes, was ${file.size}); read it again once nothing writes to it.`);
    }
    let done = 0;
    while (done < file.size) {
      const { bytesRead } = await handle.read(target, at + done, Math.min(CHUNK, file.size - done), done);
      if (bytesRead === 0) {
        throw new ModelsError('BAD_FILE', `${quote(file.path)} shrank to ${done} bytes while being read (expected ${file.size}); read it again once nothing writes to it.`);
      }
      done += bytesRead;
    }
  } catch (e) {
    throw ioError(file.path, label, e);
  } finally {
    await handle.close();
  }
}

/** A whole regular file named by the caller, refused (TOO_LARGE) before reading if over `maxBytes`. */
export async function readPlainFile(file: string, maxBytes: number, label: FileLabel): Promise<Uint8Array> {
  const checked = await statPlainFile(file, label);
  checkSize(file, checked.size, maxBytes);
  planAllocation(checked.size, 'file');
  const bytes = new Uint8Array(checked.size);
  await readPlainFileInto(checked, bytes, 0, label);
  return bytes;
}

/**
 * The local path `target` names in `@nf/models/node`: a string that is not a URL (`scheme://`,
 * `blob:`, `data:`), or a `file:` URL; undefined for anything the main entry reads instead.
 */
export function localPath(target: unknown): string | undefined {
  if (target instanceof URL) return target.protocol === 'file:' ? fileURLToPath(target) : undefined;
  if (typeof target !== 'string') return undefined;
  if (/^file:\/\//i.test(target)) return fileURLToPath(target);
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(target) || /^(blob|data):/i.test(target) ? undefined : target;
}
