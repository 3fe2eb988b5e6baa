/**
 * Conv2DBackpropFilter for the wasm backend (missing upstream: tensorflow/tfjs#8474).
 * dW[i, j, ci, co] = Σ_{n,oh,ow} xpad[n, oh·s + i, ow·s + j, ci] · dy[n, oh, ow, co] is itself a
 * convolution: with the batch and channel axes swapped — input xpadᵀ [ci, H, W, n], filter dyᵀ
 * [outH, outW, n, co], dilation = the forward stride — one XNNPACK convolution gives [ci, kh, kw, co].
 * Same FLOPs as the forward pass and three kernel calls, where a per-tap product costs kh·kw calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import { padForTaps } from './conv-patches.js';
import { withContext } from './kernel-context.js';

export function conv2dBackpropFilterKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
        strides: [number, number] | number;
        pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
        dataFormat: 'NHWC' | 'NCHW';
        dimRoundingMode?: 'floor' | 'round' | 'ceil';
        filterShape: [number, number, number, number];
      };
      if (dataFormat === 'NCHW') throw new Error('@nf/wasm-kernels: Conv2DBackpropFilter supports NHWC only (the wasm backend is NHWC).');
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast');
      return withContext(backend, backendName, (ctx) => {
        const [fh, fw] = filterShape;
        const { padded } = padForTaps(ctx, x, info);
        // Keep exactly the rows and columns the taps read, so the VALID convolution yields kh × kw.
        const needH = (info.outHeight - 1) * info.strideHeight + fh;
        const needW = (info.outWidth - 1) * info.strideWidth + fw;
        const [n, hp, wp, cin] = padded.shape as [number, number, number, number];
        const cropped = hp === needH && wp === needW ? padded : ctx.run('Slice', { x: padded }, { begin: [0, 0, 0, 0], size: [n, needH, needW, cin] });
        const xT = ctx.run('Transpose', { x: cropped }, { perm: [3, 1, 2, 0] });
        const dyT = ctx.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
        const out = ctx.run('Conv2D', { x: xT, filter: dyT }, {
          strides: [1, 1],
          pad: 'valid',
          dataFormat: 'NHWC',
          dilations: [info.strideHeight, info.strideWidth],
        });
        return ctx.run('Transpose', { x: out }, { perm: [1, 2, 0, 3] });
      });
    },
  };
}
