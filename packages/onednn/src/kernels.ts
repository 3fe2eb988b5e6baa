/**
 * The kernels @nf/onednn puts on the wasm backend: oneDNN's convolutions (forward, dX, dW; plain,
 * grouped and depthwise) and matrix products, run on the tensors where the wasm backend keeps them
 * (byte offsets into its memory; outputs allocated with the backend's makeOutput). Calls the
 * accelerator cannot take (non-float32, NCHW, empty tensors, batch shapes that do not broadcast
 * simply, a geometry oneDNN refuses) go to the kernel that was registered before.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OneDnnAddon } from './addon.js';
import { OneDnnError } from './errors.js';

/** What we use of the wasm backend (tfjs-backend-wasm 4.22). */
interface WasmBackend {
  wasm: { asm?: { memory?: { buffer: ArrayBufferLike } }; HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): boolean;
}

type Shape4 = [number, number, number, number];

/** Counts of calls taken by oneDNN and handed to the previous kernel, per kernel name. */
export const callCounts = new Map<string, { onednn: number; fallback: number }>();

function count(name: string, key: 'onednn' | 'fallback'): void {
  let c = callCounts.get(name);
  if (!c) callCounts.set(name, (c = { onednn: 0, fallback: 0 }));
  c[key]++;
}

let lastBuffer: ArrayBufferLike | undefined;
let lastHeap: ArrayBuffer | Uint8Array | undefined;

/**
 * The backend's memory as the addon takes it, read on every call (a grown memory is a new buffer):
 * the ArrayBuffer itself, or a Uint8Array over it when it is a SharedArrayBuffer (threaded wasm;
 * Node-API has no SharedArrayBuffer getter in Node 20, but reads typed arrays over one).
 */
export function heapOf(backend: WasmBackend): ArrayBuffer | Uint8Array {
  const buffer = backend.wasm.asm?.memory?.buffer ?? backend.wasm.HEAPU8.buffer;
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastHeap = buffer instanceof ArrayBuffer ? buffer : new Uint8Array(buffer);
  }
  return lastHeap!;
}

