import { describe, expect, it } from 'vitest';
import { clipArrayInPlace } from '@nf/agc';
import { relaxedSimdSupported, simdFlavour, type SimdFlavour } from '@nf/wasm-kernels';
import { HostKernels, MAX_MEMORY_BYTES, unitsOf, type MomentumConstants } from './host-kernels.js';
import { fma32, mulAdd32, relaxedMaddFuses } from '../../test/fma32.js';

/**
 * The JavaScript reference: tf.train.momentum's ops in float32 (Math.fround after each), every
 * multiply-add rounded once with `fused` (the relaxed build on an FMA CPU).
 */
function refMomentum(g: Float32Array, w: Float32Array, a: Float32Array, k: MomentumConstants, fused = false): void {
  const f = Math.fround;
  const madd = fused ? fma32 : mulAdd32;
  const [m, c, decay] = [f(k.momentum), f(k.step), f(k.decay)];
  for (let i = 0; i < g.length; i++) {
    const gi = decay > 0 ? madd(w[i]!, decay, g[i]!) : g[i]!;
    const ai = madd(a[i]!, m, gi);
    a[i] = ai;
    w[i] = k.nesterov ? madd(c, madd(ai, m, gi), w[i]!) : madd(c, ai, w[i]!);
  }
}

/** Whether the relaxed build's multiply-adds are fused here, asked of its momentum_rows on one value. */
function hostFuses(): boolean {
  return relaxedMaddFuses((x, y, z) => {
    // a ← a·m + g with a = x, m = y, g = z: the first multiply-add of the update.
    const [g, w, acc] = [Float32Array.of(z), Float32Array.of(0), Float32Array.of(x)];
    new HostKernels(1, 4, 0, 'relaxed').momentum(g, w, acc, 1, false, { momentum: y, step: 0, decay: 0, nesterov: false });
    return acc[0]!;
  });
}

// vitest.config.ts runs these tests with --experimental-wasm-relaxed-simd, as nf-train runs.
const FLAVOURS: SimdFlavour[] = ['simd', 'relaxed'];

describe('the host kernels\' builds', () => {
  it('both are available here (relaxed SIMD on, as in nf-train); plain is the default, relaxed on request', () => {
    expect(relaxedSimdSupported()).toBe(true);
    expect(simdFlavour()).toBe('relaxed');
    expect(new HostKernels(4).flavour).toBe('simd');
    expect(new HostKernels(4, 8, 0, 'relaxed').flavour).toBe('relaxed');
  });

  it('the relaxed build fuses on this machine as its probe says, and differs from the plain one there', () => {
    const fuses = hostFuses();
    const rand = random(99);
    const n = 4099;
    const [g, w, a] = [filled(n, 0.05, rand), filled(n, 0.3, rand), filled(n, 0.01, rand)];
    const k: MomentumConstants = { momentum: 0.9, step: -0.1, decay: 5e-5, nesterov: true };
    const out = (flavour: SimdFlavour) => {
      const [wc, ac] = [w.slice(), a.slice()];
      new HostKernels(1, 64, 0, flavour).momentum(g, wc, ac, 1, false, k);
      return wc;
    };
    const [plain, relaxed] = [out('simd'), out('relaxed')];
    expect(firstDifference(plain, relaxed) >= 0).toBe(fuses);
    // Close either way: within a few float32 roundings of the terms' magnitudes.
    plain.forEach((v, i) => {
      const terms = Math.abs(w[i]!) + 0.1 * (Math.abs(g[i]!) + 5e-5 * Math.abs(w[i]!) + 0.9 * Math.abs(a[i]!));
      expect(Math.abs(v - relaxed[i]!)).toBeLessThanOrEqual(6 * 2 ** -24 * terms);
    });
  });
});

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

function filled(n: number, scale: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * scale);
}

