/**
 * Arguments shared by the conv layers (WSConv2D, GroupedConv2D), checked once with the layer's
 * name in every message, and the output-shape arithmetic.
 */
import { WsConvError } from './errors.js';
import { checkPadding, convOutputSize, type Padding } from './padding.js';
import { pair } from './grouped-conv2d.js';

export interface ConvCoreArgs {
  /** Number of output channels. */
  filters: number;
  /** Kernel size, one number or [kh, kw]. */
  kernelSize: number | [number, number];
  /** Default 1. */
  strides?: number | [number, number];
  /** 'same' (TensorFlow SAME, default), 'valid', or [[top, bottom], [left, right]]. */
  padding?: Padding;
  /** Default 1. */
  dilationRate?: number | [number, number];
  /** Feature groups; in channels and filters must both divide by it. Default 1. */
  groups?: number;
  /** Add a per-channel bias. Default true. */
  useBias?: boolean;
}

export interface ConvCore {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: Padding;
  dilationRate: [number, number];
  groups: number;
  useBias: boolean;
}

function positiveInts(v: [number, number], what: string, where: string): [number, number] {
  if (!v.every((x) => Number.isInteger(x) && x >= 1)) {
    throw new WsConvError('BAD_OPTION', `${where}: ${what} must be positive integers, received ${JSON.stringify(v)}.`);
  }
  return v;
}

export function checkConvArgs(args: ConvCoreArgs, where: string): ConvCore {
  if (!Number.isInteger(args.filters) || args.filters < 1) {
    throw new WsConvError('BAD_OPTION', `${where}: filters must be a positive integer, received ${String(args.filters)}.`);
  }
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) {
    throw new WsConvError('BAD_GROUPS', `${where}: groups must be an integer >= 1, received ${String(groups)}.`);
  }
  if (args.filters % groups !== 0) {
    throw new WsConvError('BAD_GROUPS', `${where}: filters=${args.filters} is not divisible by groups=${groups}; choose filters as a multiple of ${groups}.`);
  }
  return {
    filters: args.filters,
    kernelSize: positiveInts(pair(args.kernelSize, 1), 'kernelSize', where),
    strides: positiveInts(pair(args.strides, 1), 'strides', where),
    padding: checkPadding(args.padding ?? 'same', where),
    dilationRate: positiveInts(pair(args.dilationRate, 1), 'dilationRate', where),
    groups,
    useBias: args.useBias ?? true,
  };
}

/** Checks the input channels against groups once the input shape is known. */
export function checkInputChannels(inChannels: number | null | undefined, core: ConvCore, where: string): number {
  if (inChannels == null) throw new WsConvError('BAD_SHAPE', `${where}: the channel dimension of the input must be known (NHWC), received null.`);
  if (inChannels % core.groups !== 0) {
    throw new WsConvError('BAD_GROUPS', `${where}: ${inChannels} input channels are not divisible by groups=${core.groups}; choose groups dividing ${inChannels}.`);
  }
  return inChannels;
}

/** NHWC output shape of a conv layer. */
export function convOutputShape(inputShape: (number | null)[], core: ConvCore): (number | null)[] {
  const h = convOutputSize(inputShape[1] ?? null, core.kernelSize[0], core.strides[0], core.dilationRate[0], core.padding, 0);
  const w = convOutputSize(inputShape[2] ?? null, core.kernelSize[1], core.strides[1], core.dilationRate[1], core.padding, 1);
  return [inputShape[0] ?? null, h, w, core.filters];
}

/** The core arguments as a plain config (for getConfig). */
export function convCoreConfig(core: ConvCore): Record<string, unknown> {
  return {
    filters: core.filters,
    kernelSize: core.kernelSize,
    strides: core.strides,
    padding: core.padding,
    dilationRate: core.dilationRate,
    groups: core.groups,
    useBias: core.useBias,
  };
}