function offsetOf(backend: WasmBackend, t: tf.TensorInfo): number {
  const offset = backend.dataIdMap.get(t.dataId)?.memoryOffset;
  if (typeof offset !== 'number') throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: a tensor of shape [${t.shape.join(', ')}] has no data in the wasm heap.`);
  return offset;
}

/** True when the backend looks like tfjs-backend-wasm's (memory, tensor table, makeOutput). */
export function isWasmBackend(backend: unknown): backend is WasmBackend {
  const b = backend as Partial<WasmBackend> | undefined;
  return typeof b?.makeOutput === 'function' && typeof b.dataIdMap?.get === 'function' && b.wasm?.HEAPU8 instanceof Uint8Array;
}

const convParams = new Int32Array(22);

interface ConvAttrs {
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The Conv2DInfo of the forward conv, or null where oneDNN's geometry would differ from tfjs's. */
function convInfo(xShape: Shape4, filterShape: Shape4, attrs: ConvAttrs, depthwise: boolean): tf.backend_util.Conv2DInfo | null {
  if (attrs.dataFormat === 'NCHW') return null;
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, depthwise, 'channelsLast');
  const { padInfo: p } = info;
  // oneDNN's output size is floor((in + pads − effective kernel) / stride) + 1: tfjs's must match.
  const fits = (inSize: number, pads: number, eff: number, stride: number, out: number) => Math.floor((inSize + pads - eff) / stride) + 1 === out;
  if (!fits(info.inHeight, p.top + p.bottom, info.effectiveFilterHeight, info.strideHeight, info.outHeight)) return null;
  if (!fits(info.inWidth, p.left + p.right, info.effectiveFilterWidth, info.strideWidth, info.outWidth)) return null;
  if (p.top < 0 || p.left < 0 || p.bottom < 0 || p.right < 0) return null;
  return info;
}

/**
 * Runs one convolution direction on the heap. direction 0: x, w → y; 1: dy, w → dx; 2: x, dy → dw.
 * `groups`: 1 (plain), C (depthwise) or any divisor of both channel counts (grouped).
 */
function runConv(addon: OneDnnAddon, backend: WasmBackend, direction: 0 | 1 | 2, info: tf.backend_util.Conv2DInfo, groups: number, x: tf.TensorInfo | undefined, w: tf.TensorInfo | undefined, y: tf.TensorInfo | undefined, outShape: number[]): tf.TensorInfo {
  const out = backend.makeOutput(outShape, 'float32');
  const xOff = offsetOf(backend, direction === 1 ? out : x!);
  const wOff = offsetOf(backend, direction === 2 ? out : w!);
  const yOff = offsetOf(backend, direction === 0 ? out : y!);
  const p = convParams;
  p[0] = direction;
  p[1] = info.batchSize;
  p[2] = info.inHeight;
  p[3] = info.inWidth;
  p[4] = info.inChannels;
  p[5] = info.outHeight;
  p[6] = info.outWidth;
  p[7] = info.outChannels;
  p[8] = info.filterHeight;
  p[9] = info.filterWidth;
  p[10] = groups;
  p[11] = info.strideHeight;
  p[12] = info.strideWidth;
  p[13] = info.dilationHeight;
  p[14] = info.dilationWidth;
  p[15] = info.padInfo.top;
  p[16] = info.padInfo.left;
  p[17] = info.padInfo.bottom;
  p[18] = info.padInfo.right;
  p[19] = xOff;
  p[20] = wOff;
  p[21] = yOff;
  try {
    addon.conv(heapOf(backend), p);
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  }
  return out;
}

const isF32 = (...ts: tf.TensorInfo[]) => ts.every((t) => t.dtype === 'float32' && t.shape.length === 4 && t.shape.every((d) => d > 0));

/** A kernel config that runs `take` and hands the call to `previous` when `take` returns undefined. */
function accelerated(kernelName: string, previous: tf.KernelConfig | undefined, take: (args: Parameters<tf.KernelFunc>[0], backend: WasmBackend) => tf.TensorInfo | undefined): tf.KernelConfig {
  const fallback = (args: Parameters<tf.KernelFunc>[0]) => {
    count(kernelName, 'fallback');
    if (!previous) throw new OneDnnError('NO_FALLBACK', `@nf/onednn: ${kernelName} got a call oneDNN cannot take (float32 NHWC only) and no other wasm kernel is registered; import @nf/wasm-kernels (or tfjs-backend-wasm) before registerOneDnnKernels().`);
    return previous.kernelFunc(args);
  };
  return {
    kernelName,
    backendName: 'wasm',
    setupFunc: previous?.setupFunc,
    disposeFunc: previous?.disposeFunc,
    kernelFunc: (args) => {
      if (!isWasmBackend(args.backend)) return fallback(args);
      const out = take(args, args.backend);
      if (out === undefined) return fallback(args);
      count(kernelName, 'onednn');
      return out;
    },
  };
}

/** Guards a oneDNN call: a geometry oneDNN refuses (a thrown error before any output) goes to the fallback. */
function orFallback(run: () => tf.TensorInfo): tf.TensorInfo | undefined {
  try {
    return run();
  } catch (e) {
    // A shape oneDNN has no implementation for (the error comes before anything is written).
    if (e instanceof Error && /oneDNN (convolution|matmul) failed/.test(e.message)) return undefined;
    throw e;
  }
}

export function conv2dKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('Conv2D', previous, ({ inputs, attrs }, backend) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (!isF32(x, filter)) return undefined;
    const a = attrs as unknown as ConvAttrs;
    const info = convInfo(x.shape as Shape4, filter.shape as Shape4, a, false);
    if (!info) return undefined;
    return orFallback(() => runConv(addon, backend, 0, info, 1, x, filter, undefined, info.outShape));
  });
}

export function conv2dBackpropInputKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('Conv2DBackpropInput', previous, ({ inputs, attrs }, backend) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
    if (!isF32(dy, filter) || a.inputShape.some((d) => d <= 0)) return undefined;
    const info = convInfo(a.inputShape, filter.shape as Shape4, { ...a, dilations: 1 }, false);
    if (!info || !sameShape(dy.shape, info.outShape)) return undefined;
    return orFallback(() => runConv(addon, backend, 1, info, 1, undefined, filter, dy, [...a.inputShape]));
  });
}

export function conv2dBackpropFilterKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('Conv2DBackpropFilter', previous, ({ inputs, attrs }, backend) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
    if (!isF32(x, dy)) return undefined;
    const info = convInfo(x.shape as Shape4, a.filterShape, { ...a, dilations: 1 }, false);
    if (!info || !sameShape(dy.shape, info.outShape)) return undefined;
    return orFallback(() => runConv(addon, backend, 2, info, 1, x, undefined, dy, [...a.filterShape]));
  });
}

export function depthwiseConv2dKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('DepthwiseConv2dNative', previous, ({ inputs, attrs }, backend) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (!isF32(x, filter)) return undefined;
    const info = convInfo(x.shape as Shape4, filter.shape as Shape4, attrs as unknown as ConvAttrs, true);
    if (!info) return undefined;
    return orFallback(() => runConv(addon, backend, 0, info, info.inChannels, x, filter, undefined, info.outShape));
  });
}

export function depthwiseConv2dBackpropInputKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('DepthwiseConv2dNativeBackpropInput', previous, ({ inputs, attrs }, backend) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: Shape4 };
    if (!isF32(dy, filter) || a.inputShape.some((d) => d <= 0)) return undefined;
    const info = convInfo(a.inputShape, filter.shape as Shape4, a, true);
    if (!info || !sameShape(dy.shape, info.outShape)) return undefined;
    return orFallback(() => runConv(addon, backend, 1, info, info.inChannels, undefined, filter, dy, [...a.inputShape]));
  });
}

export function depthwiseConv2dBackpropFilterKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('DepthwiseConv2dNativeBackpropFilter', previous, ({ inputs, attrs }, backend) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as ConvAttrs & { filterShape: Shape4 };
    if (!isF32(x, dy)) return undefined;
    const info = convInfo(x.shape as Shape4, a.filterShape, a, true);
    if (!info || !sameShape(dy.shape, info.outShape)) return undefined;
    return orFallback(() => runConv(addon, backend, 2, info, info.inChannels, x, undefined, dy, [...a.filterShape]));
  });
}

/** @nf/ws-conv's grouped-convolution kernels (x NHWC, filter [kh, kw, in/groups, out]; attrs strides, pad, groups). */
interface GroupedAttrs {
  strides: [number, number];
  pad: ConvAttrs['pad'];
  groups: number;
}

function groupedInfo(kernelName: string, xShape: Shape4, filterShape: Shape4, a: GroupedAttrs): tf.backend_util.Conv2DInfo {
  const g = a.groups;
  const [kh, kw, cinPerGroup, cout] = filterShape;
  if (!Number.isInteger(g) || g < 1 || cinPerGroup * g !== xShape[3] || cout % g !== 0) {
    throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: ${kernelName} got input ${JSON.stringify(xShape)}, filter ${JSON.stringify(filterShape)} and groups ${g}; the filter must be [kh, kw, in/groups, out] with out divisible by groups.`);
  }
  // The Conv2DInfo of the dense conv with the same geometry (channel counts are all it reads of the filter).
  const info = convInfo(xShape, [kh, kw, xShape[3], cout], { strides: a.strides, pad: a.pad, dilations: 1 }, false);
  if (!info) throw new OneDnnError('NO_FALLBACK', `@nf/onednn: ${kernelName} with pad ${JSON.stringify(a.pad)} on input ${JSON.stringify(xShape)} has a geometry oneDNN cannot express (its output size rounds differently).`);
  return info;
}

