/**
 * Separable resampling as TensorFlow 2's `tf.image.resize` without antialiasing (the call in
 * DeepMind's nfnets/dataset.py): half-pixel centres, bicubic with Keys' kernel a = −0.5, bilinear
 * as linear interpolation with source indices clamped to the edge.
 * At the edges TF2's bicubic (resize_bicubic_op.cc, half_pixel_centers) gives taps outside the
 * image weight 0 and renormalises the rest: `edges: 'renormalize'` does that (the evaluation
 * transform uses it); the default `'clamp'` repeats the edge pixel instead, as this function always
 * did (training crops), which differs from TF in the outermost one or two rows and columns.
 * Differs: TF's bicubic looks its weights up in a 1024-entry table and returns floats; here the
 * weights are exact and the result is rounded to bytes (≤ 0.5/255 apart).
 */
import { toByte, type ImageBuffer } from '../image-buffer.js';
import type { CropBox } from './crop.js';

export type ResizeMethod = 'bicubic' | 'bilinear';

/** Bicubic taps past the edge: 'clamp' (repeat the edge pixel) or 'renormalize' (TF2: weight 0, rest rescaled). */
export type ResizeEdges = 'clamp' | 'renormalize';

/** Keys' cubic convolution kernel with a = −0.5 (Catmull–Rom). */
export function keysCubic(t: number, a = -0.5): number {
  const x = Math.abs(t);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

interface Taps {
  readonly count: number;
  readonly index: Int32Array;
  readonly weight: Float64Array;
}

/** Source indices (relative to the box start, clamped to the box) and weights per output sample. */
function taps(inSize: number, outSize: number, method: ResizeMethod, edges: ResizeEdges): Taps {
  const count = method === 'bicubic' ? 4 : 2;
  const index = new Int32Array(outSize * count);
  const weight = new Float64Array(outSize * count);
  const scale = inSize / outSize;
  const clamp = (i: number) => (i < 0 ? 0 : i >= inSize ? inSize - 1 : i);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale - 0.5;
    const base = Math.floor(centre);
    const t = centre - base;
    if (method === 'bicubic') {
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        const i = base - 1 + k;
        index[o * 4 + k] = clamp(i);
        const w = edges === 'renormalize' && clamp(i) !== i ? 0 : keysCubic(t - (k - 1));
        weight[o * 4 + k] = w;
        sum += w;
      }
      if (edges === 'renormalize' && sum !== 0) for (let k = 0; k < 4; k++) weight[o * 4 + k]! /= sum;
    } else {
      index[o * 2] = clamp(base);
      index[o * 2 + 1] = clamp(base + 1);
      weight[o * 2] = 1 - t;
      weight[o * 2 + 1] = t;
    }
  }
  return { count, index, weight };
}

/**
 * Resizes `image` (or the part of it inside `box`, as if it had been cropped first) to
 * `height × width`; `edges` as above (bicubic only). Returns a new image; the input is not modified.
 */
export function resize(
  image: ImageBuffer,
  height: number,
  width: number,
  method: ResizeMethod = 'bicubic',
  box: CropBox = { x: 0, y: 0, width: image.width, height: image.height },
  edges: ResizeEdges = 'clamp',
): ImageBuffer {
  const c = image.channels;
  const src = image.data;
  const out = new Uint8Array(height * width * c);
  if (box.width === width && box.height === height) {
    for (let y = 0; y < height; y++) {
      const from = ((box.y + y) * image.width + box.x) * c;
      out.set(src.subarray(from, from + width * c), y * width * c);
    }
    return { data: out, width, height, channels: c };
  }
  const h = taps(box.width, width, method, edges);
  const v = taps(box.height, height, method, edges);
  // Horizontal pass over the rows of the box: tmp is [box.height, width, c].
  const tmp = new Float64Array(box.height * width * c);
  const hn = h.count;
  // Source offsets of every tap, in samples from the start of a row (box.x and c folded in).
  const offset = new Int32Array(h.index.length);
  for (let i = 0; i < offset.length; i++) offset[i] = (box.x + h.index[i]!) * c;
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * image.width * c;
    let t = y * width * c;
    for (let x = 0; x < width; x++) {
      const k0 = x * hn;
      if (hn === 4) {
        const o0 = row + offset[k0]!;
        const o1 = row + offset[k0 + 1]!;
        const o2 = row + offset[k0 + 2]!;
        const o3 = row + offset[k0 + 3]!;
        const w0 = h.weight[k0]!;
        const w1 = h.weight[k0 + 1]!;
        const w2 = h.weight[k0 + 2]!;
        const w3 = h.weight[k0 + 3]!;
        for (let ch = 0; ch < c; ch++) tmp[t++] = w0 * src[o0 + ch]! + w1 * src[o1 + ch]! + w2 * src[o2 + ch]! + w3 * src[o3 + ch]!;
      } else {
        const o0 = row + offset[k0]!;
        const o1 = row + offset[k0 + 1]!;
        const w0 = h.weight[k0]!;
        const w1 = h.weight[k0 + 1]!;
        for (let ch = 0; ch < c; ch++) tmp[t++] = w0 * src[o0 + ch]! + w1 * src[o1 + ch]!;
      }
    }
  }
  // Vertical pass, straight into bytes.
  const vn = v.count;
  const rowLen = width * c;
  for (let y = 0; y < height; y++) {
    const k0 = y * vn;
    let o = y * rowLen;
    if (vn === 4) {
      const r0 = v.index[k0]! * rowLen;
      const r1 = v.index[k0 + 1]! * rowLen;
      const r2 = v.index[k0 + 2]! * rowLen;
      const r3 = v.index[k0 + 3]! * rowLen;
      const w0 = v.weight[k0]!;
      const w1 = v.weight[k0 + 1]!;
      const w2 = v.weight[k0 + 2]!;
      const w3 = v.weight[k0 + 3]!;
      for (let i = 0; i < rowLen; i++) out[o++] = toByte(w0 * tmp[r0 + i]! + w1 * tmp[r1 + i]! + w2 * tmp[r2 + i]! + w3 * tmp[r3 + i]!);
    } else {
      const r0 = v.index[k0]! * rowLen;
      const r1 = v.index[k0 + 1]! * rowLen;
      const w0 = v.weight[k0]!;
      const w1 = v.weight[k0 + 1]!;
      for (let i = 0; i < rowLen; i++) out[o++] = toByte(w0 * tmp[r0 + i]! + w1 * tmp[r1 + i]!);
    }
  }
  return { data: out, width, height, channels: c };
}
