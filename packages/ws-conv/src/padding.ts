/**
 * Convolution padding: TensorFlow 'SAME' (asymmetric on stride 2 with an even input, the extra
 * row and column at the bottom/right: what DeepMind-trained weights expect), 'VALID', and
 * explicit [[top, bottom], [left, right]] (PyTorch's symmetric k // 2 is `symmetricPadding(k)`).
 * Reference: JAX/TF SAME; timm `layers/padding.py` `get_same_padding`.
 */
import { WsConvError } from './errors.js';

export type ExplicitPadding = readonly [readonly [number, number], readonly [number, number]];
export type Padding = 'same' | 'valid' | ExplicitPadding;

/** TF/JAX SAME padding [before, after] for one spatial dimension. */
export function samePadding(inSize: number, kernel: number, stride: number, dilation = 1): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + effective - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** PyTorch-style symmetric padding ((stride - 1) + dilation * (k - 1)) // 2 on every side, as timm's non-Same convs. */
export function symmetricPadding(kernel: number | readonly [number, number], stride = 1, dilation = 1): ExplicitPadding {
  const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
  const p = (k: number) => Math.floor((stride - 1 + dilation * (k - 1)) / 2);
  return [[p(kh), p(kh)], [p(kw), p(kw)]];
}

/** Checks a padding value and returns it in canonical form; `where` names the caller in errors. */
export function checkPadding(padding: unknown, where: string): Padding {
  if (padding === 'same' || padding === 'valid') return padding;
  const ok =
    Array.isArray(padding) &&
    padding.length === 2 &&
    padding.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => Number.isInteger(v) && v >= 0));
  if (!ok) {
    throw new WsConvError(
      'BAD_PADDING',
      `${where}: padding must be 'same', 'valid' or [[top, bottom], [left, right]] of non-negative integers, received ${JSON.stringify(padding)}.`,
    );
  }
  const [[t, b], [l, r]] = padding as number[][] as [[number, number], [number, number]];
  return [[t, b], [l, r]];
}

/** Explicit [[top, bottom], [left, right]] for a padding mode and an input size. */
export function resolvePadding(
  padding: Padding,
  inSize: readonly [number, number],
  kernel: readonly [number, number],
  strides: readonly [number, number],
  dilations: readonly [number, number],
): [[number, number], [number, number]] {
  if (padding === 'valid') return [[0, 0], [0, 0]];
  if (padding === 'same') {
    return [samePadding(inSize[0], kernel[0], strides[0], dilations[0]), samePadding(inSize[1], kernel[1], strides[1], dilations[1])];
  }
  return [[padding[0][0], padding[0][1]], [padding[1][0], padding[1][1]]];
}

/** Output size of one spatial dimension, or null when the input size is unknown. */
export function convOutputSize(
  inSize: number | null,
  kernel: number,
  stride: number,
  dilation: number,
  padding: Padding,
  axis: 0 | 1,
): number | null {
  if (inSize == null) return null;
  const [lo, hi] = resolvePadding(padding, [inSize, inSize], [kernel, kernel], [stride, stride], [dilation, dilation])[axis];
  const effective = (kernel - 1) * dilation + 1;
  return Math.floor((inSize + lo + hi - effective) / stride) + 1;
}

/** The `pad` argument of tf.conv2d / tf.depthwiseConv2d for NHWC input. */
export function toTfPad(padding: Padding): 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  if (padding === 'same' || padding === 'valid') return padding;
  return [[0, 0], [padding[0][0], padding[0][1]], [padding[1][0], padding[1][1]], [0, 0]];
}
