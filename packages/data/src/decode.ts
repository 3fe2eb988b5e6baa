/**
 * Image decoding through sharp (libvips, prebuilt binaries from npm): JPEG, PNG, WebP, GIF, TIFF,
 * AVIF. EXIF orientation is applied; every colour model (gray, gray+alpha, RGBA, palette, 16-bit,
 * CMYK) becomes 8-bit sRGB, alpha dropped, then the requested channel count (PIL luma for gray).
 * Truncated files fail (sharp's `failOn: 'warning'`), so the pipeline can skip them.
 *
 * Untrusted files, before any pixel is decoded: the format is recognised from its magic bytes and
 * only the six formats above reach sharp (not SVG, PDF or libvips' own formats, which sharp would
 * also open); the width and height are read from the header (sharp's `metadata()`, which parses
 * the header only) and an image over `maxImagePixels` is refused (TOO_LARGE); the decode itself
 * runs with sharp's `limitInputPixels` set to the same limit. Only the first page/frame is decoded.
 */
import type { ImageBuffer } from './image-buffer.js';
import { convertChannels } from './augment/convert-channels.js';
import { DataError, type DataErrorCode } from './errors.js';
import { DEFAULT_LIMITS, formatCount, resolveLimit } from './limits.js';
import { oneLine, quote } from './quote.js';

type SharpFactory = typeof import('sharp');

let sharpModule: Promise<SharpFactory> | undefined;

/** Loads sharp once. The pipeline calls it on the main thread before starting workers (sharp's rule for worker threads). */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => ((m as { default?: SharpFactory }).default ?? (m as unknown as SharpFactory)));
  return sharpModule;
}

export interface DecodeOptions {
  /**
   * The most pixels (width × height) the image may have, read from its header before decoding;
   * more fails with TOO_LARGE. Default `DEFAULT_LIMITS.maxImagePixels` = 89,478,485 (PIL's
   * MAX_IMAGE_PIXELS: at most 256 MiB of 8-bit RGB). Infinity turns the check off.
   */
  readonly maxImagePixels?: number;
  /** The file the bytes came from, named (quoted) in error messages. */
  readonly name?: string;
}

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';

