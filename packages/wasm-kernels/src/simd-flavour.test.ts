import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import { relaxedSimdSupported, setSimdFlavour, simdFlavour } from './index.js';
import { heapOffset, simdKernels, type SimdKernels } from './simd-module.js';
import { erf64 } from './test-support/erf64.js';
import { fma32, mulAdd32 } from './test-support/fma32.js';

/** The project's build (vitest.config.ts): NF_WASM_RELAXED=0 → plain, else relaxed. */
const PROJECT_FLAVOUR = process.env.NF_WASM_RELAXED === '0' ? 'simd' : 'relaxed';

// @ts-expect-error: a plain .mjs script without types
const script = (await import('../../../scripts/wat-to-ts.mjs')) as { relaxWat(text: string): string; fmaSites(text: string): number };
const wabt = await (await import('wabt')).default();
/** The WebAssembly API (the package's TypeScript libs declare none of it). */
const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: unknown } } }).WebAssembly;

/** Whether this engine's relaxed madd is fused (an FMA CPU), asked of a module of its own. */
function engineFuses(): boolean {
  const mod = wabt.parseWat('probe.wat', `(module (func (export "f") (param f32 f32 f32) (result f32)
    (f32x4.extract_lane 0 (f32x4.relaxed_madd (f32x4.splat (local.get 0)) (f32x4.splat (local.get 1)) (f32x4.splat (local.get 2))))))`, { simd: true, relaxed_simd: true });
  const { f } = new wasm.Instance(new wasm.Module(mod.toBinary({}).buffer)).exports as { f(a: number, b: number, c: number): number };
  mod.destroy();
  const [x, y] = [Math.fround(1 + 2 ** -23), Math.fround(1 - 2 ** -23)];
  return f(x, y, -1) !== 0;
}

const random = (seed: number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
};
const filled = (n: number, scale: number, rand: () => number) => Float32Array.from({ length: n }, () => rand() * scale);

describe(`our SIMD kernels: this project runs the '${PROJECT_FLAVOUR}' build`, () => {
  useWasmBackend();

  it('simdFlavour() names the build the project asks for (relaxed: validated, not a fallback)', () => {
    expect(simdFlavour()).toBe(PROJECT_FLAVOUR);
    if (PROJECT_FLAVOUR === 'relaxed') expect(relaxedSimdSupported()).toBe(true);
  });

  // (1 + 2⁻²³)(1 − 2⁻²³) − 1 = −2⁻⁴⁶: fused it survives, rounded first it is 0. Through tf.matMul
  // (few rows by an untransposed B: our matmul_rows) in vector lanes (N = 8) and tails (N = 1, 3).
  for (const n of [1, 3, 8]) {
    it(`tf.matMul gives the ${PROJECT_FLAVOUR === 'relaxed' ? 'fused' : 'unfused'} product where the two differ, N = ${n}`, () => {
      const fused = PROJECT_FLAVOUR === 'relaxed' && engineFuses();
      const [x, y] = [Math.fround(1 + 2 ** -23), Math.fround(1 - 2 ** -23)];
      const a = tf.tensor2d([1, x, 1, x], [2, 2]);
      const b = tf.tensor2d([...new Array<number>(n).fill(-1), ...new Array<number>(n).fill(y)], [2, n]);
      const out = tf.matMul(a, b);
      expect(Array.from(out.dataSync())).toEqual(new Array<number>(2 * n).fill(fused ? -(2 ** -46) : 0));
      tf.dispose([a, b, out]);
    });
  }

  it('NF_WASM_RELAXED=0 picks the plain build; setSimdFlavour forces one and undefined decides again', () => {
    const saved = process.env.NF_WASM_RELAXED;
    try {
      process.env.NF_WASM_RELAXED = '0';
      setSimdFlavour(undefined);
      expect(simdFlavour()).toBe('simd');
      setSimdFlavour('simd');
      expect(simdFlavour()).toBe('simd');
      if (relaxedSimdSupported()) {
        setSimdFlavour('relaxed');
        expect(simdFlavour()).toBe('relaxed');
      } else {
        expect(() => setSimdFlavour('relaxed')).toThrow(/does not validate relaxed SIMD/);
      }
    } finally {
      process.env.NF_WASM_RELAXED = saved;
      setSimdFlavour(undefined);
    }
    expect(simdFlavour()).toBe(PROJECT_FLAVOUR);
  });

  it('the relaxed build is the .wat with every (;fma;) site fused, and nothing else', () => {
    const wat = readFileSync(fileURLToPath(new URL('./simd-kernels.wat', import.meta.url)), 'utf8');
    const relaxed = script.relaxWat(wat);
    const fusedOps = (relaxed.match(/f32x4\.relaxed_n?madd/g) ?? []).length;
    expect(script.fmaSites(wat)).toBe(30);
    expect(fusedOps).toBe(30);
    // Removing the fused forms' spelling gives back the same number of every other instruction.
    const count = (text: string, op: string) => text.split(op).length - 1;
    for (const op of ['v128.load', 'v128.store', 'f32.load', 'call $erf4', 'call $exp4', 'f32x4.div']) expect(count(relaxed, op), op).toBe(count(wat, op));
  });
});

