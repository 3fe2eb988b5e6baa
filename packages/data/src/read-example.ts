/**
 * Reading example i of a source spec, on the main thread or in a worker: a view into shared
 * pixels, a generated image, or a file read (read-only) and decoded. A file that cannot be read or
 * decoded is reported as skipped, never thrown. Files are read within the source's limits
 * (regular files only, at most `maxImageBytes`, no symbolic link when `followSymlinks` is false) and
 * decoded within `maxImagePixels`.
 */
import { decodeChecked, formatFailure, SNIFF_BYTES } from './decode.js';
import { DataError, type DataErrorCode } from './errors.js';
import type { ImageBuffer } from './image-buffer.js';
import { DEFAULT_LIMITS } from './limits.js';
import { quote } from './quote.js';
import { errnoText, readBounded, type ReadProblem } from './read-file.js';
import type { DataSource, ImageFileLimits, SourceSpec } from './source.js';
import { syntheticImage } from './synthetic.js';

/** A file the pipeline left out, and why. */
export interface SkippedFile {
  /** Example index in the source. */
  readonly index: number;
  readonly path: string;
  /** One line, without the path: `cannot read (…)`, `cannot decode (…)` or `too large (…)`. */
  readonly reason: string;
}

/** `code` is why a file was skipped (BAD_IMAGE, NOT_FOUND, TOO_LARGE), for `readImage`. */
export type ReadResult = { readonly image: ImageBuffer } | { readonly skipped: SkippedFile; readonly code: DataErrorCode };

export type ExampleReader = (index: number) => Promise<ReadResult>;

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

export function createExampleReader(spec: SourceSpec): ExampleReader {
  switch (spec.kind) {
    case 'raster': {
      const size = spec.height * spec.width * spec.channels;
      return (index) =>
        Promise.resolve({
          image: { data: spec.data.subarray(index * size, (index + 1) * size), width: spec.width, height: spec.height, channels: spec.channels },
        });
    }
    case 'synthetic':
      return (index) => Promise.resolve({ image: syntheticImage(spec, index) });
    case 'files': {
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
    }
  }
}

/** Example `index` of a source as stored (decoded to 3 channels for files); throws BAD_IMAGE for a bad file, TOO_LARGE for one over a limit. */
export async function readImage(source: DataSource, index: number): Promise<ImageBuffer> {
  if (!Number.isInteger(index) || index < 0 || index >= source.size) {
    throw new DataError('BAD_OPTION', `readImage: index must be an integer in [0, ${source.size}) for ${source.name}, received ${typeof index === 'number' ? String(index) : typeof index}.`);
  }
  const result = await createExampleReader(source.spec)(index);
  if ('skipped' in result) {
    const tooLarge = result.code === 'TOO_LARGE';
    throw new DataError(tooLarge ? 'TOO_LARGE' : 'BAD_IMAGE', `${quote(result.skipped.path)}: ${result.skipped.reason}${tooLarge ? '' : '; replace or remove the file'}.`);
  }
  return result.image;
}
