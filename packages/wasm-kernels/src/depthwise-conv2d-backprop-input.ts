/**
 * DepthwiseConv2dNativeBackpropInput for the wasm backend (missing upstream: tensorflow/tfjs#8474).
 * Forward, with channel multiplier m, stride s, dilation d and padding (top, left):
 *   y[n, oh, ow, c·m + q] = Σᵢⱼ x[n, oh·s + i·d − top, ow·s + j·d − left, c] · W[i, j, c, q].
 * Per channel this is a 1-channel convolution, so dX is, as for Conv2DBackpropInput, the forward
 * correlation of the output gradient U — zero-inserted by the stride and padded by (k_eff − 1 − pad),
 * k_eff = (k − 1)·d + 1 — with the 180°-rotated, still dilated filter:
 *   dX[h, c] = Σ_q Σᵢ U[h + top − i·d, c·m + q] · W[i, c, q] = Σ_q Σᵢ′ Upad[h + i′·d, c·m + q] · W[k−1−i′, c, q].
 * That is one XNNPACK depthwise convolution over the C·m channels of U with multiplier 1 (the
 * filter [kh, kw, C, m] reversed and read as [kh, kw, C·m, 1]), then — for m > 1 — a sum over q.
 * The convolution gets explicit zero padding and pad 'valid' (the wasm forward conv mishandles a
 * numeric pad with unequal strides).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backpropInfo, type ConvBackpropAttrs } from './conv-attrs.js';
import { padOrCrop } from './conv-patches.js';
import { zeroInsert } from './js-layout.js';
import { withContext } from './kernel-context.js';

export interface DepthwiseBackpropInputAttrs extends ConvBackpropAttrs {
  inputShape: [number, number, number, number];
}

export function depthwiseConv2dBackpropInputKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const { inputShape } = attrs as unknown as DepthwiseBackpropInputAttrs;
      const filterShape = filter.shape as [number, number, number, number];
      const info = backpropInfo('DepthwiseConv2dNativeBackpropInput', attrs as unknown as DepthwiseBackpropInputAttrs, inputShape, filterShape, dy.shape, true);
      const [n, oh, ow] = dy.shape as [number, number, number, number];
      const [fh, fw, c, m] = filterShape;
      return withContext(backend, backendName, (ctx) => {
        const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, inHeight, inWidth } = info;
        const effH = (fh - 1) * dh + 1;
        const effW = (fw - 1) * dw + 1;
        const up = zeroInsert(ctx, dy, sh, sw);
        // Upad must be (inHeight + effH − 1) tall for the 'valid' correlation to give inHeight rows;
        // negative amounts crop rows that only reach outside the input (as the cpu kernel skips them).
        const top = effH - 1 - info.padInfo.top;
        const left = effW - 1 - info.padInfo.left;
        const bottom = inHeight + effH - 1 - top - oh * sh;
        const right = inWidth + effW - 1 - left - ow * sw;
        const padded = padOrCrop(ctx, up, top, bottom, left, right);
        const flipped = ctx.run('Reverse', { x: filter }, { dims: [0, 1] });
        const perChannel = m === 1 ? flipped : ctx.run('Reshape', { x: flipped }, { shape: [fh, fw, c * m, 1] });
        const out = ctx.run('DepthwiseConv2dNative', { x: padded, filter: perChannel }, { strides: [1, 1], pad: 'valid', dilations: [dh, dw] });
        if (m === 1) return out;
        const split = ctx.run('Reshape', { x: out }, { shape: [n, inHeight, inWidth, c, m] });
        return ctx.run('Sum', { x: split }, { axis: [4], keepDims: false });
      });
    },
  };
}
