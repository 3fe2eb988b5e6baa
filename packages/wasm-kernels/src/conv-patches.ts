/** Explicit padding of a convolution's input so that every kernel tap reads inside it. */
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

