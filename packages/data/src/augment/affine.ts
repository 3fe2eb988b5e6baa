/**
 * The geometric ops of TF's AutoAugment (`autoaugment.py`, used by DeepMind's NFNets): an inverse
 * affine map with nearest-neighbour sampling (`ImageProjectiveTransformV2`, NEAREST) and a constant
 * fill (128) where the source falls outside the image.
 * Output pixel (x, y) reads source (a0·x + a1·y + a2, b0·x + b1·y + b2), rounded half away from 0.
 */
import type { ImageBuffer } from '../image-buffer.js';

/** [a0, a1, a2, b0, b1, b2]: the map from output to source coordinates. */
export type AffineMatrix = readonly [number, number, number, number, number, number];

const roundHalfAway = (v: number) => (v < 0 ? -Math.round(-v) : Math.round(v));

export function affineTransform(image: ImageBuffer, m: AffineMatrix, fill = 128): ImageBuffer {
  const { width: w, height: h, channels: c, data: src } = image;
  const data = new Uint8Array(src.length);
  const [a0, a1, a2, b0, b1, b2] = m;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = roundHalfAway(a0 * x + a1 * y + a2);
      const sy = roundHalfAway(b0 * x + b1 * y + b2);
      const to = (y * w + x) * c;
      if (sx >= 0 && sx < w && sy >= 0 && sy < h) {
        const from = (sy * w + sx) * c;
        for (let ch = 0; ch < c; ch++) data[to + ch] = src[from + ch]!;
      } else {
        for (let ch = 0; ch < c; ch++) data[to + ch] = fill;
      }
    }
  }
  return { ...image, data };
}

/**
 * Rotation by `degrees` counter-clockwise about the image centre ((W−1)/2, (H−1)/2), as
 * `tf.contrib.image.rotate` / `angles_to_projective_transforms`.
 */
export function rotate(image: ImageBuffer, degrees: number, fill = 128): ImageBuffer {
  const r = (degrees * Math.PI) / 180;
  const cos = Math.cos(r);
  const sin = Math.sin(r);
  const w1 = image.width - 1;
  const h1 = image.height - 1;
  const xOffset = (w1 - (cos * w1 - sin * h1)) / 2;
  const yOffset = (h1 - (sin * w1 + cos * h1)) / 2;
  return affineTransform(image, [cos, -sin, xOffset, sin, cos, yOffset], fill);
}

/** Output (x, y) reads source (x + level·y, y). */
export function shearX(image: ImageBuffer, level: number, fill = 128): ImageBuffer {
  return affineTransform(image, [1, level, 0, 0, 1, 0], fill);
}

/** Output (x, y) reads source (x, level·x + y). */
export function shearY(image: ImageBuffer, level: number, fill = 128): ImageBuffer {
  return affineTransform(image, [1, 0, 0, level, 1, 0], fill);
}

/** Moves the content `pixels` to the right (left when negative). */
export function translateX(image: ImageBuffer, pixels: number, fill = 128): ImageBuffer {
  return affineTransform(image, [1, 0, -pixels, 0, 1, 0], fill);
}

/** Moves the content `pixels` down (up when negative). */
export function translateY(image: ImageBuffer, pixels: number, fill = 128): ImageBuffer {
  return affineTransform(image, [1, 0, 0, 0, 1, -pixels], fill);
}
