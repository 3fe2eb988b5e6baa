/**
 * DepthwiseConv2dNativeBackpropFilter for the wasm backend (missing upstream: tensorflow/tfjs#8474).
 * Forward, with channel multiplier m, stride s, dilation d and xpad the zero-padded input:
 *   y[n, oh, ow, c·m + q] = Σᵢⱼ xpad[n, oh·s + i·d, ow·s + j·d, c] · W[i, j, c, q],
 * so
 *   dW[i, j, c, q] = Σ_{n, oh, ow} xpad[n, i·d + oh·s, j·d + ow·s, c] · dy[n, oh, ow, c·m + q].
 * For each pair g = (n, c) the inner sum over (oh, ow) is a correlation of xpad[n, :, :, c] with
 * dy[n, :, :, c·m + q] as the kernel, taken with stride d and dilation s. Folding the batch into the
 * channels turns all of them into one XNNPACK depthwise convolution:
 *   input  xpadᵀ [1, Hp, Wp, N·C]   (xpad transposed to [Hp, Wp, N, C]),
 *   filter dyᵀ   [OH, OW, N·C, m]   (dy transposed to [OH, OW, N, C·m]),
 *   strides = d, dilations = s, pad 'valid'  →  [1, kh, kw, N·C·m],
 * then a sum over n gives [kh, kw, C, m]. xpad is padded explicitly and cropped to exactly the rows
 * and columns the taps read, (OH − 1)·s + (kh − 1)·d + 1, so the 'valid' output is kh × kw.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backpropInfo, type ConvBackpropAttrs } from './conv-attrs.js';
import { padForTaps } from './conv-patches.js';
import { transposeJs } from './js-layout.js';
import { withContext } from './kernel-context.js';

export interface DepthwiseBackpropFilterAttrs extends ConvBackpropAttrs {
  filterShape: [number, number, number, number];
}

export function depthwiseConv2dBackpropFilterKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { filterShape } = attrs as unknown as DepthwiseBackpropFilterAttrs;
      const info = backpropInfo('DepthwiseConv2dNativeBackpropFilter', attrs as unknown as DepthwiseBackpropFilterAttrs, x.shape as [number, number, number, number], filterShape, dy.shape, true);
      const [fh, fw, c, m] = filterShape;
      const [n, oh, ow] = dy.shape as [number, number, number, number];
      return withContext(backend, backendName, (ctx) => {
        const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
        const { padded } = padForTaps(ctx, x, info);
        const needH = (oh - 1) * sh + (fh - 1) * dh + 1;
        const needW = (ow - 1) * sw + (fw - 1) * dw + 1;
        const [, hp, wp] = padded.shape as [number, number, number, number];
        const cropped = hp === needH && wp === needW ? padded : ctx.run('Slice', { x: padded }, { begin: [0, 0, 0, 0], size: [n, needH, needW, c] });
        // With N = 1 both transposes move only a unit axis: a reshape does.
        const xT = n === 1 ? cropped : transposeJs(ctx, cropped, [1, 2, 0, 3]);
        const input = ctx.run('Reshape', { x: xT }, { shape: [1, needH, needW, n * c] });
        const dyT = n === 1 ? dy : transposeJs(ctx, dy, [1, 2, 0, 3]);
        const kernel = ctx.run('Reshape', { x: dyT }, { shape: [oh, ow, n * c, m] });
        const out = ctx.run('DepthwiseConv2dNative', { x: input, filter: kernel }, { strides: [dh, dw], pad: 'valid', dilations: [sh, sw] });
        if (n === 1) return ctx.run('Reshape', { x: out }, { shape: [fh, fw, c, m] });
        const perBatch = ctx.run('Reshape', { x: out }, { shape: [fh * fw, n, c * m] });
        const summed = ctx.run('Sum', { x: perBatch }, { axis: [1], keepDims: false });
        return ctx.run('Reshape', { x: summed }, { shape: [fh, fw, c, m] });
      });
    },
  };
}
