import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks, tensorOf } from '../test/leak-check.js';
import { closeness, mulberry32, numericGrad, randomNormal, standardizeRef } from '../test/reference.js';
import { standardizeWeight, WsConvError, type WsConvention } from './index.js';

const SHAPES = [[3, 3, 4, 8], [1, 1, 16, 5], [3, 3, 1, 12], [5, 3, 2, 3], [3, 3, 128, 6], [1, 1, 1, 5]];
const CONVENTIONS: WsConvention[] = ['deepmind', 'timm', 'plain'];

describe.each(BACKENDS)('standardizeWeight on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  for (const convention of CONVENTIONS) {
    it.each(SHAPES.map((s) => [JSON.stringify(s), s] as const))(`${convention}: matches the float64 reference, kernel %s`, (_, shape) => {
      const rand = mulberry32(shape.reduce((a, b) => a * 7 + b, 3));
      const size = shape.reduce((a, b) => a * b, 1);
      const w = randomNormal(size, rand, 0.2);
      const out = shape[3]!;
      const gain = randomNormal(out, rand, 0.5).map((g) => 1 + g);
      for (const opts of [{}, { gain, gamma: 1.7139588594436646 }, { gain, eps: 1e-2 }] as Array<{ gain?: Float64Array; gamma?: number; eps?: number }>) {
        const wt = tensorOf(w, shape);
        const gt = opts.gain ? tensorOf(opts.gain, [out]) : undefined;
        const y = standardizeWeight(wt, { convention, gamma: opts.gamma, eps: opts.eps, gain: gt });
        const ref = standardizeRef(Float32Array.from(w), shape, convention, opts.gain ? { ...opts, gain: Float32Array.from(opts.gain) } : opts);
        expect(closeness(y.dataSync(), ref, 1e-4, 1e-5)).toBeLessThan(1);
        tf.dispose([wt, gt, y]);
      }
    });
  }

  it('the eps floor: a constant kernel does not divide by zero (deepmind max(N·var, eps); timm/plain var + eps)', () => {
    const w = tf.fill([3, 3, 2, 4], 0.5);
    for (const convention of CONVENTIONS) {
      const y = standardizeWeight(w, { convention });
      const values = Array.from(y.dataSync());
      // Zero up to the rounding of the float32 mean (the floor keeps the scale at most 1/sqrt(eps)).
      expect(values.every((v) => Number.isFinite(v) && Math.abs(v) < 1e-4), convention).toBe(true);
      y.dispose();
    }
    w.dispose();
  });

  it('reproduces timm: the shared fixture standardized weights (stem conv and a grouped conv)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/timm/tiny_dm_nfnet_public.json', import.meta.url), 'utf8'));
    const { readSafetensors } = safetensorsReader();
    const tensors = readSafetensors(new URL('../../../fixtures/timm/tiny_dm_nfnet_public.safetensors', import.meta.url));
    for (const entry of Object.values(fixture.standardized_weights) as Array<{ module: string; eps: number; groups: number; hwio: { shape: number[]; data: number[] } }>) {
      const weight = tensors[`${entry.module}.weight`]!;
      const gain = tensors[`${entry.module}.gain`]!;
      const [o, i, kh, kw] = weight.shape as [number, number, number, number];
      // OIHW → HWIO
      const w = tf.tidy(() => tf.transpose(tensorOf(weight.data, weight.shape), [2, 3, 1, 0]));
      const g = tensorOf(gain.data, [o]);
      const y = standardizeWeight(w, { convention: 'timm', gain: g, eps: entry.eps });
      const expected = entry.hwio.data;
      expect(y.shape).toEqual([kh, kw, i, o]);
      expect(entry.hwio.shape).toEqual([kh, kw, i, o]);
      expect(closeness(y.dataSync(), expected, 1e-5, 1e-6)).toBeLessThan(1);
      tf.dispose([w, g, y]);
    }
  });

  it('rejects bad rank, gain size, convention and eps, naming the fix', () => {
    const w = tf.zeros([3, 3, 4]);
    const w4 = tf.zeros([3, 3, 4, 2]);
    const g = tf.ones([3]);
    expect(() => standardizeWeight(w)).toThrow(/rank 4 \[kh, kw, in\/groups, out\], received shape \[3, 3, 4\]/);
    expect(() => standardizeWeight(w4, { gain: g })).toThrow(/gain must have 2 values/);
    expect(() => standardizeWeight(w4, { convention: 'keras' as WsConvention })).toThrow(WsConvError);
    expect(() => standardizeWeight(w4, { convention: 'keras' as WsConvention })).toThrow(/'deepmind', 'timm', 'plain'/);
    expect(() => standardizeWeight(w4, { eps: -1 })).toThrow(/eps must be a finite number >= 0/);
    tf.dispose([w, w4, g]);
  });
});