const startsWith = (bytes: Uint8Array, at: number, ascii: string) => {
  for (let i = 0; i < ascii.length; i++) if (bytes[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
};

/** The format of encoded image bytes from their magic number, or undefined for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length < 12) return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff ? 'jpeg' : undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (startsWith(bytes, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (startsWith(bytes, 0, 'RIFF') && startsWith(bytes, 8, 'WEBP')) return 'webp';
  if (startsWith(bytes, 0, 'GIF87a') || startsWith(bytes, 0, 'GIF89a')) return 'gif';
  if (startsWith(bytes, 0, 'II*\0') || startsWith(bytes, 0, 'MM\0*') || startsWith(bytes, 0, 'II+\0') || startsWith(bytes, 0, 'MM\0+')) return 'tiff';
  if (startsWith(bytes, 4, 'ftyp')) return 'heif'; // AVIF (an ISO-BMFF / HEIF container)
  return undefined;
}

/** Why bytes were not decoded: a code and a description without the file name. */
export interface DecodeFailure {
  readonly code: DataErrorCode;
  readonly detail: string;
  readonly cause?: unknown;
}

const PIXEL_LIMIT_MESSAGE = /exceeds pixel limit/i;

/** How many leading bytes `sniffImageFormat` looks at. */
export const SNIFF_BYTES = 12;

/** BAD_IMAGE when the first bytes of a file of `size` bytes are not one of the six formats (checked before the file is read whole). */
export function formatFailure(prefix: Uint8Array, size: number): DecodeFailure | undefined {
  if (sniffImageFormat(prefix)) return undefined;
  return { code: 'BAD_IMAGE', detail: `unsupported image format (${formatCount(size)} bytes that are not JPEG, PNG, WebP, GIF, TIFF or AVIF)` };
}

/** Decodes within `maxImagePixels`, reporting a failure instead of throwing. */
export async function decodeChecked(bytes: Uint8Array, channels: 1 | 3, maxImagePixels: number): Promise<{ image: ImageBuffer } | { failure: DecodeFailure }> {
  const format = sniffImageFormat(bytes);
  if (!format) return { failure: formatFailure(bytes, bytes.length)! };
  const sharp = await loadSharp();
  const limitInputPixels = maxImagePixels === Infinity ? false : maxImagePixels;
  let width: number;
  let height: number;
  try {
    const meta = await sharp(bytes, { failOn: 'warning', limitInputPixels: false }).metadata(); // the header only
    if (meta.format !== format) {
      return { failure: { code: 'BAD_IMAGE', detail: `unsupported image format (starts like ${format}, decoder sees ${String(meta.format)})` } };
    }
    width = meta.width ?? 0;
    height = meta.pageHeight ?? meta.height ?? 0;
  } catch (error) {
    return { failure: { code: 'BAD_IMAGE', detail: `cannot read the ${format} header: ${oneLine(String((error as Error)?.message ?? error))}`, cause: error } };
  }
  if (!(width >= 1 && height >= 1)) {
    return { failure: { code: 'BAD_IMAGE', detail: `the ${format} header gives a size of ${width}×${height}` } };
  }
  if (width * height > maxImagePixels) {
    return {
      failure: {
        code: 'TOO_LARGE',
        detail: `${format} of ${width}×${height} = ${formatCount(width * height)} pixels is over the ${formatCount(maxImagePixels)}-pixel limit (maxImagePixels); pass a larger maxImagePixels if the image is trusted`,
      },
    };
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'warning', limitInputPixels })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const image: ImageBuffer = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      channels: info.channels,
    };
    return { image: convertChannels(image, channels) };
  } catch (error) {
    const message = oneLine(String((error as Error)?.message ?? error));
    if (PIXEL_LIMIT_MESSAGE.test(message)) {
      return { failure: { code: 'TOO_LARGE', detail: `${format} is over the ${formatCount(maxImagePixels)}-pixel limit (maxImagePixels) (${message}); pass a larger maxImagePixels if the image is trusted`, cause: error } };
    }
    return { failure: { code: 'BAD_IMAGE', detail: `cannot decode the ${format} data: ${message}`, cause: error } };
  }
}

/**
 * Decodes encoded image bytes to an 8-bit HWC image with 1 or 3 channels. Rejects with a DataError:
 * BAD_IMAGE when the bytes are not a decodable JPEG/PNG/WebP/GIF/TIFF/AVIF, TOO_LARGE when the
 * header declares more than `maxImagePixels` pixels (checked before decoding).
 */
export async function decodeImage(bytes: Uint8Array, channels: 1 | 3 = 3, options: DecodeOptions = {}): Promise<ImageBuffer> {
  if (!(bytes instanceof Uint8Array)) {
    throw new DataError('BAD_OPTION', `decodeImage: bytes must be a Uint8Array or Buffer of an encoded image, received ${bytes === null ? 'null' : typeof bytes}.`);
  }
  if (channels !== 1 && channels !== 3) throw new DataError('BAD_OPTION', `decodeImage: channels must be 1 or 3, received ${String(channels)}.`);
  const maxImagePixels = resolveLimit('decodeImage', 'maxImagePixels', options?.maxImagePixels ?? DEFAULT_LIMITS.maxImagePixels);
  const result = await decodeChecked(bytes, channels, maxImagePixels);
  if ('image' in result) return result.image;
  const label = options?.name === undefined ? 'image data' : quote(options.name);
  const fix = result.failure.code === 'TOO_LARGE' ? '' : '; replace or remove the file';
  throw new DataError(result.failure.code, `${label}: ${result.failure.detail}${fix}.`, result.failure.cause === undefined ? undefined : { cause: result.failure.cause });
}
