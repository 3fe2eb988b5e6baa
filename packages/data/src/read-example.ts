/**
 * Reading example i of a source spec, on the main thread or in a worker: a view into shared
 * pixels, a generated image, or a file read (read-only) and decoded. A file that cannot be read or
 * decoded is reported as skipped, never thrown.
 */
import { readFile } from 'node:fs/promises';
import { decodeImage } from './decode.js';
import { DataError } from './errors.js';
import type { ImageBuffer } from './image-buffer.js';
import type { DataSource, SourceSpec } from './source.js';
import { syntheticImage } from './synthetic.js';

/** A file the pipeline left out, and why. */
export interface SkippedFile {
  /** Example index in the source. */
  readonly index: number;
  readonly path: string;
  readonly reason: string;
}

export type ReadResult = { readonly image: ImageBuffer } | { readonly skipped: SkippedFile };

export type ExampleReader = (index: number) => Promise<ReadResult>;

function errorText(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message}` : String(e?.message ?? error);
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
    case 'files':
      return async (index) => {
        const path = spec.paths[index]!;
        let bytes: Buffer;
        try {
          bytes = await readFile(path, { flag: 'r' });
        } catch (error) {
          return { skipped: { index, path, reason: `cannot read (${errorText(error)})` } };
        }
        try {
          return { image: await decodeImage(bytes, 3) };
        } catch (error) {
          return { skipped: { index, path, reason: `cannot decode (${errorText(error)})` } };
        }
      };
  }
}

/** Example `index` of a source as stored (decoded to 3 channels for files); throws BAD_IMAGE for a bad file. */
export async function readImage(source: DataSource, index: number): Promise<ImageBuffer> {
  if (!Number.isInteger(index) || index < 0 || index >= source.size) {
    throw new DataError('BAD_OPTION', `readImage: index must be an integer in [0, ${source.size}) for ${source.name}, received ${String(index)}.`);
  }
  const result = await createExampleReader(source.spec)(index);
  if ('skipped' in result) {
    throw new DataError('BAD_IMAGE', `${result.skipped.path}: ${result.skipped.reason}; replace or remove the file.`);
  }
  return result.image;
}