/** The three grouped-convolution kernels @nf/ws-conv's groupedConv2d calls when the backend has them. */
export function groupedConvKernel(addon: OneDnnAddon): tf.KernelConfig {
  return accelerated('NfGroupedConv2D', undefined, ({ inputs, attrs }, backend) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (!isF32(x, filter)) return undefined;
    const a = attrs as unknown as GroupedAttrs;
    const info = groupedInfo('NfGroupedConv2D', x.shape as Shape4, filter.shape as Shape4, a);
    return runConv(addon, backend, 0, info, a.groups, x, filter, undefined, info.outShape);
  });
}

export function groupedConvBackpropInputKernel(addon: OneDnnAddon): tf.KernelConfig {
  return accelerated('NfGroupedConv2DBackpropInput', undefined, ({ inputs, attrs }, backend) => {
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as GroupedAttrs & { inputShape: Shape4 };
    if (!isF32(dy, filter)) return undefined;
    const info = groupedInfo('NfGroupedConv2DBackpropInput', a.inputShape, filter.shape as Shape4, a);
    if (!sameShape(dy.shape, info.outShape)) throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: NfGroupedConv2DBackpropInput got dy ${JSON.stringify(dy.shape)} for output ${JSON.stringify(info.outShape)}.`);
    return runConv(addon, backend, 1, info, a.groups, undefined, filter, dy, [...a.inputShape]);
  });
}

export function groupedConvBackpropFilterKernel(addon: OneDnnAddon): tf.KernelConfig {
  return accelerated('NfGroupedConv2DBackpropFilter', undefined, ({ inputs, attrs }, backend) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as GroupedAttrs & { filterShape: Shape4 };
    if (!isF32(x, dy)) return undefined;
    const info = groupedInfo('NfGroupedConv2DBackpropFilter', x.shape as Shape4, a.filterShape, a);
    if (!sameShape(dy.shape, info.outShape)) throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: NfGroupedConv2DBackpropFilter got dy ${JSON.stringify(dy.shape)} for output ${JSON.stringify(info.outShape)}.`);
    return runConv(addon, backend, 2, info, a.groups, x, undefined, dy, [...a.filterShape]);
  });
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const matMulParams = new Int32Array(10);
const product = (s: readonly number[]) => s.reduce((p, d) => p * d, 1);

