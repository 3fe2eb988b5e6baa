/**
 * Image decoding through sharp (libvips, prebuilt binaries from npm): JPEG, PNG, WebP, GIF, TIFF,
 * AVIF. EXIF orientation is applied; every colour model (gray, gray+alpha, RGBA, palette, 16-bit,
 * CMYK) becomes 8-bit sRGB, alpha dropped, then the requested channel count (PIL luma for gray).
 * Truncated files fail (sharp's `failOn: 'warning'`), so the pipeline can skip them.
 */
import type { ImageBuffer } from './image-buffer.js';
import { convertChannels } from './augment/convert-channels.js';

type SharpFactory = typeof import('sharp');

let sharpModule: Promise<SharpFactory> | undefined;

/** Loads sharp once. The pipeline calls it on the main thread before starting workers (sharp's rule for worker threads). */
export function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => ((m as { default?: SharpFactory }).default ?? (m as unknown as SharpFactory)));
  return sharpModule;
}

/** Decodes encoded image bytes to an 8-bit HWC image with 1 or 3 channels. Rejects when the bytes are not a decodable image. */
export async function decodeImage(bytes: Uint8Array, channels: 1 | 3 = 3): Promise<ImageBuffer> {
  const sharp = await loadSharp();
  const { data, info } = await sharp(bytes, { failOn: 'warning' })
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
  return convertChannels(image, channels);
}
