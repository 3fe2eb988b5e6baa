/**
 * Grouped 2-D convolution for TensorFlow.js, which has none (tensorflow/tfjs#3900).
 * groups = 1: one tf.conv2d. groups = in channels with one input channel per group: the depthwise
 * kernel (a [kh, kw, 1, in·m] kernel is exactly a depthwise [kh, kw, in, m] one). In between: the
 * input channels and the filters are split into `groups` slices, each pair convolved, the results
 * concatenated — exact, differentiable, and G times fewer FLOPs than the block-diagonal dense
 * kernel (which would also corrupt WS and AGC statistics).
 * Layouts: x NHWC, w [kh, kw, in/groups, out]; output channel o belongs to group o / (out/groups),
 * as in PyTorch's and JAX's `feature_group_count`.
 * Where the backend offers a grouped-convolution kernel trio (GROUPED_CONV_KERNEL and its two
 * gradient kernels, e.g. @nf/onednn on wasm) the in-between case is one kernel call instead of the
 * split, `groups` convolutions and the concatenation (and their gradients).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendHasKernels } from './backend-kernels.js';
import { WsConvError } from './errors.js';
import { checkPadding, resolvePadding, toTfPad, type Padding } from './padding.js';

export interface GroupedConv2dOptions {
  strides?: number | readonly [number, number];
  padding?: Padding;
  dilations?: number | readonly [number, number];
  groups?: number;
}

export function pair(v: number | readonly [number, number] | undefined, fallback: number): [number, number] {
  if (v === undefined) return [fallback, fallback];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Checks channel/group arithmetic; `where` names the caller (a layer name) in errors. */
export function checkGroups(inChannels: number, outChannels: number, kernelIn: number, groups: number, where: string): void {
  if (!Number.isInteger(groups) || groups < 1) {
    throw new WsConvError('BAD_GROUPS', `${where}: groups must be an integer >= 1, received ${String(groups)}.`);
  }
  if (inChannels % groups !== 0) {
    throw new WsConvError('BAD_GROUPS', `${where}: ${inChannels} input channels are not divisible by groups=${groups}; choose groups dividing ${inChannels}.`);
  }
  if (outChannels % groups !== 0) {
    throw new WsConvError('BAD_GROUPS', `${where}: ${outChannels} filters are not divisible by groups=${groups}; choose filters as a multiple of ${groups}.`);
  }
  if (kernelIn * groups !== inChannels) {
    throw new WsConvError(
      'BAD_SHAPE',
      `${where}: kernel in-channels ${kernelIn} × groups ${groups} = ${kernelIn * groups} but the input has ${inChannels} channels; the kernel must be [kh, kw, ${inChannels / groups}, out].`,
    );
  }
}

/** Grouped convolution, NHWC. See the module comment for the strategy per group count. */
export function groupedConv2d(x: tf.Tensor, w: tf.Tensor, options: GroupedConv2dOptions = {}): tf.Tensor4D {
  const where = 'groupedConv2d';
  if (x.rank !== 4) throw new WsConvError('BAD_SHAPE', `${where}: input must be NHWC (rank 4), received shape [${x.shape.join(', ')}].`);
  if (w.rank !== 4) throw new WsConvError('BAD_SHAPE', `${where}: kernel must be [kh, kw, in/groups, out] (rank 4), received shape [${w.shape.join(', ')}].`);
  const groups = options.groups ?? 1;
  const strides = pair(options.strides, 1);
  const dilations = pair(options.dilations, 1);
  const padding = checkPadding(options.padding ?? 'same', where);
  const inChannels = x.shape[3]!;
  const [kh, kw, kernelIn, out] = w.shape as [number, number, number, number];
  checkGroups(inChannels, out, kernelIn, groups, where);
  if ((strides[0] > 1 || strides[1] > 1) && (dilations[0] > 1 || dilations[1] > 1)) {
    throw new WsConvError('BAD_OPTION', `${where}: tfjs cannot combine strides ${JSON.stringify(strides)} with dilations ${JSON.stringify(dilations)}; one of them must be 1.`);
  }
  if (padding === 'valid') {
    const [h, wd] = [x.shape[1]!, x.shape[2]!];
    if ((kh - 1) * dilations[0] + 1 > h || (kw - 1) * dilations[1] + 1 > wd) {
      throw new WsConvError('KERNEL_TOO_LARGE', `${where}: a ${kh}×${kw} kernel (dilation ${dilations.join('×')}) does not fit a ${h}×${wd} input with 'valid' padding; use 'same' padding or a larger input.`);
    }
  }
  if (dilations[0] > 1 || dilations[1] > 1) return dilatedConv2d(x as tf.Tensor4D, w as tf.Tensor4D, padding, dilations, groups);
  return convGroups(x as tf.Tensor4D, w as tf.Tensor4D, strides, toTfPad(padding), groups);
}

