/**
 * What every dataset loader returns: size, class names, labels, the per-dataset normalisation, and
 * a serialisable `spec` a worker thread can read examples from (pixels in shared memory, file
 * paths, or the parameters of a generated set).
 */
import type { Normalization } from './normalization.js';

export type SourceSpec =
  /** Same-size images, HWC bytes one after the other (shared with workers without a copy). */
  | {
      readonly kind: 'raster';
      readonly data: Uint8Array;
      readonly height: number;
      readonly width: number;
      readonly channels: number;
    }
  /** Encoded image files, decoded in the worker; `limits` absent = `DEFAULT_LIMITS`, links followed. */
  | { readonly kind: 'files'; readonly paths: readonly string[]; readonly limits?: ImageFileLimits }
  /** Images generated from (seed, index) on demand. */
  | {
      readonly kind: 'synthetic';
      readonly seed: number;
      readonly height: number;
      readonly width: number;
      readonly channels: number;
      readonly numClasses: number;
    };

/** How the files of a `files` source are read and decoded (set by `imageFolder`'s options). */
export interface ImageFileLimits {
  /** The most pixels per image, from its header, before decoding. */
  readonly maxImagePixels: number;
  /** The most bytes per image file read into memory. */
  readonly maxImageBytes: number;
  /** Whether a file that is a symbolic link is read (false: such a file is skipped). */
  readonly followSymlinks: boolean;
}

export interface DataSource {
  /** For messages and reports, e.g. `fashion-mnist/train (bundled subset)`. */
  readonly name: string;
  /** Number of examples. */
  readonly size: number;
  /** Class names; label k is `classNames[k]`. */
  readonly classNames: readonly string[];
  readonly numClasses: number;
  /** Integer label of each example, in [0, numClasses). */
  readonly labels: Int32Array;
  /** Channels of the stored images (files decode to 3). */
  readonly channels: number;
  /** Fixed image size of the set; undefined when images differ (image folders). */
  readonly imageSize: { readonly height: number; readonly width: number } | undefined;
  /** Mean/std used by default when the pipeline normalises. */
  readonly normalization: Normalization;
  readonly spec: SourceSpec;
}

/**
 * A copy of `bytes` in a SharedArrayBuffer (or `bytes` itself when already shared), for worker threads;
 * `bytes` itself where there is no SharedArrayBuffer (a page that is not cross-origin isolated).
 */
export function toShared(bytes: Uint8Array): Uint8Array {
  if (typeof SharedArrayBuffer === 'undefined' || bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}
