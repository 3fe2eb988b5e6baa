/**
 * Every kernel @nf/onednn replaces, forward and both gradients through tf.grads, on NFNet-like
 * shapes (1×1, 3×3, stride 2, SAME / VALID / explicit pads, odd sizes, batch 1, dilation, grouped
 * through @nf/ws-conv, depthwise) against the cpu backend and the wasm backend's previous kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { groupedConv2d } from '@nf/ws-conv';
import { afterAll, expect, it } from 'vitest';
import { oneDnnCallCounts, unregisterOneDnnKernels } from '../src/index.js';
import { describeOneDnn, expectClose, runOn, seeded, type Mode } from './support.js';

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  k: number | [number, number];
  cout: number;
  stride: number;
  pad: Pad;
  dilation?: number;
  groups?: number;
}

const CONV_CASES: ConvCase[] = [
  { name: 'stem 3×3 3→16 s2 SAME, odd 17²', x: [2, 17, 17, 3], k: 3, cout: 16, stride: 2, pad: 'same' },
  { name: '1×1 64→96 (pointwise)', x: [2, 8, 8, 64], k: 1, cout: 96, stride: 1, pad: 'same' },
  { name: '3×3 32→32 SAME batch 1', x: [1, 9, 9, 32], k: 3, cout: 32, stride: 1, pad: 'same' },
  { name: '3×3 24→40 s2 SAME, odd 11×9', x: [2, 11, 9, 24], k: 3, cout: 40, stride: 2, pad: 'same' },
  { name: '3×3 16→8 s2 VALID, leftover row', x: [2, 10, 9, 16], k: 3, cout: 8, stride: 2, pad: 'valid' },
  { name: '3×2 5→7 explicit pads', x: [3, 7, 6, 5], k: [3, 2], cout: 7, stride: 1, pad: [[0, 0], [1, 2], [2, 0], [0, 0]] },
  { name: '1×1 s2 (shortcut)', x: [2, 8, 8, 32], k: 1, cout: 64, stride: 2, pad: 'same' },
  { name: '5×5 12→6 VALID', x: [1, 9, 11, 12], k: 5, cout: 6, stride: 1, pad: 'valid' },
  { name: 'grouped 3×3 64→64, groups 4 (ws-conv)', x: [2, 8, 8, 64], k: 3, cout: 64, stride: 1, pad: 'same', groups: 4 },
  { name: 'grouped 3×3 48→48 s2, groups 3 (ws-conv)', x: [1, 9, 9, 48], k: 3, cout: 48, stride: 2, pad: 'same', groups: 3 },
  { name: 'grouped 3×3 16→32 VALID, groups 2, 2 outputs per input (ws-conv)', x: [2, 7, 8, 16], k: 3, cout: 32, stride: 1, pad: 'valid', groups: 2 },
  { name: 'grouped 3×2 12→6 explicit pads, groups 3 (ws-conv)', x: [2, 6, 7, 12], k: [3, 2], cout: 6, stride: 2, pad: [[0, 0], [1, 0], [0, 1], [0, 0]], groups: 3 },
];

const kdims = (k: number | [number, number]): [number, number] => (typeof k === 'number' ? [k, k] : k);

function convFn(c: ConvCase, seed: number, withGrads: boolean) {
  const [kh, kw] = kdims(c.k);
  const groups = c.groups ?? 1;
  const wShape: [number, number, number, number] = [kh, kw, c.x[3] / groups, c.cout];
  const xv = seeded(c.x.reduce((a, b) => a * b), seed);
  const wv = seeded(wShape.reduce((a, b) => a * b), seed + 1);
  return () => {
    const x = tf.tensor4d(xv, c.x);
    const w = tf.tensor4d(wv, wShape);
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      groups > 1
        ? groupedConv2d(a, b, { strides: c.stride, padding: c.pad === 'same' ? 'same' : c.pad === 'valid' ? 'valid' : [[c.pad[1][0], c.pad[1][1]], [c.pad[2][0], c.pad[2][1]]], groups })
        : tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad, 'NHWC', c.dilation ?? 1);
    const y = f(x, w);
    if (!withGrads) return [y];
    const dy = tf.tensor(seeded(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([x, w]);
    return [y, dx!, dw!];
  };
}

async function compare(fn: () => tf.Tensor | tf.Tensor[], what: string, rtol = 2e-5): Promise<void> {
  const ref = await runOn('cpu', fn);
  const results: Record<Mode, Float32Array[]> = { cpu: ref, wasm: await runOn('wasm', fn), onednn: await runOn('onednn', fn) };
  const names = ['y', 'dx', 'dw'];
  ref.forEach((r, i) => {
    expectClose(results.onednn[i]!, r, rtol, `${what} ${names[i]}: oneDNN vs cpu`);
    expectClose(results.onednn[i]!, results.wasm[i]!, rtol, `${what} ${names[i]}: oneDNN vs wasm`);
  });
}

describeOneDnn('oneDNN kernels on the wasm backend', () => {
  afterAll(async () => {
    unregisterOneDnnKernels();
    await tf.setBackend('cpu');
  });

  for (const c of CONV_CASES) {
    it(`conv ${c.name}: forward, dX and dW`, async () => {
      oneDnnCallCounts.clear();
      await compare(convFn(c, 11, true), c.name);
      // Every call went to oneDNN: the forward twice (once under tf.grads), dX and dW; a grouped
      // conv as one call of ws-conv's grouped kernels (not a split, per-group convs and a concat).
      const prefix = c.groups ? 'NfGroupedConv2D' : 'Conv2D';
      expect(oneDnnCallCounts.get(prefix)).toEqual({ onednn: 2, fallback: 0 });
      expect(oneDnnCallCounts.get(`${prefix}BackpropInput`)).toEqual({ onednn: 1, fallback: 0 });
      expect(oneDnnCallCounts.get(`${prefix}BackpropFilter`)).toEqual({ onednn: 1, fallback: 0 });
      if (c.groups) expect(oneDnnCallCounts.get('Conv2D')).toBeUndefined();
    });
  }

  it('a dilated 3×3 conv forward (dilation 2; tfjs has no gradient for it)', async () => {
    await compare(convFn({ name: 'dilated', x: [2, 11, 10, 8], k: 3, cout: 12, stride: 1, pad: 'same', dilation: 2 }, 5, false), 'dilated');
  });

  const DEPTHWISE: Array<{ x: [number, number, number, number]; k: number; m: number; stride: number; pad: 'same' | 'valid'; dilation?: number }> = [
    { x: [2, 9, 9, 16], k: 3, m: 1, stride: 1, pad: 'same' },
    { x: [1, 11, 7, 8], k: 3, m: 2, stride: 2, pad: 'same' },
    { x: [2, 8, 9, 5], k: 5, m: 1, stride: 1, pad: 'valid' },
    { x: [2, 10, 10, 6], k: 3, m: 3, stride: 2, pad: 'valid' },
  ];
  for (const d of DEPTHWISE) {
    it(`depthwise ${d.k}×${d.k} C=${d.x[3]} m=${d.m} s${d.stride} ${d.pad} on ${d.x.join('×')}: forward, dX and dW`, async () => {
      oneDnnCallCounts.clear();
      const xv = seeded(d.x.reduce((a, b) => a * b), 3);
      const wv = seeded(d.k * d.k * d.x[3] * d.m, 4);
      const fn = () => {
        const x = tf.tensor4d(xv, d.x);
        const w = tf.tensor4d(wv, [d.k, d.k, d.x[3], d.m]);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, d.stride, d.pad);
        const y = f(x, w);
        const dy = tf.tensor(seeded(y.size, 5), y.shape);
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy)))([x, w]);
        return [y, dx!, dw!];
      };
      await compare(fn, 'depthwise');
      for (const k of ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']) {
        expect(oneDnnCallCounts.get(k)?.fallback, k).toBe(0);
        expect(oneDnnCallCounts.get(k)?.onednn, k).toBeGreaterThan(0);
      }
    });
  }

  it('a dilated depthwise forward and its grouped form through ws-conv (groups = channels)', async () => {
    const xv = seeded(2 * 9 * 9 * 8, 9);
    const wv = seeded(3 * 3 * 8, 10);
    await compare(() => tf.depthwiseConv2d(tf.tensor4d(xv, [2, 9, 9, 8]), tf.tensor4d(wv, [3, 3, 8, 1]), 1, 'same', 'NHWC', 2), 'dilated depthwise');
    await compare(() => {
      const x = tf.tensor4d(xv, [2, 9, 9, 8]);
      const w = tf.tensor4d(wv, [3, 3, 1, 8]);
      const f = (a: tf.Tensor, b: tf.Tensor) => groupedConv2d(a, b, { groups: 8, padding: 'same' });
      const y = f(x, w);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(f(a, b))))([x, w]);
      return [y, dx!, dw!];
    }, 'ws-conv depthwise groups');
  });

  const MATMUL: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [];
  for (const [m, k, n] of [[1, 37, 29], [8, 64, 33], [33, 17, 50], [128, 256, 96]] as Array<[number, number, number]>) {
    for (const ta of [false, true]) for (const tb of [false, true]) MATMUL.push({ a: ta ? [k, m] : [m, k], b: tb ? [n, k] : [k, n], ta, tb });
  }
  MATMUL.push({ a: [3, 5, 7], b: [3, 7, 4], ta: false, tb: false }, { a: [3, 7, 5], b: [3, 4, 7], ta: true, tb: true }, { a: [2, 3, 5, 7], b: [7, 6], ta: false, tb: false }, { a: [1, 5, 7], b: [4, 7, 6], ta: false, tb: false });
  it(`BatchMatMul on ${MATMUL.length} shapes (every transpose, batched, broadcast, one row)`, async () => {
    oneDnnCallCounts.clear();
    for (const c of MATMUL) {
      const av = seeded(c.a.reduce((x, y) => x * y), 21);
      const bv = seeded(c.b.reduce((x, y) => x * y), 22);
      const fn = () => {
        const a = tf.tensor(av, c.a);
        const b = tf.tensor(bv, c.b);
        const f = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, c.ta, c.tb);
        const y = f(a, b);
        // tfjs's BatchMatMul gradient does not reduce broadcast batch dimensions: forward only there.
        if (c.a.length !== c.b.length || (c.a.length > 2 && c.a[0] !== c.b[0])) return [y];
        const dy = tf.tensor(seeded(y.size, 23), y.shape);
        const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(p, q), dy)))([a, b]);
        return [y, da!, db!];
      };
      await compare(fn, `matMul ${JSON.stringify(c)}`);
    }
    // Forward, then forward, dA and dB inside tf.grads; the two broadcast cases forward only.
    expect(oneDnnCallCounts.get('BatchMatMul')).toEqual({ onednn: (MATMUL.length - 2) * 4 + 2, fallback: 0 });
  });

  it('keeps working after the wasm memory grows (the buffer is read on every call)', async () => {
    await tf.setBackend('wasm');
    const { registerOneDnnKernels } = await import('../src/index.js');
    registerOneDnnKernels();
    const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
    const x = tf.tensor4d(seeded(2 * 8 * 8 * 16, 1), [2, 8, 8, 16]);
    const w = tf.tensor4d(seeded(3 * 3 * 16 * 16, 2), [3, 3, 16, 16]);
    const first = tf.conv2d(x, w, 1, 'same');
    const expected = Float32Array.from(first.dataSync());
    const buffer = backend.wasm.HEAPU8.buffer;
    const big = tf.zeros([64 * 1024 * 1024]);
    expect(backend.wasm.HEAPU8.buffer).not.toBe(buffer);
    const again = tf.conv2d(x, w, 1, 'same');
    expectClose(again.dataSync() as Float32Array, expected, 0, 'after growth');
    tf.dispose([x, w, first, big, again]);
  });

  it('unregisterOneDnnKernels puts back exactly the previous kernels', async () => {
    const { registerOneDnnKernels } = await import('../src/index.js');
    unregisterOneDnnKernels();
    const before = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'BatchMatMul'].map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);
    const status = registerOneDnnKernels();
    expect(status.active).toBe(true);
    expect(status.kernels).toContain('Conv2DBackpropFilter');
    expect(tf.getKernel('Conv2D', 'wasm')?.kernelFunc).not.toBe(before[0]);
    expect(unregisterOneDnnKernels()).toHaveLength(10);
    expect(tf.getKernel('NfGroupedConv2D', 'wasm')).toBeUndefined();
    const after = ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'BatchMatMul'].map((k) => tf.getKernel(k, 'wasm')?.kernelFunc);
    expect(after).toEqual(before);
  });
});
