/**
 * A folder with one subfolder per class (torchvision's ImageFolder layout): class names are the
 * subfolder names in code-point order, images are found recursively inside each, in sorted order,
 * by extension. Files are only listed here; they are read (read-only) and decoded by the pipeline,
 * which skips and reports the ones that fail.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from './errors.js';
import { NORMALIZATION, type Normalization } from './normalization.js';
import { requireDirectory } from './read-file.js';
import type { DataSource } from './source.js';

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'] as const;

export interface ImageFolderOptions {
  /** File extensions to include (case-insensitive, with the dot). Default IMAGE_EXTENSIONS. */
  readonly extensions?: readonly string[];
  /** Use only these class folders, in this order (label k = classNames[k]). Default: all, sorted. */
  readonly classNames?: readonly string[];
  /** Default ImageNet's mean/std. */
  readonly normalization?: Normalization;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function listImages(dir: string, extensions: ReadonlySet<string>, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => byCodePoint(a.name, b.name));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectory(full)))) {
      await listImages(full, extensions, out);
    } else if (extensions.has(path.extname(entry.name).toLowerCase())) {
      out.push(full);
    }
  }
}

export async function imageFolder(dir: string, options: ImageFolderOptions = {}): Promise<DataSource> {
  if (typeof dir !== 'string') throw new DataError('BAD_OPTION', `imageFolder: dir must be a folder path, received ${String(dir)}.`);
  const root = path.resolve(dir);
  await requireDirectory(root, 'image folder', 'pass a folder with one subfolder of images per class');
  const extensions = new Set((options.extensions ?? IMAGE_EXTENSIONS).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const entries = await readdir(root, { withFileTypes: true });
  const found: string[] = [];
  for (const e of entries) {
    if (!e.name.startsWith('.') && (e.isDirectory() || (e.isSymbolicLink() && (await isDirectory(path.join(root, e.name)))))) found.push(e.name);
  }
  found.sort(byCodePoint);
  let classNames = found;
  if (options.classNames) {
    const missing = options.classNames.filter((c) => !found.includes(c));
    if (missing.length > 0) {
      throw new DataError('NOT_FOUND', `imageFolder: class folder(s) ${missing.join(', ')} not in ${root} (found: ${found.join(', ') || 'none'}); fix classNames or the folder.`);
    }
    classNames = [...options.classNames];
  }
  if (classNames.length === 0) {
    throw new DataError('EMPTY_CLASS', `image folder ${root} has no class subfolders; put each class's images in its own subfolder (${root}/cat/001.jpg, ${root}/dog/…).`);
  }
  const paths: string[] = [];
  const labels: number[] = [];
  for (const [k, name] of classNames.entries()) {
    const files: string[] = [];
    await listImages(path.join(root, name), extensions, files);
    if (files.length === 0) {
      throw new DataError(
        'EMPTY_CLASS',
        `class folder ${path.join(root, name)} holds no image (looked for ${[...extensions].join(' ')}); add images, remove the folder, or pass classNames without it.`,
      );
    }
    for (const f of files) {
      paths.push(f);
      labels.push(k);
    }
  }
  return {
    name: `image-folder (${root})`,
    size: paths.length,
    classNames,
    numClasses: classNames.length,
    labels: Int32Array.from(labels),
    channels: 3,
    imageSize: undefined,
    normalization: options.normalization ?? NORMALIZATION.imagenet,
    spec: { kind: 'files', paths },
  };
}
