/**
 * Images for the report's "misclassified examples": raw 8-bit pixels (a raster dataset's
 * [H, W, C] bytes, as @nf/data's raster sources hold them) encoded as PNG data URLs, and a pick of a
 * few misclassified test images that spreads over the most frequent confusions.
 */
import { deflateSync } from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A PNG of 8-bit pixels in [H, W, C] order (C = 1 grey, 3 RGB, 4 RGBA). */
export function encodePng(pixels: ArrayLike<number>, width: number, height: number, channels: 1 | 3 | 4): Buffer {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`encodePng: bad size ${width}×${height}`);
  if (pixels.length < width * height * channels) throw new Error(`encodePng: ${pixels.length} values for ${width}×${height}×${channels}`);
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter: none
    for (let i = 0; i < stride; i++) raw[y * (stride + 1) + 1 + i] = pixels[y * stride + i]!;
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** `data:image/png;base64,…` of the pixels. */
export function pngDataUrl(pixels: ArrayLike<number>, width: number, height: number, channels: 1 | 3 | 4): string {
  return `data:image/png;base64,${encodePng(pixels, width, height, channels).toString('base64')}`;
}

/** A misclassified test image for the report. */
export interface MisclassifiedExample {
  /** The image as a PNG data URL (`data:image/png;base64,…`); anything else is not shown. */
  image: string;
  /** True class (index into the report's class names). */
  label: number;
  /** Predicted class. */
  predicted: number;
  /** The model's probability for the predicted class, when known. */
  confidence?: number;
  /** The example's index in the test set, when known. */
  index?: number;
}

/** 8-bit [H, W, C] pixels of one image. */
export interface Pixels {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/**
 * The positions of up to `count` misclassified examples: one of each (true, predicted) pair in turn, the
 * most frequent pairs first (then by test-set order), so a few images show the typical mistakes rather
 * than 8 of the same one.
 */
export function chooseMisclassified(labels: ArrayLike<number>, predicted: ArrayLike<number>, count = 8): number[] {
  const pairs = new Map<string, number[]>();
  for (let i = 0; i < Math.min(labels.length, predicted.length); i++) {
    if (labels[i] === predicted[i]) continue;
    const key = `${labels[i]},${predicted[i]}`;
    const list = pairs.get(key) ?? [];
    list.push(i);
    pairs.set(key, list);
  }
  const lists = [...pairs.values()].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const chosen: number[] = [];
  for (let round = 0; chosen.length < count && lists.some((l) => l.length > round); round++) {
    for (const l of lists) if (l.length > round && chosen.length < count) chosen.push(l[round]!);
  }
  return chosen;
}
