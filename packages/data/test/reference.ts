/**
 * Independent float64 references for the tests, written from the definitions with plain loops
 * (no code shared with src/).
 */
import type { ImageBuffer } from '../src/image-buffer.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded random image. */
export function randomImage(width: number, height: number, channels: number, seed = 1): ImageBuffer {
  const rand = mulberry32(seed);
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  return { data, width, height, channels };
}

/** An image whose pixel (x, y, c) is f(x, y, c). */
export function imageOf(width: number, height: number, channels: number, f: (x: number, y: number, c: number) => number): ImageBuffer {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = f(x, y, c);
  return { data, width, height, channels };
}

/** Keys cubic, a = −0.5, from its piecewise definition. */
function cubic(d: number): number {
  const x = Math.abs(d);
  const a = -0.5;
  if (x < 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

/**
 * Resampling as a direct 2-D sum (no separability): out(x, y) = Σ_i Σ_j k(sx − i) k(sy − j) in(clamp i, clamp j)
 * with half-pixel centres sx = (x + ½)·W_in/W_out − ½, over the box [x0, x0+w) × [y0, y0+h).
 * `renormalize` instead leaves out the (i, j) outside the box and divides by the sum of the
 * remaining k·k (TF2's bicubic edges). Returns float64 values (not rounded).
 */
export function referenceResize(
  image: ImageBuffer,
  height: number,
  width: number,
  method: 'bicubic' | 'bilinear',
  box = { x: 0, y: 0, width: image.width, height: image.height },
  edges: 'clamp' | 'renormalize' = 'clamp',
): Float64Array {
  const c = image.channels;
  const out = new Float64Array(height * width * c);
  const inside = (i: number, j: number) => i >= 0 && i < box.width && j >= 0 && j < box.height;
  const kernel = method === 'bicubic' ? cubic : (d: number) => Math.max(0, 1 - Math.abs(d));
  const reach = method === 'bicubic' ? 2 : 1;
  const clampX = (i: number) => Math.min(box.width - 1, Math.max(0, i)) + box.x;
  const clampY = (j: number) => Math.min(box.height - 1, Math.max(0, j)) + box.y;
  for (let y = 0; y < height; y++) {
    const sy = ((y + 0.5) * box.height) / height - 0.5;
    for (let x = 0; x < width; x++) {
      const sx = ((x + 0.5) * box.width) / width - 0.5;
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        let total = 0;
        for (let j = Math.floor(sy) - reach + 1; j <= Math.floor(sy) + reach; j++) {
          for (let i = Math.floor(sx) - reach + 1; i <= Math.floor(sx) + reach; i++) {
            if (edges === 'renormalize' && !inside(i, j)) continue;
            const w = kernel(sx - i) * kernel(sy - j);
            sum += w * image.data[(clampY(j) * image.width + clampX(i)) * c + ch]!;
            total += w;
          }
        }
        out[(y * width + x) * c + ch] = edges === 'renormalize' ? sum / total : sum;
      }
    }
  }
  return out;
}

/**
 * Antialiased resampling (Pillow's definition, in float64 without its fixed point or its rounding
 * to bytes): along each axis the kernel is stretched by s = max(1, n_in/n_out) and centred on
 * c = (o + ½)·n_in/n_out; input pixel i (centre i + ½) has weight k((i + ½ − c)/s), normalised over
 * the pixels inside the image. Rows first, clamped to [0, 255] (Pillow keeps 8-bit samples between
 * the passes), then columns. Returns float64 values.
 */
export function referenceAntialiasedResize(image: ImageBuffer, height: number, width: number, method: 'bicubic' | 'bilinear'): Float64Array {
  const c = image.channels;
  const kernel = method === 'bicubic' ? cubic : (d: number) => Math.max(0, 1 - Math.abs(d));
  const weights = (inSize: number, outSize: number): Float64Array[] => {
    const scale = inSize / outSize;
    const stretch = Math.max(1, scale);
    return Array.from({ length: outSize }, (_, o) => {
      const centre = (o + 0.5) * scale;
      const w = Float64Array.from({ length: inSize }, (_, i) => kernel((i + 0.5 - centre) / stretch));
      const sum = w.reduce((a, b) => a + b, 0);
      return w.map((v) => v / sum);
    });
  };
  const wx = weights(image.width, width);
  const wy = weights(image.height, height);
  const rows = new Float64Array(image.height * width * c);
  for (let j = 0; j < image.height; j++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let i = 0; i < image.width; i++) sum += wx[x]![i]! * image.data[(j * image.width + i) * c + ch]!;
        rows[(j * width + x) * c + ch] = Math.min(255, Math.max(0, sum));
      }
    }
  }
  const out = new Float64Array(height * width * c);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let ch = 0; ch < c; ch++) {
        let sum = 0;
        for (let j = 0; j < image.height; j++) sum += wy[y]![j]! * rows[(j * width + x) * c + ch]!;
        out[(y * width + x) * c + ch] = sum;
      }
    }
  }
  return out;
}
