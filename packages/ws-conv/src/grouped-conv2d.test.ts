import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks, tensorOf } from '../test/leak-check.js';
import { closeness, conv2dRef, mulberry32, numericGrad, randomNormal } from '../test/reference.js';
import { groupedConv2d, samePadding, symmetricPadding, WsConvError, type Padding } from './index.js';

interface Case {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  groups: number;
  strides: [number, number];
  dilations: [number, number];
  padding: Padding;
}

const CASES: Case[] = [];
for (const groups of [1, 2, 4, 8]) {
  for (const strides of [[1, 1], [2, 2]] as Array<[number, number]>) {
    for (const size of [7, 8]) {
      for (const padding of ['same', 'valid', [[1, 1], [1, 1]], [[0, 2], [1, 0]]] as Padding[]) {
        CASES.push({ name: '', x: [2, size, size + 1, 8], k: [3, 3], cout: groups === 8 ? 16 : 12 - (12 % groups), groups, strides, dilations: [1, 1], padding });
      }
    }
  }
}
// dilation, 1x1, rectangular kernels, depthwise with multiplier
CASES.push({ name: '', x: [1, 9, 9, 4], k: [3, 3], cout: 8, groups: 2, strides: [1, 1], dilations: [2, 2], padding: 'same' });
CASES.push({ name: '', x: [1, 9, 9, 4], k: [3, 3], cout: 4, groups: 4, strides: [1, 1], dilations: [2, 1], padding: 'valid' });
CASES.push({ name: '', x: [3, 5, 6, 6], k: [1, 1], cout: 9, groups: 3, strides: [2, 2], dilations: [1, 1], padding: 'same' });
CASES.push({ name: '', x: [1, 6, 6, 6], k: [1, 3], cout: 12, groups: 6, strides: [1, 2], dilations: [1, 1], padding: 'same' });
for (const c of CASES) c.name = `x${JSON.stringify(c.x)} k${c.k.join('x')} out${c.cout} g${c.groups} s${c.strides.join('')} d${c.dilations.join('')} ${JSON.stringify(c.padding)}`;

function makeCase(c: Case, seed: number) {
  const rand = mulberry32(seed);
  const wShape = [c.k[0], c.k[1], c.x[3] / c.groups, c.cout];
  const x = randomNormal(c.x.reduce((a, b) => a * b, 1), rand);
  const w = randomNormal(wShape.reduce((a, b) => a * b, 1), rand, 0.3);
  return { x, w, wShape };
}

describe.each(BACKENDS)('groupedConv2d forward on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_, c, i) => {
    const { x, w, wShape } = makeCase(c, i + 1);
    const xt = tensorOf(x, c.x);
    const wt = tensorOf(w, wShape);
    const y = groupedConv2d(xt, wt, { strides: c.strides, dilations: c.dilations, padding: c.padding, groups: c.groups });
    const ref = conv2dRef(Float32Array.from(x), c.x, Float32Array.from(w), wShape, {
      strides: c.strides,
      dilations: c.dilations,
      padding: c.padding as never,
      groups: c.groups,
    });
    expect(y.shape).toEqual(ref.shape);
    expect(closeness(y.dataSync(), ref.data, 1e-4, 1e-5)).toBeLessThan(1);
    tf.dispose([xt, wt, y]);
  });
});

describe('groupedConv2d gradients (cpu, central differences of the float64 reference)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  const gradCases = CASES.filter((c) => c.x[1] === 7 && (c.padding === 'same' || Array.isArray(c.padding) && c.padding[0][1] === 2)).slice(0, 8);
  gradCases.push(CASES[CASES.length - 1]!, CASES[CASES.length - 3]!);

  it.each(gradCases.map((c, i) => [c.name, c, i] as const))('dx and dw: %s', (_, c, i) => {
    const small: Case = { ...c, x: [1, c.x[1], c.x[2], c.x[3]] };
    const { x, w, wShape } = makeCase(small, 100 + i);
    const opts = { strides: small.strides, dilations: small.dilations, padding: small.padding as never, groups: small.groups };
    const probe = conv2dRef(x, small.x, w, wShape, opts);
    const r = randomNormal(probe.data.length, mulberry32(7 + i));
    const loss = (xv: ArrayLike<number>, wv: ArrayLike<number>) =>
      conv2dRef(xv, small.x, wv, wShape, opts).data.reduce((s, v, j) => s + v * r[j]!, 0);
    const xt = tensorOf(x, small.x);
    const wt = tensorOf(w, wShape);
    const rt = tensorOf(r, probe.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(groupedConv2d(a, b, { strides: small.strides, dilations: small.dilations, padding: small.padding, groups: small.groups }), rt)),
    )([xt, wt]);
    // The loss is linear in each argument: central differences are exact up to rounding.
    expect(closeness(dx!.dataSync(), numericGrad((v) => loss(v, w), x, 1e-2), 1e-3, 1e-4)).toBeLessThan(1);
    expect(closeness(dw!.dataSync(), numericGrad((v) => loss(x, v), w, 1e-2), 1e-3, 1e-4)).toBeLessThan(1);
    tf.dispose([xt, wt, rt, dx, dw]);
  });
});

describe('groupedConv2d input checks', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('names the problem and the fix', () => tf.tidy(() => {
    const x = tf.zeros([1, 5, 5, 6]);
    const w = tf.zeros([3, 3, 2, 8]);
    expect(() => groupedConv2d(x, tf.zeros([3, 3, 2]) as never)).toThrow(/kernel must be \[kh, kw, in\/groups, out\] \(rank 4\)/);
    expect(() => groupedConv2d(x, w, { groups: 4 })).toThrow(/6 input channels are not divisible by groups=4/);
    expect(() => groupedConv2d(x, w, { groups: 3 })).toThrow(/kernel in-channels 2 × groups 3 = 6 .*|8 filters are not divisible by groups=3/);
    expect(() => groupedConv2d(x, tf.zeros([7, 7, 6, 2]), { padding: 'valid' })).toThrow(WsConvError);
    expect(() => groupedConv2d(x, tf.zeros([7, 7, 6, 2]), { padding: 'valid' })).toThrow(/7×7 kernel .* does not fit a 5×5 input with 'valid' padding/);
    expect(() => groupedConv2d(x, tf.zeros([3, 3, 6, 2]), { padding: [[1], [1]] as never })).toThrow(/padding must be 'same', 'valid' or \[\[top, bottom\], \[left, right\]\]/);
    expect(() => groupedConv2d(x, tf.zeros([3, 3, 6, 2]), { strides: 2, dilations: 2 })).toThrow(/cannot combine strides/);
  }));
});

describe('padding helpers', () => {
  it('TF SAME is asymmetric on stride 2 with even input; symmetric k//2 as PyTorch', () => {
    expect(samePadding(4, 3, 2)).toEqual([0, 1]);
    expect(samePadding(5, 3, 2)).toEqual([1, 1]);
    expect(samePadding(8, 1, 2)).toEqual([0, 0]);
    expect(samePadding(7, 3, 1)).toEqual([1, 1]);
    expect(samePadding(9, 3, 1, 2)).toEqual([2, 2]);
    expect(symmetricPadding(3, 2)).toEqual([[1, 1], [1, 1]]);
    expect(symmetricPadding(7)).toEqual([[3, 3], [3, 3]]);
    expect(symmetricPadding([1, 3])).toEqual([[0, 0], [1, 1]]);
  });
});