/**
 * `groupedConv2d(x, w, options)` plus a bias [out] (what GroupedConv2D and WSConv2D compute). On the
 * split path (1 < groups < in channels, no dilation, no backend grouped-conv kernel) the bias add is
 * part of the one taped op (see `splitGroupsConv`); elsewhere it is `tf.add` after the convolution.
 */
export function groupedConv2dBias(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | undefined, options: GroupedConv2dOptions = {}): tf.Tensor4D {
  const groups = options.groups ?? 1;
  const dilations = pair(options.dilations, 1);
  const inChannels = x.shape[3];
  const split = bias !== undefined && x.rank === 4 && w.rank === 4 && groups > 1 && groups !== inChannels && dilations[0] === 1 && dilations[1] === 1
    && bias.rank === 1 && bias.size === w.shape[3] && !(x.dtype === 'float32' && w.dtype === 'float32' && hasGroupedConvKernels());
  if (!split) {
    const y = groupedConv2d(x, w, options);
    return bias === undefined ? y : (tf.add(y, bias) as tf.Tensor4D);
  }
  // The checks of groupedConv2d (shapes, groups, padding) run on the untaped forward, first.
  const where = 'groupedConv2d';
  const padding = checkPadding(options.padding ?? 'same', where);
  checkGroups(inChannels!, w.shape[3]!, w.shape[2]!, groups, where);
  if (padding === 'valid') {
    const [kh, kw] = w.shape as [number, number];
    if (kh > x.shape[1]! || kw > x.shape[2]!) return groupedConv2d(x, w, options);
  }
  return splitGroupsConv(x as tf.Tensor4D, w as tf.Tensor4D, bias, pair(options.strides, 1), toTfPad(padding), groups);
}

/**
 * Dilated convolution as TensorFlow builds atrous convs: pad, space-to-batch by the dilation,
 * an undilated VALID convolution, batch-to-space. Every step has a gradient in tfjs, whereas
 * tfjs's own conv2d/depthwise gradients reject dilations > 1.
 */
function dilatedConv2d(x: tf.Tensor4D, w: tf.Tensor4D, padding: Padding, dilations: [number, number], groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = w.shape;
    const [[top, bottom], [left, right]] = resolvePadding(padding, [x.shape[1], x.shape[2]], [kh, kw], [1, 1], dilations);
    const padded = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]]);
    const [hp, wp] = [padded.shape[1], padded.shape[2]];
    const extra: [number, number] = [(dilations[0] - (hp % dilations[0])) % dilations[0], (dilations[1] - (wp % dilations[1])) % dilations[1]];
    const blocks = tf.spaceToBatchND(padded, dilations, [[0, extra[0]], [0, extra[1]]]);
    const y = convGroups(blocks, w, [1, 1], 'valid', groups);
    return tf.batchToSpaceND(y, dilations, [[0, extra[0]], [0, extra[1]]]);
  });
}

type TfPad = ReturnType<typeof toTfPad>;

/** Optional backend kernels: a grouped convolution (inputs x, filter) and its gradients. */
export const GROUPED_CONV_KERNEL = 'NfGroupedConv2D';
export const GROUPED_CONV_INPUT_GRAD_KERNEL = 'NfGroupedConv2DBackpropInput';
export const GROUPED_CONV_FILTER_GRAD_KERNEL = 'NfGroupedConv2DBackpropFilter';

/**
 * Attributes of the grouped-conv kernels: tf.conv2d's (NHWC, no dilation) plus `groups`; the
 * gradient kernels also get `inputShape` / `filterShape`.
 */
export interface GroupedConvAttrs {
  strides: [number, number];
  pad: TfPad;
  groups: number;
}

