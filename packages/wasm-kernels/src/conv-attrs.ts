/** The attributes tfjs passes to the four conv backprop kernels, and the geometry they imply. */
import * as tf from '@tensorflow/tfjs-core';

type Shape4 = [number, number, number, number];

/** Attributes common to Conv2DBackprop{Input,Filter} and DepthwiseConv2dNativeBackprop{Input,Filter}. */
export interface ConvBackpropAttrs {
  strides: [number, number] | number;
  /** Depthwise only; plain conv backprop kernels are never dilated in tfjs. */
  dilations?: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  /** Plain conv only; the wasm backend is NHWC. */
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The Conv2DInfo of the forward convolution a backprop kernel differentiates (x `inputShape`,
 * filter `filterShape`), after checking the layout; for depthwise kernels also checks that `dy`
 * fits it (C·m channels, the forward output size). Errors name the kernel and the shapes.
 */
export function backpropInfo(kernelName: string, attrs: ConvBackpropAttrs, inputShape: Shape4, filterShape: Shape4, dyShape: readonly number[], depthwise: boolean): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat === 'NCHW') throw new Error(`@nf/wasm-kernels: ${kernelName} supports NHWC only (the wasm backend is NHWC).`);
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, attrs.strides, depthwise ? (attrs.dilations ?? 1) : 1, attrs.pad, attrs.dimRoundingMode, depthwise, 'channelsLast');
  if (depthwise) {
    const [, , c, m] = filterShape;
    const [n, oh, ow, cm] = dyShape;
    if (cm !== c * m || n !== info.batchSize || oh !== info.outHeight || ow !== info.outWidth) {
      throw new Error(`@nf/wasm-kernels: ${kernelName} got dy ${JSON.stringify(dyShape)} for input ${JSON.stringify(inputShape)} and filter ${JSON.stringify(filterShape)}.`);
    }
  }
  return info;
}
