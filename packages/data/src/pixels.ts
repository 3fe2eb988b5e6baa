/**
 * Images a page already has — `ImageData`, a canvas, an `ImageBitmap`, an `<img>` or `<video>`, a
 * `VideoFrame` — as the package's `ImageBuffer` (8-bit HWC), with the decoder's rules (decode.ts):
 * sRGB, alpha dropped (not composited), RGB or PIL luma for one channel. The types are structural, so
 * this module needs no DOM typings and runs (tested) in Node with objects of the same shape.
 */
import { convertChannels } from './augment/convert-channels.js';
import { DataError } from './errors.js';
import type { ImageBuffer } from './image-buffer.js';

/** What `ImageData` holds: RGBA bytes, row by row. */
export interface ImageDataLike {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
  /** 'srgb' (the default) or 'display-p3'. */
  readonly colorSpace?: string;
}

interface Context2dLike {
  getImageData(x: number, y: number, width: number, height: number, settings?: { colorSpace?: string }): ImageDataLike;
  drawImage?(source: unknown, x: number, y: number): void;
}

/** A canvas (`HTMLCanvasElement`, `OffscreenCanvas`). */
export interface CanvasLike {
  readonly width: number;
  readonly height: number;
  getContext(id: '2d', options?: { willReadFrequently?: boolean }): unknown;
}

/** Anything a 2D canvas can draw: `ImageBitmap`, `HTMLImageElement`, `HTMLVideoElement`, `VideoFrame`, a canvas. */
export interface DrawableLike {
  readonly width?: number;
  readonly height?: number;
  readonly naturalWidth?: number;
  readonly naturalHeight?: number;
  readonly videoWidth?: number;
  readonly videoHeight?: number;
  readonly displayWidth?: number;
  readonly displayHeight?: number;
}

function checkChannels(owner: string, channels: unknown): asserts channels is 1 | 3 {
  if (channels !== 1 && channels !== 3) throw new DataError('BAD_OPTION', `${owner}: channels must be 1 or 3, received ${String(channels)}.`);
}

/**
 * An `ImageData` (or `{ data, width, height }` of RGBA bytes) as an 8-bit image of `channels` (3: RGB,
 * alpha dropped; 1: PIL luma). The bytes are copied. Display-P3 data is refused: read it with
 * `getImageData(x, y, w, h, { colorSpace: 'srgb' })`.
 */
export function imageFromImageData(imageData: ImageDataLike, channels: 1 | 3 = 3): ImageBuffer {
  const owner = 'imageFromImageData';
  checkChannels(owner, channels);
  if (typeof imageData !== 'object' || imageData === null || !(imageData.data instanceof Uint8ClampedArray || imageData.data instanceof Uint8Array)) {
    throw new DataError('BAD_OPTION', `${owner}: expected an ImageData ({ data: RGBA bytes, width, height }), received ${imageData === null ? 'null' : typeof imageData}.`);
  }
  const { width, height, data } = imageData;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new DataError('BAD_OPTION', `${owner}: width and height must be positive integers, received ${String(width)}×${String(height)}.`);
  }
  if (data.length !== width * height * 4) {
    throw new DataError('BAD_OPTION', `${owner}: a ${width}×${height} ImageData holds ${width * height * 4} RGBA bytes, received ${data.length}; pass the ImageData of the whole image.`);
  }
  if (imageData.colorSpace !== undefined && imageData.colorSpace !== 'srgb') {
    throw new DataError('BAD_OPTION', `${owner}: the ImageData is in ${JSON.stringify(imageData.colorSpace)}, not sRGB; read it with getImageData(x, y, w, h, { colorSpace: 'srgb' }).`);
  }
  const rgba = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return convertChannels({ data: rgba, width, height, channels: 4 }, channels);
}

function sizeOf(source: DrawableLike): [number, number] {
  const pairs: Array<[number | undefined, number | undefined]> = [
    [source.naturalWidth, source.naturalHeight],
    [source.videoWidth, source.videoHeight],
    [source.displayWidth, source.displayHeight],
    [source.width, source.height],
  ];
  for (const [w, h] of pairs) if (typeof w === 'number' && typeof h === 'number' && w > 0 && h > 0) return [w, h];
  return [0, 0];
}

function context2d(canvas: CanvasLike): Context2dLike | undefined {
  const context = canvas.getContext('2d', { willReadFrequently: true }) as Context2dLike | null;
  return context && typeof context.getImageData === 'function' ? context : undefined;
}

/** A 2D canvas of the given size: an `OffscreenCanvas`, else one from `document`. */
function scratchCanvas(width: number, height: number): CanvasLike | undefined {
  const g = globalThis as { OffscreenCanvas?: new (w: number, h: number) => CanvasLike; document?: { createElement(tag: string): CanvasLike & { width: number; height: number } } };
  if (typeof g.OffscreenCanvas === 'function') return new g.OffscreenCanvas(width, height);
  if (g.document && typeof g.document.createElement === 'function') {
    const canvas = g.document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }
  return undefined;
}

/**
 * The pixels of a canvas (its 2D context's, read in sRGB) or of anything a canvas can draw — an
 * `ImageBitmap`, `<img>`, `<video>`, `VideoFrame`, a WebGL canvas — drawn at its own size onto a scratch
 * `OffscreenCanvas` (or a `document` canvas), as an 8-bit image of `channels` (3: RGB, alpha dropped;
 * 1: PIL luma). An `ImageData` goes to `imageFromImageData` directly.
 */
export function imageFromCanvas(source: CanvasLike | DrawableLike | ImageDataLike, channels: 1 | 3 = 3): ImageBuffer {
  const owner = 'imageFromCanvas';
  checkChannels(owner, channels);
  if (typeof source !== 'object' || source === null) {
    throw new DataError('BAD_OPTION', `${owner}: expected a canvas, an ImageBitmap, an image or video element, a VideoFrame or an ImageData, received ${source === null ? 'null' : typeof source}.`);
  }
  if ('data' in source && (source.data instanceof Uint8ClampedArray || source.data instanceof Uint8Array)) return imageFromImageData(source as ImageDataLike, channels);
  const [width, height] = sizeOf(source as DrawableLike);
  if (width < 1 || height < 1) {
    throw new DataError('BAD_OPTION', `${owner}: the source has no pixels (width × height ${width}×${height}); wait until the image or video has loaded.`);
  }
  const own = typeof (source as CanvasLike).getContext === 'function' ? context2d(source as CanvasLike) : undefined;
  if (own) return imageFromImageData(own.getImageData(0, 0, width, height, { colorSpace: 'srgb' }), channels);
  const scratch = scratchCanvas(width, height);
  const context = scratch && context2d(scratch);
  if (!context || typeof context.drawImage !== 'function') {
    throw new DataError('BAD_OPTION', `${owner}: drawing this source needs an OffscreenCanvas or a document (a browser or a worker); elsewhere pass its pixels as an ImageData ({ data, width, height }).`);
  }
  context.drawImage(source, 0, 0);
  return imageFromImageData(context.getImageData(0, 0, width, height, { colorSpace: 'srgb' }), channels);
}
