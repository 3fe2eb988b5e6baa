import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { registerWasmTrainingKernels } from './index.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  /** channel multiplier */
  m: number;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

const EXPLICIT: Pad = [[0, 0], [1, 2], [0, 1], [0, 0]];
const CASES: Case[] = [];
for (const x of [[2, 7, 7, 3], [1, 8, 6, 4], [3, 5, 9, 2]] as Array<Case['x']>) {
  for (const k of [[1, 1], [3, 3], [3, 2], [5, 5]] as Array<Case['k']>) {
    for (const m of [1, 2]) {
      // tfjs allows a dilation > 1 only with stride 1.
      const geometries: Array<[Case['strides'], Case['dilations']]> = [[[1, 1], [1, 1]], [[2, 2], [1, 1]], [[2, 1], [1, 1]], [[1, 1], [2, 2]]];
      for (const [strides, dilations] of geometries) {
        if (k[0] === 1 && k[1] === 1 && dilations[0] > 1) continue; // a 1×1 kernel has nothing to dilate
        for (const pad of ['same', 'valid', 1, EXPLICIT] as Pad[]) {
          // Skip geometries whose (dilated) kernel does not fit: their output would be empty.
          const { outHeight, outWidth } = tf.backend_util.computeConv2DInfo(x, [k[0], k[1], x[3], m], strides, dilations, pad, undefined, true);
          if (outHeight < 1 || outWidth < 1) continue;
          CASES.push({ x, k, m, strides, dilations, pad });
        }
      }
    }
  }
}
// dimRoundingMode (tfjs allows it with numeric or explicit pads only).
CASES.push({ x: [2, 8, 8, 3], k: [3, 3], m: 2, strides: [2, 2], dilations: [1, 1], pad: 1, dimRoundingMode: 'ceil' });
CASES.push({ x: [2, 8, 8, 3], k: [3, 3], m: 1, strides: [2, 2], dilations: [1, 1], pad: 2, dimRoundingMode: 'floor' });
CASES.push({ x: [1, 9, 7, 2], k: [3, 2], m: 2, strides: [2, 1], dilations: [1, 1], pad: [[0, 0], [0, 1], [2, 0], [0, 0]], dimRoundingMode: 'ceil' });

const nameOf = (c: Case): string =>
  `x${JSON.stringify(c.x)} k${c.k.join('x')} m${c.m} s${c.strides.join('')} d${c.dilations.join('')} ${JSON.stringify(c.pad)}${c.dimRoundingMode ? ` ${c.dimRoundingMode}` : ''}`;

function inputsOf(c: Case, dyShape: number[]): { xv: Float32Array; wv: Float32Array; dyv: Float32Array } {
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  return {
    xv: Float32Array.from({ length: size(c.x) }, (_, i) => Math.cos(i * 0.11) * (1 + (i % 5))),
    wv: Float32Array.from({ length: c.k[0] * c.k[1] * c.x[3] * c.m }, (_, i) => Math.sin(i * 0.23)),
    dyv: Float32Array.from({ length: size(dyShape) }, (_, i) => Math.sin(i * 0.37)),
  };
}

/** The filter with its dilation written out as zeros: [effH, effW, C, m]. */
function dilateFilter(wv: Float32Array, c: Case): { values: Float32Array; shape: [number, number, number, number] } {
  const [fh, fw] = c.k;
  const [dh, dw] = c.dilations;
  const inner = c.x[3] * c.m;
  const shape: [number, number, number, number] = [(fh - 1) * dh + 1, (fw - 1) * dw + 1, c.x[3], c.m];
  const values = new Float32Array(shape[0] * shape[1] * inner);
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      for (let t = 0; t < inner; t++) values[(i * dh * shape[1] + j * dw) * inner + t] = wv[(i * fw + j) * inner + t]!;
    }
  }
  return { values, shape };
}

function attrsOf(c: Case, dilations: [number, number]): tf.NamedAttrMap {
  const attrs: tf.NamedAttrMap = { strides: c.strides, pad: c.pad, dilations };
  if (c.dimRoundingMode) attrs.dimRoundingMode = c.dimRoundingMode;
  return attrs;
}

/** Both backprop kernels run directly (no forward pass, so none of the wasm forward's pad bugs). */
async function backprop(backend: string, c: Case, filterValues: Float32Array, filterShape: [number, number, number, number], dilations: [number, number]) {
  await useBackend(backend);
  const dyShape = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.strides, dilations, c.pad, c.dimRoundingMode, true).outShape;
  const { xv, dyv } = inputsOf(c, dyShape);
  const x = tf.tensor4d(xv, c.x);
  const w = tf.tensor4d(filterValues, filterShape);
  const dy = tf.tensor4d(dyv, dyShape);
  const tensorsBefore = tf.memory().numTensors;
  const dataBefore = tf.engine().backend.numDataIds();
  const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrsOf(c, dilations), filterShape }) as tf.Tensor4D;
  const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrsOf(c, dilations), inputShape: c.x }) as tf.Tensor4D;
  const leakedTensors = tf.memory().numTensors - tensorsBefore - 2;
  const leakedData = tf.engine().backend.numDataIds() - dataBefore - 2;
  const out = { dw: await dw.data(), dwShape: dw.shape, dx: await dx.data(), dxShape: dx.shape, leakedTensors, leakedData };
  tf.dispose([x, w, dy, dx, dw]);
  return out;
}