/** Gradient of GROUPED_CONV_KERNEL through the backend's two gradient kernels. */
export const GROUPED_CONV_GRADIENT: tf.GradConfig = {
  kernelName: GROUPED_CONV_KERNEL,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const a = attrs as unknown as GroupedConvAttrs;
    const base = { strides: a.strides, pad: a.pad, groups: a.groups } as unknown as tf.NamedAttrMap;
    return {
      x: () => tf.engine().runKernel(GROUPED_CONV_INPUT_GRAD_KERNEL, { dy: dy as tf.Tensor, filter }, { ...base, inputShape: x.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () => tf.engine().runKernel(GROUPED_CONV_FILTER_GRAD_KERNEL, { x, dy: dy as tf.Tensor }, { ...base, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as tf.Tensor,
    };
  },
};

/** True when the current backend has the grouped-convolution kernel and both its gradients. */
export function hasGroupedConvKernels(): boolean {
  return backendHasKernels(GROUPED_CONV_KERNEL, GROUPED_CONV_INPUT_GRAD_KERNEL, GROUPED_CONV_FILTER_GRAD_KERNEL);
}

function convGroups(x4: tf.Tensor4D, w: tf.Tensor4D, strides: [number, number], pad: TfPad, groups: number): tf.Tensor4D {
  const inChannels = x4.shape[3];
  const [kh, kw, , out] = w.shape;
  const dilations: [number, number] = [1, 1];
  return tf.tidy((): tf.Tensor4D => {
    if (groups === 1) return tf.conv2d(x4, w as tf.Tensor4D, strides, pad, 'NHWC', dilations) as tf.Tensor4D;
    if (groups === inChannels) {
      const depthwise = tf.reshape(w, [kh, kw, inChannels, out / inChannels]) as tf.Tensor4D;
      return tf.depthwiseConv2d(x4, depthwise, strides, pad, 'NHWC', dilations) as tf.Tensor4D;
    }
    if (x4.dtype === 'float32' && w.dtype === 'float32' && hasGroupedConvKernels()) {
      const attrs: GroupedConvAttrs = { strides, pad, groups };
      return tf.engine().runKernel(GROUPED_CONV_KERNEL, { x: x4, filter: w }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
    return splitGroupsConv(x4, w, undefined, strides, pad, groups);
  });
}

/**
 * The split path of a grouped convolution (plus an optional bias [out]) as one op on the tape
 * (tf.customGrad): the forward's reshapes, transpose, split, `groups` convolutions, concatenation
 * and bias add run untaped, the `groups` input and kernel slices are the only tensors kept, and the
 * backward is one split of dy, the two conv gradients per group, two concatenations and Σ dy for the
 * bias. Through autodiff the same computation cost ~7 + 7·groups kernel calls forward (each taped
 * kernel also clones the inputs its gradient keeps) and ~8 + 4·groups backward. The numbers are the
 * same bit for bit: the backward runs the very kernels tfjs's gradients of conv2d and add run
 * (conv2DBackpropInput / conv2DBackpropFilter per group, Σ dy over N, H, W), and everything else
 * there (the gradients of split, transpose, reshape and concat) only moves values, which one
 * concatenation along the channels does directly. Unlike autodiff it always computes the input's
 * gradient (a grouped conv is never a network's first layer).
 */
function splitGroupsConv(x4: tf.Tensor4D, w: tf.Tensor4D, bias: tf.Tensor | undefined, strides: [number, number], pad: TfPad, groups: number): tf.Tensor4D {
  const hasBias = bias !== undefined;
  const forward = (...args: unknown[]) => {
    const [xIn, wIn] = args as [tf.Tensor4D, tf.Tensor4D];
    const save = args[args.length - 1] as (tensors: tf.Tensor[]) => void;
    const xs = splitLastAxis(xIn, groups);
    const ws = splitLastAxis(wIn, groups);
    save([...xs, ...ws]);
    const y = tf.concat(xs.map((xi, i) => tf.conv2d(xi, ws[i]!, strides, pad, 'NHWC', [1, 1])), 3) as tf.Tensor4D;
    return {
      value: hasBias ? (tf.add(y, args[2] as tf.Tensor) as tf.Tensor4D) : y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const xsSaved = saved.slice(0, groups) as tf.Tensor4D[];
        const wsSaved = saved.slice(groups) as tf.Tensor4D[];
        const dys = tf.split(dy as tf.Tensor4D, groups, 3);
        // tfjs's conv2d gradient: these two kernels with these attributes (tfjs-core conv2DGradConfig).
        const attrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
        const dx = tf.concat(dys.map((d, i) => tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: d, filter: wsSaved[i]! }, { ...attrs, inputShape: xsSaved[i]!.shape } as unknown as tf.NamedAttrMap) as tf.Tensor), 3);
        const dw = tf.concat(dys.map((d, i) => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x: xsSaved[i]!, dy: d }, { ...attrs, filterShape: wsSaved[i]!.shape } as unknown as tf.NamedAttrMap) as tf.Tensor), 3);
        return hasBias ? [dx, dw, tf.sum(dy, [0, 1, 2])] : [dx, dw];
      },
    };
  };
  const f = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return (hasBias ? f(x4, w, bias!) : f(x4, w)) as tf.Tensor4D;
}

/**
 * Splits a rank-4 tensor into `groups` equal parts along its last axis. `tf.split` there is a
 * strided slice, which the cpu backend runs element by element (620 ms for one F0 stage-3
 * kernel); viewing the tensor as [rows, groups, width] and moving the group axis first turns the
 * split into contiguous slices after one transpose (53 ms on cpu). That is the cpu route only.
 */
function splitLastAxis(t: tf.Tensor4D, groups: number): tf.Tensor4D[] {
  // Elsewhere one SplitV on the last axis (one kernel call instead of 3 + groups; on wasm also 7–50×
  // faster than the transpose route: 0.9 vs 44 ms for an F0 stage-3 kernel, 0.5 vs 4 ms for a tiny
  // NFNet activation, 2026-12-07). The same values either way: a split only moves them.
  if (tf.getBackend() !== 'cpu') return tf.split(t, groups, 3) as tf.Tensor4D[];
  const [a, b, c, d] = t.shape;
  const width = d / groups;
  const grouped = tf.transpose(tf.reshape(t, [a * b * c, groups, width]), [1, 0, 2]);
  return tf.split(grouped, groups, 0).map((part) => tf.reshape(part, [a, b, c, width]) as tf.Tensor4D);
}
