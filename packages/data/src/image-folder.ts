/**
 * A folder with one subfolder per class (torchvision's ImageFolder layout): class names are the
 * subfolder names in code-point order, images are found recursively inside each, in sorted order,
 * by extension. Files are only listed here; they are read (read-only) and decoded by the pipeline,
 * which skips and reports the ones that fail.
 *
 * Untrusted folders. Symbolic links are followed by default, wherever they point (as torchvision
 * and timm do: datasets are often assembled from links); `followSymlinks: false` ignores every
 * link. Each real folder (device + inode) is walked at most once per class, and a link back to the
 * image folder or one of its parents is never entered, so link loops (`a -> .`, `up -> ..`) end at
 * once and list nothing twice; a file reached under two distinct names (two links, a hard link) is
 * listed under each, as torchvision does. Broken links, FIFOs, sockets and devices are left out.
 * The walk stops with TOO_LARGE past `maxDepth` folder levels below a class folder or `maxEntries`
 * directory entries in all.
 */
import type { Dirent, Stats } from 'node:fs';
import { opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from './errors.js';
import { formatCount, resolveLimit } from './limits.js';
import { NORMALIZATION, type Normalization } from './normalization.js';
import { quote } from './quote.js';
import { fileError, requireDirectory } from './read-file.js';
import type { DataSource } from './source.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'] as const;

export interface ImageFolderOptions {
  /** File extensions to include (case-insensitive, with the dot). Default IMAGE_EXTENSIONS. */
  readonly extensions?: readonly string[];
  /** Use only these class folders, in this order (label k = classNames[k]). Default: all, sorted. */
  readonly classNames?: readonly string[];
  /** Default ImageNet's mean/std. */
  readonly normalization?: Normalization;
  /** Follow symbolic links to folders and files, wherever they point. Default true (as torchvision); false ignores links. */
  readonly followSymlinks?: boolean;
  /** The most folder levels below a class folder; a deeper folder fails with TOO_LARGE. Default 32. */
  readonly maxDepth?: number;
  /** The most directory entries read in the whole walk (every class); more fails with TOO_LARGE. Default 16,777,216 (2²⁴). */
  readonly maxEntries?: number;
  /** The most pixels per image, from its header before decoding; the pipeline skips larger images ('too large'). Default 89,478,485. */
  readonly maxImagePixels?: number;
  /** The most bytes per image file read into memory; the pipeline skips larger files ('too large'). Default 268,435,456 (256 MiB). */
  readonly maxImageBytes?: number;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const key = (s: Stats) => `${s.dev}:${s.ino}`;

/** The first `n` names, quoted, for a message. */
function someNames(names: readonly string[], n = 20): string {
  if (names.length === 0) return 'none';
  const shown = names.slice(0, n).map(quote).join(', ');
  return names.length > n ? `${shown} and ${names.length - n} more` : shown;
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await stat(p);
  } catch {
    return undefined; // broken link, link loop (ELOOP), vanished, no permission
  }
}

interface Walk {
  readonly root: string;
  readonly extensions: ReadonlySet<string>;
  readonly follow: boolean;
  readonly maxDepth: number;
  readonly maxEntries: number;
  /** Device + inode of the image folder and every folder above it: entering one is a loop. */
  readonly loops: ReadonlySet<string>;
  entries: number;
}

/** The entries of `dir`, sorted, counted against `maxEntries` as they are read (a huge folder is never read whole). */
async function listDir(dir: string, walk: Walk): Promise<Dirent[]> {
  const out: Dirent[] = [];
  try {
    const handle = await opendir(dir, { bufferSize: 256 });
    for await (const entry of handle) {
      if (++walk.entries > walk.maxEntries) {
        throw new DataError(
          'TOO_LARGE',
          `image folder ${quote(walk.root)}: more than ${formatCount(walk.maxEntries)} directory entries (limit maxEntries), reached in ${quote(dir)}; pass imageFolder(dir, { maxEntries }) with a larger value if the folder is really this large, or point dir at a smaller folder.`,
        );
      }
      out.push(entry);
    }
  } catch (error) {
    if (DataError.isInstance(error)) throw error;
    throw fileError(dir, error, 'check its permissions or remove it from the image folder', 'folder');
  }
  return out.sort((a, b) => byCodePoint(a.name, b.name));
}

/** What an entry is, following a link when allowed: a regular file, a folder (with its stat), or nothing to use. */
async function classify(full: string, entry: Dirent, follow: boolean): Promise<{ kind: 'file' } | { kind: 'dir'; stats: Stats } | undefined> {
  if (entry.isFile()) return { kind: 'file' };
  if (entry.isDirectory()) {
    const stats = await statOrUndefined(full);
    return stats?.isDirectory() ? { kind: 'dir', stats } : undefined;
  }
  if (!entry.isSymbolicLink() || !follow) return undefined; // FIFO, socket, device; or a link not followed
  const stats = await statOrUndefined(full);
  if (stats?.isFile()) return { kind: 'file' };
  if (stats?.isDirectory()) return { kind: 'dir', stats };
  return undefined; // broken link, loop, or a link to a FIFO/device
}