/** Max difference relative to the tensor's scale (see conv2d-backprop.test.ts). */
function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe('DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput on wasm', () => {
  it('are registered on import, once', () => {
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
    expect(registerWasmTrainingKernels()).toEqual([]);
  });

  it.each(CASES.map((c) => [nameOf(c), c] as const))('kernels against cpu: %s', async (_, c) => {
    const { wv } = inputsOf(c, [0]);
    const shape: [number, number, number, number] = [c.k[0], c.k[1], c.x[3], c.m];
    const wasm = await backprop('wasm', c, wv, shape, c.dilations);
    expect(wasm.leakedTensors, 'tensors leaked').toBe(0);
    expect(wasm.leakedData, 'backend buffers leaked').toBe(0);
    expect(wasm.dwShape).toEqual(shape);
    expect(wasm.dxShape).toEqual(c.x);
    // The cpu kernels ignore dilations, so a dilated case is compared with the undilated
    // convolution by the zero-filled filter: same dX, and dW at the taps i·d, j·d.
    const dilated = c.dilations[0] > 1 || c.dilations[1] > 1;
    const ref = dilated ? dilateFilter(wv, c) : { values: wv, shape };
    const cpu = await backprop('cpu', c, ref.values, ref.shape, [1, 1]);
    let cpuDw = cpu.dw;
    if (dilated) {
      const inner = c.x[3] * c.m;
      cpuDw = new Float32Array(wasm.dw.length);
      for (let i = 0; i < c.k[0]; i++) {
        for (let j = 0; j < c.k[1]; j++) {
          for (let t = 0; t < inner; t++) cpuDw[(i * c.k[1] + j) * inner + t] = cpu.dw[(i * c.dilations[0] * ref.shape[1] + j * c.dilations[1]) * inner + t]!;
        }
      }
    }
    expect(rel(wasm.dw, cpuDw), 'dW').toBeLessThan(1e-4);
    expect(rel(wasm.dx, cpu.dx), 'dX').toBeLessThan(1e-4);
  });

  // Through tf.grads of tf.depthwiseConv2d (tfjs has no gradient for dilations > 1). The forward
  // runs on wasm here, so the numeric-pad cases it gets wrong (unequal strides, non-square kernel)
  // are left to the direct comparison above.
  const GRAD_CASES = CASES.filter((c) => c.dilations[0] === 1 && !c.dimRoundingMode && !(typeof c.pad === 'number' && (c.strides[0] !== c.strides[1] || c.k[0] !== c.k[1])));
  it.each(GRAD_CASES.map((c) => [nameOf(c), c] as const))('tf.grads of tf.depthwiseConv2d against cpu: %s', async (_, c) => {
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad);
    const gradsOn = async (backend: string) => {
      await useBackend(backend);
      const y0 = tf.backend_util.computeConv2DInfo(c.x, [c.k[0], c.k[1], c.x[3], c.m], c.strides, 1, c.pad, undefined, true).outShape;
      const { xv, wv, dyv } = inputsOf(c, y0);
      const x = tf.tensor4d(xv, c.x);
      const w = tf.tensor4d(wv, [c.k[0], c.k[1], c.x[3], c.m]);
      const dy = tf.tensor4d(dyv, y0);
      const before = tf.memory().numTensors;
      const [dx, dw] = tf.grads(f)([x, w], dy);
      const leaked = tf.memory().numTensors - before - 2;
      const out = { dx: await dx!.data(), dw: await dw!.data(), leaked };
      tf.dispose([x, w, dy, dx, dw]);
      return out;
    };
    const cpu = await gradsOn('cpu');
    const wasm = await gradsOn('wasm');
    expect(wasm.leaked).toBe(0);
    expect(rel(wasm.dw, cpu.dw), 'dW').toBeLessThan(1e-4);
    expect(rel(wasm.dx, cpu.dx), 'dX').toBeLessThan(1e-4);
  });

  it('tf.variableGrads through tf.depthwiseConv2d works end-to-end on wasm', async () => {
    const run = async (backend: string) => {
      await useBackend(backend);
      const x = tf.tensor4d(Float32Array.from({ length: 2 * 9 * 9 * 4 }, (_, i) => Math.cos(i * 0.3)), [2, 9, 9, 4]);
      const w = tf.variable(tf.tensor4d(Float32Array.from({ length: 3 * 3 * 4 * 2 }, (_, i) => Math.sin(i * 0.7) * 0.3), [3, 3, 4, 2]), true, `dw-${backend}`);
      const before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(tf.depthwiseConv2d(x, w, 2, 'same'))));
      const leaked = tf.memory().numTensors - before - 2;
      const g = grads[w.name]!;
      const out = { value: (await value.data())[0]!, grad: await g.data(), shape: g.shape, leaked };
      tf.dispose([x, w, value, g]);
      return out;
    };
    const wasm = await run('wasm');
    const cpu = await run('cpu');
    expect(wasm.leaked).toBe(0);
    expect(wasm.shape).toEqual([3, 3, 4, 2]);
    expect(Math.abs(wasm.value - cpu.value) / cpu.value).toBeLessThan(1e-5);
    expect(rel(wasm.grad, cpu.grad)).toBeLessThan(1e-4);
  });

  it('reject a dy or a layout that does not fit the convolution, naming the kernel and the shapes', async () => {
    await useBackend('wasm');
    const dy = tf.zeros([1, 4, 4, 5]);
    const filter = tf.zeros([3, 3, 2, 2]);
    const x = tf.zeros([1, 4, 4, 2]);
    const attrs = { strides: 1, pad: 'same', dilations: 1 };
    expect(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: [1, 4, 4, 2] })).toThrow(
      /DepthwiseConv2dNativeBackpropInput got dy \[1,4,4,5\] for input \[1,4,4,2\] and filter \[3,3,2,2\]/,
    );
    expect(() => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, 2, 2] })).toThrow(/DepthwiseConv2dNativeBackpropFilter got dy/);
    expect(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 1, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 2, 5] })).toThrow(/Conv2DBackpropFilter supports NHWC only/);
    tf.dispose([dy, filter, x]);
  });
});
