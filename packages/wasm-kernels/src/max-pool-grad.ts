/**
 * MaxPoolGrad for the wasm backend in JavaScript, straight on the heap: per output position the
 * window is scanned once for all channels (channels innermost, as NHWC lays them out), keeping each
 * channel's first maximum, then dy is added at those positions. Upstream's C++ kernel ran at
 * ~26 ns per input element (NF-ResNet-26's stem pool at batch 16: 27 ms of a ~1 s step).
 * Same rule as the cpu backend: the first strictly larger value wins, a window without one (all
 * NaN or −∞) passes nothing. Float32 and dilation 1 only; the rest goes to upstream.
 */
import * as tf from '@tensorflow/tfjs-core';
import { withContext } from './kernel-context.js';
import { wrapKernel } from './wrap-kernel.js';

interface PoolAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function maxPoolGradKernel(backendName: string, upstream: tf.KernelConfig): tf.KernelConfig {
  return wrapKernel('MaxPoolGrad', backendName, upstream, (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as PoolAttrs;
    if (input.dtype !== 'float32' || dy.dtype !== 'float32' || input.shape.length !== 4) return undefined;
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
    return withContext(args.backend, backendName, (ctx) => {
      const { info: out, values: dx } = ctx.output([...input.shape]);
      // Views of the heap die when it grows: read the inputs only after allocating.
      maxPoolBackprop(ctx.values(input), ctx.values(dy), dx, info);
      return out;
    });
  });
}

/** dx = 0, then dy added at each window's first maximum (see the module comment). */
export function maxPoolBackprop(x: Float32Array, dy: Float32Array, dx: Float32Array, info: tf.backend_util.Conv2DInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - top;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - left;
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let wy = Math.max(0, -y0); wy < fh && y0 + wy < h; wy++) {
          for (let wx = Math.max(0, -x0); wx < fw && x0 + wx < w; wx++) {
            const base = ((b * h + y0 + wy) * w + x0 + wx) * c;
            for (let k = 0; k < c; k++) {
              const v = x[base + k]!;
              if (v > best[k]!) {
                best[k] = v;
                where[k] = base + k;
              }
            }
          }
        }
        const d = ((b * oh + oy) * ow + ox) * c;
        for (let k = 0; k < c; k++) {
          const at = where[k]!;
          if (at >= 0) dx[at] = dx[at]! + dy[d + k]!;
        }
      }
    }
  }
}
