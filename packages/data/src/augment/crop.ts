/** Rectangular crops in integer pixels. */
import type { ImageBuffer } from '../image-buffer.js';

/** A rectangle inside an image: top-left corner (x, y) and size, in pixels. */
export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The pixels inside `box` (which must lie inside the image) as a new image. */
export function crop(image: ImageBuffer, box: CropBox): ImageBuffer {
  const { width: w, channels: c } = image;
  const rowBytes = box.width * c;
  const data = new Uint8Array(box.height * rowBytes);
  for (let y = 0; y < box.height; y++) {
    const from = ((box.y + y) * w + box.x) * c;
    data.set(image.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { data, width: box.width, height: box.height, channels: c };
}

/**
 * The centred `cropHeight × cropWidth` box of an `height × width` image. Odd margins put the extra
 * pixel at the top/left (offset `(H − h + 1) // 2`, as DeepMind's `_decode_and_center_crop`).
 */
export function centerCropBox(height: number, width: number, cropHeight: number, cropWidth: number): CropBox {
  const h = Math.min(cropHeight, height);
  const w = Math.min(cropWidth, width);
  return { x: (width - w + 1) >> 1, y: (height - h + 1) >> 1, width: w, height: h };
}

/** The centred crop of the given size (clamped to the image). */
export function centerCrop(image: ImageBuffer, cropHeight: number, cropWidth: number): ImageBuffer {
  return crop(image, centerCropBox(image.height, image.width, cropHeight, cropWidth));
}
