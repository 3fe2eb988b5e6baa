/**
 * Reading example i of a source spec, on the main thread or in a worker: a view into shared pixels or
 * a generated image, here; a file is read and decoded by the reader `@nf/data/node` passes in
 * (file-example-reader.ts: read-only, within the source's limits, decoded with sharp). A file that
 * cannot be read or decoded is reported as skipped, never thrown.
 */
import { DataError, type DataErrorCode } from './errors.js';
import type { ImageBuffer } from './image-buffer.js';
import { quote } from './quote.js';
import type { DataSource, SourceSpec } from './source.js';
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

/** Reads the examples of a `files` spec (Node: file-example-reader.ts). */
export type FileReaderFactory = (spec: Extract<SourceSpec, { kind: 'files' }>) => ExampleReader;

/** The error for a `files` source where no file reader was given (the main entry). */
export function filesNeedNode(owner: string, name: string): DataError {
  return new DataError('BAD_OPTION', `${owner}: ${name} reads image files, which needs Node: import { ${owner} } from '@nf/data/node'; in a browser, build the source from pixels (fromArrays, imageFromImageData).`);
}

/** The reader of a source spec; `files` specs need `readFiles` (given by `@nf/data/node`). */
export function createExampleReader(spec: SourceSpec, readFiles?: FileReaderFactory): ExampleReader {
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
      if (!readFiles) throw filesNeedNode('createPipeline', 'this source');
      return readFiles(spec);
  }
}

/** `readImage` with the given file reader (the main entry's has none, `@nf/data/node`'s reads files). */
export async function readImageWith(source: DataSource, index: number, readFiles: FileReaderFactory | undefined): Promise<ImageBuffer> {
  if (!Number.isInteger(index) || index < 0 || index >= source.size) {
    throw new DataError('BAD_OPTION', `readImage: index must be an integer in [0, ${source.size}) for ${source.name}, received ${typeof index === 'number' ? String(index) : typeof index}.`);
  }
  if (source.spec.kind === 'files' && !readFiles) throw filesNeedNode('readImage', source.name);
  const result = await createExampleReader(source.spec, readFiles)(index);
  if ('skipped' in result) {
    const tooLarge = result.code === 'TOO_LARGE';
    throw new DataError(tooLarge ? 'TOO_LARGE' : 'BAD_IMAGE', `${quote(result.skipped.path)}: ${result.skipped.reason}${tooLarge ? '' : '; replace or remove the file'}.`);
  }
  return result.image;
}

/** Example `index` of a source as stored (raster or generated; image files need `@nf/data/node`'s `readImage`). */
export function readImage(source: DataSource, index: number): Promise<ImageBuffer> {
  return readImageWith(source, index, undefined);
}