async function listImages(dir: string, depth: number, visited: Set<string>, walk: Walk, out: string[]): Promise<void> {
  for (const entry of await listDir(dir, walk)) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    const found = await classify(full, entry, walk.follow);
    if (found?.kind === 'file') {
      if (walk.extensions.has(path.extname(entry.name).toLowerCase())) out.push(full);
    } else if (found?.kind === 'dir') {
      const id = key(found.stats);
      if (visited.has(id)) continue; // a loop, or a second name of a folder already walked
      if (depth + 1 > walk.maxDepth) {
        throw new DataError(
          'TOO_LARGE',
          `image folder ${quote(walk.root)}: ${quote(full)} is ${depth + 1} folder levels below its class folder, over the limit of ${formatCount(walk.maxDepth)} (maxDepth); pass imageFolder(dir, { maxDepth }) with a larger value if the layout is really this deep.`,
        );
      }
      visited.add(id);
      await listImages(full, depth + 1, visited, walk, out);
    }
  }
}

/** Device + inode of `root` and of every folder above it, along the given path and the resolved one. */
async function loopKeys(root: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for (let dir of new Set([root, await realpath(root).catch(() => root)])) {
    for (;;) {
      const stats = await statOrUndefined(dir);
      if (stats) keys.add(key(stats));
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return keys;
}

function stringList(owner: string, name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new DataError('BAD_OPTION', `${owner}: ${name} must be an array of non-empty strings, received ${Array.isArray(value) ? 'an array with other values' : typeof value}.`);
  }
  const dup = value.find((v, i) => value.indexOf(v) !== i);
  if (dup !== undefined) throw new DataError('BAD_OPTION', `${owner}: ${name} lists ${quote(dup)} twice; list each once.`);
  return value as string[];
}

export async function imageFolder(dir: string, options: ImageFolderOptions = {}): Promise<DataSource> {
  if (typeof dir !== 'string') throw new DataError('BAD_OPTION', `imageFolder: dir must be a folder path, received ${typeof dir}.`);
  const root = path.resolve(dir);
  const follow = options.followSymlinks ?? true;
  if (typeof follow !== 'boolean') throw new DataError('BAD_OPTION', `imageFolder: followSymlinks must be true or false, received ${typeof follow}.`);
  const limits = {
    maxDepth: resolveLimit('imageFolder', 'maxDepth', options.maxDepth),
    maxEntries: resolveLimit('imageFolder', 'maxEntries', options.maxEntries),
    maxImagePixels: resolveLimit('imageFolder', 'maxImagePixels', options.maxImagePixels),
    maxImageBytes: resolveLimit('imageFolder', 'maxImageBytes', options.maxImageBytes),
  };
  const extensionList = stringList('imageFolder', 'extensions', options.extensions) ?? IMAGE_EXTENSIONS;
  const wanted = stringList('imageFolder', 'classNames', options.classNames);
  await requireDirectory(root, 'image folder', 'pass a folder with one subfolder of images per class');
  const walk: Walk = {
    root,
    extensions: new Set(extensionList.map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase())),
    follow,
    maxDepth: limits.maxDepth,
    maxEntries: limits.maxEntries,
    loops: await loopKeys(root),
    entries: 0,
  };
  const classDirs = new Map<string, Stats>();
  for (const entry of await listDir(root, walk)) {
    if (entry.name.startsWith('.')) continue;
    const found = await classify(path.join(root, entry.name), entry, follow);
    if (found?.kind === 'dir') classDirs.set(entry.name, found.stats);
  }
  const found = [...classDirs.keys()];
  let classNames = found;
  if (wanted) {
    const missing = wanted.filter((c) => !classDirs.has(c));
    if (missing.length > 0) {
      throw new DataError('NOT_FOUND', `imageFolder: class folder(s) ${someNames(missing)} not in ${quote(root)} (found: ${someNames(found)}); fix classNames or the folder.`);
    }
    classNames = [...wanted];
  }
  if (classNames.length === 0) {
    throw new DataError('EMPTY_CLASS', `image folder ${quote(root)} has no class subfolders; put each class's images in its own subfolder (cat/001.jpg, dog/001.jpg, …).`);
  }
  const paths: string[] = [];
  const labels: number[] = [];
  for (const [k, name] of classNames.entries()) {
    const classDir = path.join(root, name);
    const id = key(classDirs.get(name)!);
    if (walk.loops.has(id)) {
      throw new DataError(
        'EMPTY_CLASS',
        `class folder ${quote(classDir)} is a link back to the image folder or a folder above it (a loop), so it holds no images of its own; remove the link or pass classNames without it.`,
      );
    }
    const files: string[] = [];
    await listImages(classDir, 0, new Set([...walk.loops, id]), walk, files);
    if (files.length === 0) {
      throw new DataError(
        'EMPTY_CLASS',
        `class folder ${quote(classDir)} holds no image (looked for ${[...walk.extensions].join(' ')}, regular files or links to them); add images, remove the folder, or pass classNames without it.`,
      );
    }
    for (const f of files) {
      paths.push(f);
      labels.push(k);
    }
  }
  return {
    name: `image-folder (${quote(root)})`,
    size: paths.length,
    classNames,
    numClasses: classNames.length,
    labels: Int32Array.from(labels),
    channels: 3,
    imageSize: undefined,
    normalization: options.normalization ?? NORMALIZATION.imagenet,
    spec: {
      kind: 'files',
      paths,
      limits: { maxImagePixels: limits.maxImagePixels, maxImageBytes: limits.maxImageBytes, followSymlinks: follow },
    },
  };
}