/** Both builds instantiated on the backend's memory (needs an engine that validates relaxed SIMD). */
function bothBuilds(): { plain: SimdKernels; relaxed: SimdKernels } {
  setSimdFlavour('simd');
  const plain = simdKernels(tf.backend())!;
  setSimdFlavour('relaxed');
  const relaxed = simdKernels(tf.backend())!;
  setSimdFlavour(undefined);
  return { plain, relaxed };
}

describe.runIf(PROJECT_FLAVOUR === 'relaxed')('each kernel from both builds: the relaxed one bit-different but as close', () => {
  useWasmBackend();
  afterAll(() => setSimdFlavour(undefined));
  const at = (t: tf.Tensor) => heapOffset(tf.backend(), t);
  /** Runs `kernel` on tensors made of `inputs` and an output of `n` values; the output's values. */
  const run = (inputs: Float32Array[], n: number, kernel: (offsets: number[], out: number) => void) => {
    const ts = inputs.map((x) => tf.tensor1d(x));
    const out = tf.zeros([n]);
    kernel(ts.map(at), at(out));
    const got = (out.dataSync() as Float32Array).slice();
    tf.dispose([...ts, out]);
    return got;
  };
  const differing = (x: Float32Array, y: Float32Array) => x.filter((v, i) => !Object.is(v, y[i])).length;

  it('matmul_rows: plain = float32 mul-then-add and relaxed = FMA, bit for bit, in order of K; both to γ_K of float64', () => {
    const { plain, relaxed } = bothBuilds();
    const fuses = engineFuses();
    const rand = random(7);
    for (const [m, k, n] of [[5, 300, 37], [3, 7, 4], [2, 1, 9], [4, 1152, 77]] as const) {
      const [a, b, bias] = [filled(m * k, 1, rand), filled(k * n, 1, rand), filled(n, 0.5, rand)];
      const call = (kern: SimdKernels) => run([a, b, bias], m * n, ([ao, bo, biaso], out) => kern.matmul_rows(ao!, k, 1, bo!, out, m, k, n, biaso!));
      const [gotPlain, gotRelaxed] = [call(plain), call(relaxed)];
      for (let r = 0; r < m; r++) {
        for (let j = 0; j < n; j++) {
          let [sp, sf, s64, abs] = [0, 0, 0, 0];
          for (let i = 0; i < k; i++) {
            const [x, y] = [a[r * k + i]!, b[i * n + j]!];
            sp = mulAdd32(x, y, sp);
            sf = fuses ? fma32(x, y, sf) : mulAdd32(x, y, sf);
            s64 += x * y;
            abs += Math.abs(x * y);
          }
          const o = r * n + j;
          expect(gotPlain[o]).toBe(Math.fround(sp + bias[j]!));
          expect(gotRelaxed[o]).toBe(Math.fround(sf + bias[j]!));
          const bound = (k + 1) * 2 ** -24 * (abs + Math.abs(bias[j]!));
          expect(Math.abs(gotRelaxed[o]! - s64 - bias[j]!)).toBeLessThanOrEqual(bound);
        }
      }
      if (fuses && k > 1) expect(differing(gotPlain, gotRelaxed), `M=${m} K=${k} N=${n}`).toBeGreaterThan(0);
    }
  });

  it('ws_apply (forward and backward form): unfused in both builds (memory-bound: not worth it), bit for bit as float32 ops', () => {
    const { plain, relaxed } = bothBuilds();
    const rand = random(11);
    const [rows, cols] = [9, 23];
    const [x, dy] = [filled(rows * cols, 1, rand), filled(rows * cols, 2, rand)];
    const [mean, a, b, shift] = [filled(cols, 0.1, rand), filled(cols, 3, rand), filled(cols, 1.5, rand), filled(cols, 0.2, rand)];
    for (const withDy of [true, false]) {
      const call = (kern: SimdKernels) =>
        run([x, dy, mean, a, b, shift], rows * cols, ([xo, dyo, mo, ao, bo, so], out) => kern.ws_apply(xo!, withDy ? dyo! : 0, mo!, ao!, bo!, so!, out, rows, cols));
      for (const got of [call(plain), call(relaxed)]) {
        for (let i = 0; i < rows * cols; i++) {
          const c = i % cols;
          const y = Math.fround(Math.fround(x[i]! - mean[c]!) * b[c]!);
          expect(got[i]).toBe(Math.fround((withDy ? mulAdd32(a[c]!, dy[i]!, y) : y) - shift[c]!));
        }
      }
    }
  });

  // The elementwise functions against float64, each build to its documented accuracy (relative to
  // the value's magnitude); the relaxed one must differ somewhere (its polynomials are fused).
  const xs = Float32Array.from({ length: 20011 }, (_, i) => Math.fround(-9 + (18 * i) / 20010));
  const dys = Float32Array.from({ length: xs.length }, (_, i) => Math.fround(0.25 + ((i * 37) % 17) / 8));
  const ulp = (v: number) => Math.max(2 ** (Math.floor(Math.log2(Math.abs(v) || 2 ** -126)) - 23), 2 ** -149);
  const cases: Array<[string, (k: SimdKernels, o: number[], out: number) => void, (i: number) => number, (want: number) => number, Float32Array[]]> = [
    ['exp_f32 over [−9, 9] (2 ulp)', (k, [x], out) => k.exp_f32(x!, out, xs.length), (i) => Math.exp(xs[i]!), (w) => 2 * ulp(w), [xs]],
    ['erf_f32 over [−9, 9] (6 ulp)', (k, [x], out) => k.erf_f32(x!, out, xs.length), (i) => erf64(xs[i]!), (w) => 6 * ulp(w), [xs]],
    ['gelu_f32 (2e-6, relative above 1)', (k, [x], out) => k.gelu_f32(x!, out, xs.length), (i) => 0.5 * xs[i]! * (1 + erf64(xs[i]! / Math.SQRT2)), (w) => 2e-6 * Math.max(1, Math.abs(w)), [xs]],
    [
      'gelu_grad_f32 (2e-6, relative above 1)',
      (k, [dy, x], out) => k.gelu_grad_f32(dy!, x!, out, xs.length),
      (i) => dys[i]! * (0.5 * (1 + erf64(xs[i]! / Math.SQRT2)) + (xs[i]! * Math.exp(-0.5 * xs[i]! * xs[i]!)) / Math.sqrt(2 * Math.PI)),
      (w) => 2e-6 * Math.max(1, Math.abs(w)),
      [dys, xs],
    ],
  ];
  for (const [name, kernel, exact, tolerance, inputs] of cases) {
    it(name, () => {
      const { plain, relaxed } = bothBuilds();
      const [gotPlain, gotRelaxed] = [plain, relaxed].map((k) => run(inputs, xs.length, (o, out) => kernel(k, o, out)));
      let [worstPlain, worstRelaxed] = [0, 0];
      for (let i = 0; i < xs.length; i++) {
        const want = exact(i);
        worstPlain = Math.max(worstPlain, Math.abs(gotPlain![i]! - want) / tolerance(want));
        worstRelaxed = Math.max(worstRelaxed, Math.abs(gotRelaxed![i]! - want) / tolerance(want));
      }
      expect(worstPlain, 'plain, in tolerances').toBeLessThanOrEqual(1);
      expect(worstRelaxed, 'relaxed, in tolerances').toBeLessThanOrEqual(1);
      if (engineFuses()) expect(differing(gotPlain!, gotRelaxed!)).toBeGreaterThan(0);
    });
  }
});
