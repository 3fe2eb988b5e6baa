/** Explicit padding of a convolution's input so that every kernel tap reads inside it, and the
 * pad-or-crop step shared by the backprop-input kernels. */
import * as tf from '@tensorflow/tfjs-core';
import type { KernelContext } from './kernel-context.js';

export interface PaddedInput {
  padded: tf.TensorInfo;
  info: tf.backend_util.Conv2DInfo;
}

/** Pads x (NHWC) so that every tap's strided slice lies inside it. */
export function padForTaps(ctx: KernelContext, x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): PaddedInput {
  const { padInfo, outHeight, outWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, filterHeight, filterWidth, inHeight, inWidth } = info;
  const needH = (outHeight - 1) * strideHeight + (filterHeight - 1) * dilationHeight + 1;
  const needW = (outWidth - 1) * strideWidth + (filterWidth - 1) * dilationWidth + 1;
  const bottom = Math.max(0, needH - padInfo.top - inHeight);
  const right = Math.max(0, needW - padInfo.left - inWidth);
  if (padInfo.top === 0 && padInfo.left === 0 && bottom === 0 && right === 0) return { padded: x, info };
  const padded = ctx.run('PadV2', { x }, { paddings: [[0, 0], [padInfo.top, bottom], [padInfo.left, right], [0, 0]], constantValue: 0 });
  return { padded, info };
}

/** Pads (or, for negative amounts, crops) H and W of an NHWC tensor. */
export function padOrCrop(ctx: KernelContext, x: tf.TensorInfo, top: number, bottom: number, left: number, right: number): tf.TensorInfo {
  let t = x;
  const pads = [Math.max(0, top), Math.max(0, bottom), Math.max(0, left), Math.max(0, right)];
  if (pads.some((p) => p > 0)) {
    t = ctx.run('PadV2', { x: t }, { paddings: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], constantValue: 0 });
  }
  const crop = [Math.max(0, -top), Math.max(0, -bottom), Math.max(0, -left), Math.max(0, -right)];
  if (crop.some((c) => c > 0)) {
    const [n, h, w, c] = t.shape as [number, number, number, number];
    t = ctx.run('Slice', { x: t }, { begin: [0, crop[0], crop[2], 0], size: [n, h - crop[0]! - crop[1]!, w - crop[2]! - crop[3]!, c] });
  }
  return t;
}