/** Index of the first value whose bits differ, or -1 (a fast toEqual for large arrays). */
function firstDifference(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  const [a, b] = [new Uint32Array(x.buffer, x.byteOffset, x.length), new Uint32Array(y.buffer, y.byteOffset, y.length)];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

const SHAPES: number[][] = [[], [1], [7], [3, 5], [4, 8], [2, 3, 3], [3, 3, 6, 13], [1, 1, 40, 36], [5, 1031], [2, 3, 3, 4, 4], [9000], [3, 3, 64, 128]];
const CHUNKS = [4, 13, 64, 16384];

for (const flavour of FLAVOURS) describe(`HostKernels (the ${flavour} build) against the JavaScript reference, bit for bit`, () => {
  // The relaxed build rounds each multiply-add once on an FMA CPU (the fused reference), else as the plain one.
  const fused = flavour === 'relaxed' && hostFuses();
  for (const shape of SHAPES) {
    for (const chunk of CHUNKS) {
      for (const placement of ['copied', 'in place', 'mixed'] as const) {
      it(`AGC + decay + Nesterov/heavy-ball momentum, shape [${shape}], chunk ${chunk}, buffers ${placement}`, () => {
        const size = shape.reduce((n, d) => n * d, 1);
        const units = unitsOf(shape);
        const rand = random(size * 31 + chunk);
        // Room for the three buffers of each of the four settings below.
        const kernels = new HostKernels(Math.max(units, 3), chunk, placement === 'copied' ? 0 : 12 * (size + 4), flavour);
        /** A copy of `x` where the placement puts operand `i` (0 g, 1 w, 2 a): the module's memory or an ordinary array. */
        const put = (x: Float32Array, i: number) => {
          if (placement === 'copied' || (placement === 'mixed' && i === 1)) return x;
          const here = kernels.allocate(x.length);
          if (here === null) throw new Error('no room allocated');
          here.set(x);
          expect(kernels.holds(here)).toBe(true);
          return here;
        };
        for (const [nesterov, decay, clipping] of [[true, 2e-5, 0.01], [false, 0, 0.01], [true, 0, 0], [false, 1e-3, 0.5]] as const) {
          const g = put(filled(size, 0.05, rand), 0);
          const w = put(filled(size, 0.3, rand), 1);
          const a = put(filled(size, 0.01, rand), 2);
          const [gRef, wRef, aRef] = [g.slice(), w.slice(), a.slice()];
          const gBefore = g.slice();
          const k: MomentumConstants = { momentum: 0.9, step: -0.1, decay, nesterov };
          let scaled = false;
          if (clipping > 0) {
            const stat = kernels.clipScales(g, w, units, clipping);
            const refStat = clipArrayInPlace(gRef, wRef, shape, { clipping });
            expect(stat).toEqual(refStat);
            scaled = stat.clippedUnits > 0;
          }
          kernels.momentum(g, w, a, units, scaled, k);
          refMomentum(gRef, wRef, aRef, k, fused);
          expect(firstDifference(g, gBefore)).toBe(-1);
          expect(firstDifference(w, wRef)).toBe(-1);
          expect(firstDifference(a, aRef)).toBe(-1);
        }
      });
      }
    }
  }

  it('clips some units and not others on a conv-shaped parameter (the factors are used)', () => {
    const shape = [3, 3, 8, 12];
    const size = 3 * 3 * 8 * 12;
    const rand = random(5);
    const g = Float32Array.from({ length: size }, (_, i) => rand() * (i % 12 < 6 ? 1 : 1e-4));
    const w = filled(size, 0.2, rand);
    const a = new Float32Array(size);
    const kernels = new HostKernels(12, 64, 0, flavour);
    const stat = kernels.clipScales(g, w, 12, 0.01);
    expect(stat.clippedUnits).toBe(6);
    const gRef = g.slice();
    clipArrayInPlace(gRef, w.slice(), shape, { clipping: 0.01 });
    const [wRef, aRef] = [w.slice(), a.slice()];
    kernels.momentum(g, w, a, 12, true, { momentum: 0.9, step: -1, decay: 0, nesterov: false });
    refMomentum(gRef, wRef, aRef, { momentum: 0.9, step: -1, decay: 0, nesterov: false }, fused);
    expect(w).toEqual(wRef);
    expect(Array.from(a)).toEqual(Array.from(gRef));
  });

  it('sums squares in float64 to 1e-12 of a sequential sum, and passes NaN and Inf through', () => {
    for (const n of [0, 1, 3, 4, 5, 63, 100003]) {
      const x = filled(n, 7, random(n));
      let ref = 0;
      for (const v of x) ref += v * v;
      const got = new HostKernels(1, 1024, 0, flavour).sumSquares(x);
      expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-12 * ref);
    }
    const k = new HostKernels(1, 8, 0, flavour);
    expect(k.sumSquares(Float32Array.from([1, 2, Number.NaN, 4, 5]))).toBeNaN();
    expect(k.sumSquares(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, Number.POSITIVE_INFINITY]))).toBe(Number.POSITIVE_INFINITY);
  });

  it('adds arrays as float32 additions do', () => {
    for (const n of [0, 3, 4, 17, 5000]) {
      const rand = random(n + 1);
      const [x, y] = [filled(n, 3, rand), filled(n, 1e-3, rand)];
      const ref = Float32Array.from(x, (v, i) => v + y[i]!);
      new HostKernels(1, 16, 0, flavour).addInto(x, y);
      expect(firstDifference(x, ref)).toBe(-1);
    }
    expect(() => new HostKernels(1).addInto(new Float32Array(3), new Float32Array(2))).toThrow(/2 values added to 3/);
  });

  it('propagates a non-finite gradient into the weights as the reference does', () => {
    const g = Float32Array.from([1, Number.NaN, 3, Number.POSITIVE_INFINITY, 5]);
    const [w, a] = [new Float32Array(5).fill(1), new Float32Array(5)];
    const [wRef, aRef] = [w.slice(), a.slice()];
    const k = { momentum: 0.9, step: -0.1, decay: 1e-4, nesterov: true };
    new HostKernels(5, 4, 0, flavour).momentum(g, w, a, 5, false, k);
    refMomentum(g, wRef, aRef, k, fused);
    expect(Array.from(w)).toEqual(Array.from(wRef));
    expect(Number.isNaN(w[1]!)).toBe(true);
  });

  it('hands out zeroed, distinct buffers from the room reserved, then null; none past the memory limit', () => {
    const k = new HostKernels(4, 8, 10);
    const a = k.allocate(5)!;
    const b = k.allocate(3)!;
    expect(Array.from(a)).toEqual([0, 0, 0, 0, 0]);
    a.fill(1);
    expect(Array.from(b)).toEqual([0, 0, 0]);
    expect(k.holds(a) && k.holds(b) && !k.holds(new Float32Array(3))).toBe(true);
    expect(k.allocate(64)).toBeNull();
    expect(new HostKernels(4, 8, MAX_MEMORY_BYTES / 4).allocate(1)).toBeNull();
  });

  it('rejects arrays that do not fit the kernels, naming the numbers', () => {
    const k = new HostKernels(4, 8);
    expect(() => k.clipScales(new Float32Array(10), new Float32Array(10), 5, 0.01)).toThrow(/5 units; these kernels were made for 1 to 4/);
    expect(() => k.clipScales(new Float32Array(10), new Float32Array(10), 4, 0.01)).toThrow(/10 values are not whole rows of 4/);
    expect(() => k.momentum(new Float32Array(8), new Float32Array(4), new Float32Array(8), 4, false, { momentum: 0.9, step: -1, decay: 0, nesterov: true })).toThrow(/parameter 4/);
    expect(() => new HostKernels(0)).toThrow(/maxUnits must be a positive integer/);
  });
});

describe('host-kernels-wasm.ts', () => {
  it('holds the bytes scripts/wat-to-ts.mjs compiles from host-kernels.wat (run build:wasm after editing the .wat)', async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { renderWat } = (await import('../../../../scripts/wat-to-ts.mjs')) as { renderWat(input: string, exportName: string): Promise<string> };
    const { readFileSync } = await import('node:fs');
    const { fileURLToPath } = await import('node:url');
    const committed = readFileSync(new URL('./host-kernels-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await renderWat(fileURLToPath(new URL('./host-kernels.wat', import.meta.url)), 'HOST_KERNELS_WASM_BASE64'));
  });
});
