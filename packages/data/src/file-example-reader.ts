/**
 * Reading the examples of an image-folder source (`files` spec) in Node, on the main thread or in a
 * worker: a file read (read-only) within the source's limits — regular files only, at most
 * `maxImageBytes`, no symbolic link when `followSymlinks` is false — and decoded within
 * `maxImagePixels` (decode.ts, sharp). A file that cannot be read or decoded is reported as skipped.
 */
import { decodeChecked, formatFailure, SNIFF_BYTES } from './decode.js';
import type { ImageBuffer } from './image-buffer.js';
import { DEFAULT_LIMITS } from './limits.js';
import { errnoText, readBounded, type ReadProblem } from './read-file.js';
import { createExampleReader, readImageWith, type ExampleReader, type FileReaderFactory } from './read-example.js';
import type { DataSource, ImageFileLimits, SourceSpec } from './source.js';

const DEFAULT_FILE_LIMITS: ImageFileLimits = {
  maxImagePixels: DEFAULT_LIMITS.maxImagePixels,
  maxImageBytes: DEFAULT_LIMITS.maxImageBytes,
  followSymlinks: true,
};

function readReason(problem: ReadProblem): string {
  if (problem.code === 'TOO_LARGE') return `too large (${problem.detail})`;
  if (problem.code === 'BAD_IMAGE') return `cannot decode (${problem.detail})`;
  const errno = (problem.cause as NodeJS.ErrnoException | undefined)?.code;
  return `cannot read (${errno ? errnoText(problem.cause) : problem.detail})`;
}

/** The reader of a `files` spec. */
export const readFiles: FileReaderFactory = (spec) => {
  const limits = { ...DEFAULT_FILE_LIMITS, ...spec.limits };
  return async (index) => {
    const path = spec.paths[index]!;
    const read = await readBounded(path, {
      maxBytes: limits.maxImageBytes,
      limitName: 'maxImageBytes',
      noFollow: !limits.followSymlinks,
      inspect: { prefixBytes: SNIFF_BYTES, check: formatFailure }, // not an image: refused before the body is read
    });
    if ('problem' in read) return { skipped: { index, path, reason: readReason(read.problem) }, code: read.problem.code };
    const decoded = await decodeChecked(read.bytes, 3, limits.maxImagePixels);
    if ('failure' in decoded) {
      const { failure } = decoded;
      return { skipped: { index, path, reason: failure.code === 'TOO_LARGE' ? `too large (${failure.detail})` : `cannot decode (${failure.detail})` }, code: failure.code };
    }
    return { image: decoded.image };
  };
};

/** The reader of any source spec, image files included. */
export function createNodeExampleReader(spec: SourceSpec): ExampleReader {
  return createExampleReader(spec, readFiles);
}

/** Example `index` of a source as stored (decoded to 3 channels for files); throws BAD_IMAGE for a bad file, TOO_LARGE for one over a limit. */
export function readImage(source: DataSource, index: number): Promise<ImageBuffer> {
  return readImageWith(source, index, readFiles);
}