/**
 * BatchMatMul (tfjs's MatMul is this kernel too): A [..., m, k] or transposed, B [..., k, n] or
 * transposed, the batch dimensions equal or one side's all 1 (broadcast); other broadcasts go to
 * the previous kernel.
 */
export function batchMatMulKernel(addon: OneDnnAddon, previous: tf.KernelConfig | undefined): tf.KernelConfig {
  return accelerated('BatchMatMul', previous, ({ inputs, attrs }, backend) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
    const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
    const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
    const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
    if (k !== kb || m === 0 || n === 0 || k === 0) return undefined;
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const ba = product(batchA);
    const bb = product(batchB);
    let batchOut: number[];
    const rank = Math.max(ra, rb) - 2;
    const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
    if (ba === 1) batchOut = pad(batchB);
    else if (bb === 1) batchOut = pad(batchA);
    else if (sameShape(pad(batchA), pad(batchB))) batchOut = pad(batchA);
    else return undefined;
    if (ba * m * k > 2 ** 31 || bb * k * n > 2 ** 31) return undefined;
    return orFallback(() => {
      const out = backend.makeOutput([...batchOut, m, n], 'float32');
      const p = matMulParams;
      p[0] = ba;
      p[1] = bb;
      p[2] = m;
      p[3] = k;
      p[4] = n;
      p[5] = transposeA ? 1 : 0;
      p[6] = transposeB ? 1 : 0;
      p[7] = offsetOf(backend, a);
      p[8] = offsetOf(backend, b);
      p[9] = offsetOf(backend, out);
      try {
        addon.matMul(heapOf(backend), p);
      } catch (e) {
        backend.disposeData(out.dataId);
        throw e;
      }
      return out;
    });
  });
}

/** The kernels this package replaces on the wasm backend, by name. */
export const ONEDNN_KERNEL_FACTORIES: ReadonlyArray<[string, (addon: OneDnnAddon, previous: tf.KernelConfig | undefined) => tf.KernelConfig]> = [
  ['Conv2D', conv2dKernel],
  ['Conv2DBackpropInput', conv2dBackpropInputKernel],
  ['Conv2DBackpropFilter', conv2dBackpropFilterKernel],
  ['DepthwiseConv2dNative', depthwiseConv2dKernel],
  ['DepthwiseConv2dNativeBackpropInput', depthwiseConv2dBackpropInputKernel],
  ['DepthwiseConv2dNativeBackpropFilter', depthwiseConv2dBackpropFilterKernel],
  ['BatchMatMul', batchMatMulKernel],
  ['NfGroupedConv2D', (addon) => groupedConvKernel(addon)],
  ['NfGroupedConv2DBackpropInput', (addon) => groupedConvBackpropInputKernel(addon)],
  ['NfGroupedConv2DBackpropFilter', (addon) => groupedConvBackpropFilterKernel(addon)],
];
