/** Reading user files: read-only, with errors that name the file and the fix. */
import { readFile, stat } from 'node:fs/promises';
import { DataError } from './errors.js';

/** The bytes of `file` (opened read-only). `hint` ends the message when it is missing. */
export async function readFileBytes(file: string, hint: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(file, { flag: 'r' });
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw fileError(file, error, hint);
  }
}

/** Whether `file` exists and is a regular file. */
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
  if (!isDir) throw new DataError('NOT_FOUND', `${what} ${dir} is a file, not a folder; ${hint}.`);
}

function fileError(file: string, error: unknown, hint: string, what = 'file'): DataError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new DataError('NOT_FOUND', `${what} ${file} does not exist; ${hint}.`, { cause: error });
  }
  return new DataError('NOT_FOUND', `cannot read ${what} ${file} (${code ?? String(error)}); ${hint}.`, { cause: error });
}