describe.each(BACKENDS)('standardizeWeight gradients on %s (custom backward)', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  const GRAD_SHAPES = [[3, 3, 2, 4], [1, 1, 6, 3], [3, 3, 1, 5]];
  const VARIANTS: Array<{ name: string; gain: boolean; gamma?: number }> = [{ name: 'gain', gain: true }, { name: 'no gain', gain: false }, { name: 'gain, gamma 1.7', gain: true, gamma: 1.7139588594436646 }];
  for (const convention of CONVENTIONS) {
    for (const variant of VARIANTS) {
      it.each(GRAD_SHAPES.map((s) => [JSON.stringify(s), s] as const))(`${convention}, ${variant.name}: d/dw and d/dgain match central differences of the float64 reference, kernel %s`, (_, shape) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const out = shape[3]!;
        const rand = mulberry32(99 + size);
        const w = randomNormal(size, rand, 0.3);
        const gain = randomNormal(out, rand, 0.3).map((v) => 1 + v);
        const r = randomNormal(size, rand); // random projection: loss = sum(r * W_hat)
        const opts = (gv: ArrayLike<number>) => ({ ...(variant.gain ? { gain: gv } : {}), ...(variant.gamma ? { gamma: variant.gamma } : {}) });
        const loss64 = (wv: ArrayLike<number>, gv: ArrayLike<number>) => standardizeRef(wv, shape, convention, opts(gv)).reduce((s, v, i) => s + v * r[i]!, 0);
        const wt = tensorOf(w, shape);
        const gt = tensorOf(gain, [out]);
        const rt = tensorOf(r, shape);
        const numW = numericGrad((v) => loss64(v, gain), w, 1e-4);
        if (variant.gain) {
          const [dw, dg] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(standardizeWeight(a, { convention, gain: b, gamma: variant.gamma }), rt)))([wt, gt]);
          const numG = numericGrad((v) => loss64(w, v), gain, 1e-4);
          expect(closeness(dw!.dataSync(), numW, 2e-3, 2e-4)).toBeLessThan(1);
          expect(closeness(dg!.dataSync(), numG, 2e-3, 2e-4)).toBeLessThan(1);
          tf.dispose([dw, dg]);
        } else {
          const dw = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(standardizeWeight(a, { convention, gamma: variant.gamma }), rt)))(wt);
          expect(closeness(dw.dataSync(), numW, 2e-3, 2e-4)).toBeLessThan(1);
          dw.dispose();
        }
        tf.dispose([wt, gt, rt]);
      });
    }
  }

  it('deepmind on the eps floor (a near-constant kernel): the variance path carries no gradient, as through tf.maximum', () => {
    // N·var = 9·2·var ≪ eps = 1e-4: Ŵ = (w − mean)·gain/√eps, linear in w.
    const shape = [3, 3, 2, 2];
    const rand = mulberry32(5);
    const w = randomNormal(36, rand, 1e-5).map((v) => v + 0.5);
    const r = randomNormal(36, rand);
    const loss64 = (wv: ArrayLike<number>) => standardizeRef(wv, shape, 'deepmind', {}).reduce((s, v, i) => s + v * r[i]!, 0);
    const wt = tensorOf(w, shape);
    const rt = tensorOf(r, shape);
    const dw = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(standardizeWeight(a), rt)))(wt);
    expect(closeness(dw.dataSync(), numericGrad(loss64, w, 1e-7), 2e-3, 1e-2)).toBeLessThan(1);
    tf.dispose([wt, rt, dw]);
  });

  it('tf.variableGrads through standardizeWeight reaches the kernel and gain variables; no tensor leak', () => {
    const k = tf.tidy(() => tf.variable(tf.randomNormal([3, 3, 4, 6], 0, 0.2, 'float32', 3)));
    const g = tf.tidy(() => tf.variable(tf.ones([6])));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(standardizeWeight(k, { gain: g }))) as tf.Scalar, [k, g]);
    expect(grads[k.name]!.shape).toEqual([3, 3, 4, 6]);
    // sum(Ŵ²) per column = gain²·N·var/max(N·var, eps) = gain² → d/dgain = 2·gain, d/dw ≈ 0.
    expect(closeness(grads[g.name]!.dataSync(), new Float64Array(6).fill(2), 1e-4, 1e-4)).toBeLessThan(1);
    expect(Math.max(...Array.from(grads[k.name]!.dataSync(), Math.abs))).toBeLessThan(1e-4);
    tf.dispose([value, grads[k.name]!, grads[g.name]!, k, g]);
  });
});

/** Minimal safetensors reader for the shared fixture (F32 only): 8-byte header length, JSON header, data. */
function safetensorsReader() {
  return {
    readSafetensors(url: URL): Record<string, { shape: number[]; data: Float32Array }> {
      const bytes = readFileSync(url);
      const headerLength = Number(bytes.readBigUInt64LE(0));
      const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      const base = 8 + headerLength;
      const out: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, info] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const [begin, end] = info.data_offsets;
        const slice = bytes.subarray(base + begin, base + end);
        out[name] = { shape: info.shape, data: new Float32Array(slice.buffer.slice(slice.byteOffset, slice.byteOffset + slice.byteLength)) };
      }
      return out;
    },
  };
}
