/**
 * The image files `nf-train predict` classifies: each argument that is a file as given (its content
 * decides whether it is an image), each folder walked for files with an image extension (@nf/data's
 * IMAGE_EXTENSIONS, any case), sorted by path in code-point order. Dotfiles are left out; links are
 * followed, but a real folder is entered once, so link loops end. The walk is bounded (folder depth
 * and entries read); past a bound it stops with one error line. An argument that cannot be read, or a
 * folder without images, becomes an entry with an error, in its place.
 */
import { IMAGE_EXTENSIONS } from '@nf/data/node';
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrainerError, quote } from '../errors.js';

/** A file to classify, or an argument that gave none (`error`: one line, without the name). */
export type ImageEntry = { file: string; error?: undefined } | { file: string; error: string };

export interface ImagePathLimits {
  /** Folder levels below an argument (default 32). */
  maxDepth?: number;
  /** Directory entries read in all (default 1,000,000). */
  maxEntries?: number;
}

const ERRNO: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  ENOTDIR: 'a path component is not a folder',
};
const reason = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException)?.code;
  return `cannot read (${(code && ERRNO[code]) ?? code ?? String(e)})`;
};
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const EXTENSIONS = new Set<string>(IMAGE_EXTENSIONS);

/** The entries for `args`, in argument order; each folder's images sorted. */
export async function imagePaths(args: readonly string[], limits: ImagePathLimits = {}): Promise<ImageEntry[]> {
  const maxDepth = limits.maxDepth ?? 32;
  const maxEntries = limits.maxEntries ?? 1_000_000;
  let entries = 0;
  const out: ImageEntry[] = [];
  for (const arg of args) {
    let info;
    try {
      info = await stat(arg);
    } catch (e) {
      out.push({ file: arg, error: reason(e) });
      continue;
    }
    if (!info.isDirectory()) {
      out.push(info.isFile() ? { file: arg } : { file: arg, error: 'not a regular file or folder' });
      continue;
    }
    const found: string[] = [];
    const problems: ImageEntry[] = [];
    const seen = new Set<string>([`${info.dev}:${info.ino}`]);
    const walk = async (dir: string, depth: number): Promise<void> => {
      const dirs: string[] = [];
      let handle;
      try {
        handle = await opendir(dir, { bufferSize: 256 });
      } catch (e) {
        problems.push({ file: dir, error: reason(e) });
        return;
      }
      for await (const d of handle) {
        entries += 1;
        if (entries > maxEntries) throw new TrainerError('BAD_ARGS', `${quote(arg)}: more than ${maxEntries.toLocaleString('en')} folder entries; give a smaller folder or the images themselves.`);
        if (d.name.startsWith('.')) continue;
        const p = path.join(dir, d.name);
        const s = d.isSymbolicLink() ? await stat(p).catch(() => undefined) : undefined; // broken links are left out
        const isDir = s ? s.isDirectory() : d.isDirectory();
        const isFile = s ? s.isFile() : d.isFile();
        if (isDir) {
          const key = s ? `${s.dev}:${s.ino}` : undefined;
          if (key !== undefined && seen.has(key)) continue;
          dirs.push(p);
        } else if (isFile && EXTENSIONS.has(path.extname(d.name).toLowerCase())) found.push(p);
      }
      for (const sub of dirs) {
        if (depth + 1 > maxDepth) throw new TrainerError('BAD_ARGS', `${quote(sub)} is more than ${maxDepth} folder levels below ${quote(arg)}; give a shallower folder or the images themselves.`);
        const s = await stat(sub).catch(() => undefined);
        if (!s) continue; // vanished since it was listed
        const key = `${s.dev}:${s.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        await walk(sub, depth + 1);
      }
    };
    await walk(arg, 0);
    out.push(...problems);
    if (found.length === 0 && problems.length === 0) out.push({ file: arg, error: `no image files (${IMAGE_EXTENSIONS.join(', ')}) in this folder` });
    else out.push(...found.sort(byCodePoint).map((file) => ({ file })));
  }
  return out;
}
