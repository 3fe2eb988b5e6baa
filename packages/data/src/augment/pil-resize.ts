/**
 * Pillow's `Image.resize` for 8-bit images (python-pillow/Pillow src/libImaging/Resample.c, the
 * same in Pillow 9.4 and later), which is what torchvision's `Resize` runs on PIL images and so
 * what timm's evaluation transform sees: an antialiased separable convolution whose kernel is
 * stretched by the downscale factor (bilinear: triangle of support 1; bicubic: Keys a = −0.5,
 * support 2), pixel-centre sampling, taps past the edge dropped and the rest renormalised;
 * coefficients rounded to 22-bit fixed point, the horizontal pass first and rounded to bytes, then
 * the vertical pass. Byte-identical to Pillow on the fixtures (scripts/make-eval-fixtures.py).
 * Differs: `window` computes only part of the output (the same bytes as resizing the whole image
 * and cropping), so a centre crop costs only the pixels it keeps.
 */
import type { ImageBuffer } from '../image-buffer.js';
import type { CropBox } from './crop.js';
import type { ResizeMethod } from './resize.js';

/** Pillow's PRECISION_BITS: 32 − 8 − 2. */
const PRECISION_BITS = 22;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);

function bilinearFilter(x: number): number {
  if (x < 0) x = -x;
  if (x < 1) return 1 - x;
  return 0;
}

function bicubicFilter(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Coefficients {
  /** Taps per output sample (the rest of its row of `weight` is zero). */
  readonly size: number;
  /** First source index of each output sample. */
  readonly first: Int32Array;
  /** Number of source samples of each output sample. */
  readonly count: Int32Array;
  /** Fixed-point weights, `size` per output sample. */
  readonly weight: Int32Array;
}

/**
 * Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for output samples `from … from + n − 1`
 * of a resize of `inSize` samples to `outSize`.
 */
function coefficients(inSize: number, outSize: number, method: ResizeMethod, from: number, n: number): Coefficients {
  const filter = method === 'bicubic' ? bicubicFilter : bilinearFilter;
  const scale = inSize / outSize;
  const filterScale = scale < 1 ? 1 : scale;
  const support = (method === 'bicubic' ? 2 : 1) * filterScale;
  const size = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(n);
  const count = new Int32Array(n);
  const weight = new Int32Array(n * size);
  const k = new Float64Array(size);
  const ss = 1 / filterScale;
  for (let i = 0; i < n; i++) {
    const center = (from + i + 0.5) * scale;
    // C's (int) truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = filter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : k[x]!;
      weight[i * size + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[i] = xmin;
    count[i] = xmax;
  }
  return { size, first, count, weight };
}

/** Pillow's clip8: the fixed-point sum to a byte (arithmetic shift, then clamp). */
function clip8(v: number): number {
  const b = v >> PRECISION_BITS;
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

/**
 * Resizes `image` to `height × width` as Pillow does (antialiased when shrinking) and returns the
 * part inside `window` (default: all of it). Returns a new image; the input is not modified.
 */
export function pilResize(
  image: ImageBuffer,
  height: number,
  width: number,
  method: ResizeMethod = 'bicubic',
  window: CropBox = { x: 0, y: 0, width, height },
): ImageBuffer {
  const c = image.channels;
  const src = image.data;
  const outW = window.width;
  const outH = window.height;
  const out = new Uint8Array(outW * outH * c);
  const vert = coefficients(image.height, height, method, window.y, outH);
  // Pillow resamples only along the axes whose size changes.
  const needH = width !== image.width;
  const needV = height !== image.height;
  // Source rows the vertical pass reads.
  const rowFirst = needV ? vert.first[0]! : window.y;
  const rowEnd = needV ? vert.first[outH - 1]! + vert.count[outH - 1]! : window.y + outH;
  const rows = rowEnd - rowFirst;
  // Horizontal pass (or a copy of the window's columns) into bytes: tmp is [rows, outW, c].
  const tmp = new Uint8Array(rows * outW * c);
  if (needH) {
    const hor = coefficients(image.width, width, method, window.x, outW);
    for (let y = 0; y < rows; y++) {
      const row = (rowFirst + y) * image.width * c;
      let t = y * outW * c;
      for (let x = 0; x < outW; x++) {
        const base = row + hor.first[x]! * c;
        const n = hor.count[x]!;
        const k0 = x * hor.size;
        for (let ch = 0; ch < c; ch++) {
          let ss = HALF;
          for (let i = 0; i < n; i++) ss += src[base + i * c + ch]! * hor.weight[k0 + i]!;
          tmp[t++] = clip8(ss);
        }
      }
    }
  } else {
    for (let y = 0; y < rows; y++) {
      const from = ((rowFirst + y) * image.width + window.x) * c;
      tmp.set(src.subarray(from, from + outW * c), y * outW * c);
    }
  }
  if (!needV) {
    out.set(tmp.subarray(0, outH * outW * c));
    return { data: out, width: outW, height: outH, channels: c };
  }
  const rowLen = outW * c;
  for (let y = 0; y < outH; y++) {
    const base = (vert.first[y]! - rowFirst) * rowLen;
    const n = vert.count[y]!;
    const k0 = y * vert.size;
    let o = y * rowLen;
    for (let i = 0; i < rowLen; i++) {
      let ss = HALF;
      for (let j = 0; j < n; j++) ss += tmp[base + j * rowLen + i]! * vert.weight[k0 + j]!;
      out[o++] = clip8(ss);
    }
  }
  return { data: out, width: outW, height: outH, channels: c };
}
