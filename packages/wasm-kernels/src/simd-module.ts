/**
 * Our WebAssembly SIMD kernels (simd-kernels.wat), instantiated on the wasm backend's own memory so
 * that they work on tensors where the backend keeps them, by heap offset, without copies. One
 * instance per backend memory. Where the backend's memory cannot be found (a tfjs-backend-wasm
 * build laid out differently), `simdKernels` gives null and callers take their JavaScript path.
 *
 * Two builds of the same source: plain SIMD, and relaxed SIMD whose multiply-adds are
 * `f32x4.relaxed_madd` / `relaxed_nmadd` (fused on CPUs with FMA). The relaxed one is used where the
 * engine validates it (Chrome ≥ 114, Node ≥ 22, Node 20 with `--experimental-wasm-relaxed-simd`)
 * unless `NF_WASM_RELAXED=0` is set or `setSimdFlavour('simd')` was called; `simdFlavour()` says which.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { SIMD_KERNELS_WASM_BASE64, SIMD_KERNELS_WASM_BASE64_RELAXED } from './simd-kernels-wasm.js';

/** 'relaxed': the build with relaxed-SIMD FMA; 'simd': plain WebAssembly SIMD. */
export type SimdFlavour = 'relaxed' | 'simd';

export interface SimdKernels {
  /** out[M, N] = A·B (+ bias[N] per row unless bias is 0), B [K, N] row-major, A's element (r, i) at a + 4·(r·ars + i·acs); see the .wat. */
  matmul_rows(a: number, ars: number, acs: number, b: number, out: number, m: number, k: number, n: number, bias: number): void;
  /** out = e^x, n float32 values. */
  exp_f32(x: number, out: number, n: number): void;
  /** out = erf(x), n float32 values. */
  erf_f32(x: number, out: number, n: number): void;
  /** out = GELU(x) = ½x(1 + erf(x/√2)), n float32 values. */
  gelu_f32(x: number, out: number, n: number): void;
  /** out = dy·GELU′(x), n float32 values. */
  gelu_grad_f32(dy: number, x: number, out: number, n: number): void;
  /** Column moments of x [rows, cols], float64: s1 += x, s2 += x²; with dy ≠ 0 also s3 += dy·x, s4 += dy. */
  col_moments(x: number, dy: number, rows: number, cols: number, s1: number, s2: number, s3: number, s4: number): void;
  /** out = a·dy + (x − mean)·b − shift per column (the a·dy term only when dy ≠ 0). */
  ws_apply(x: number, dy: number, mean: number, a: number, b: number, shift: number, out: number, rows: number, cols: number): void;
  /** x as [outer, rows, cols]: out[o, c] = Σ_r x[o, r, c] / divisor. */
  sum_middle(x: number, out: number, outer: number, rows: number, cols: number, divisor: number): void;
  /** `count` times, src and dst moving by srcStep and dstStep: dst[c·dstStride + r] = src[r·srcStride + c] (a [rows, cols] matrix transposed). */
  transpose_2d(src: number, dst: number, rows: number, cols: number, srcStride: number, dstStride: number, count: number, srcStep: number, dstStep: number): void;
}

/** What we need of the wasm backend: the Emscripten module's memory and its tensor table. */
interface WasmBackendInternals {
  wasm?: { asm?: { memory?: unknown } };
  dataIdMap?: { get(dataId: object): { memoryOffset: number | null } | undefined };
}

/** The WebAssembly API used here (the package's TypeScript libs declare none of it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: abstract new (...args: never[]) => object;
  validate(bytes: Uint8Array): boolean;
}

const wasmApi = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;
const instances = { relaxed: new WeakMap<object, SimdKernels>(), simd: new WeakMap<object, SimdKernels>() };
/** The memories we instantiated on, to find the kernels for a heap view's buffer. */
const memories: Array<WeakRef<{ buffer: ArrayBufferLike }>> = [];
const compiled: Partial<Record<SimdFlavour, object>> = {};
let chosen: SimdFlavour | undefined;

/**
 * (module (func (param f32 f32 f32) (result f32) (f32x4.extract_lane 0 (f32x4.relaxed_madd
 *   (f32x4.splat (local.get 0)) (f32x4.splat (local.get 1)) (f32x4.splat (local.get 2))))))
 */
const RELAXED_PROBE = 'AGFzbQEAAAABCAFgA319fQF9AwIBAAoWARQAIAD9EyAB/RMgAv0T/YUC/R8ACw==';

const bytesOf = (base64: string) => Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));

/** Whether this engine accepts relaxed-SIMD multiply-adds now (asked of WebAssembly.validate, no flag assumed). */
export function relaxedSimdSupported(): boolean {
  return wasmApi !== undefined && wasmApi.validate(bytesOf(RELAXED_PROBE));
}

/** NF_WASM_RELAXED from the environment where there is one (Node), else undefined (browsers). */
function relaxedSetting(): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NF_WASM_RELAXED;
}

/**
 * The build the kernels use: decided at the first call (or by `setSimdFlavour`) and kept —
 * 'relaxed' where it validates unless NF_WASM_RELAXED=0, else 'simd'.
 */
export function simdFlavour(): SimdFlavour {
  chosen ??= relaxedSetting() !== '0' && relaxedSimdSupported() ? 'relaxed' : 'simd';
  return chosen;
}

/**
 * Makes the kernels use `flavour` from now on (undefined: decide again as `simdFlavour` does); for
 * tests and benchmarks that compare the two. 'relaxed' throws where the engine does not validate it.
 */
export function setSimdFlavour(flavour: SimdFlavour | undefined): void {
  if (flavour === 'relaxed' && !relaxedSimdSupported()) {
    throw new Error('@nf/wasm-kernels: this engine does not validate relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd); use \'simd\'.');
  }
  if (flavour !== undefined && flavour !== 'relaxed' && flavour !== 'simd') throw new Error(`@nf/wasm-kernels: SIMD flavour 'relaxed' or 'simd', got ${String(flavour)}.`);
  chosen = flavour;
}

function kernelModule(api: WebAssemblyApi, flavour: SimdFlavour): object {
  compiled[flavour] ??= new api.Module(bytesOf(flavour === 'relaxed' ? SIMD_KERNELS_WASM_BASE64_RELAXED : SIMD_KERNELS_WASM_BASE64));
  return compiled[flavour];
}

/** The kernels on `backend`'s memory, or null when that memory is not reachable. */
export function simdKernels(backend: unknown): SimdKernels | null {
  const memory = (backend as WasmBackendInternals).wasm?.asm?.memory;
  if (!wasmApi || typeof memory !== 'object' || memory === null || !(memory instanceof wasmApi.Memory)) return null;
  const flavour = simdFlavour();
  let kernels = instances[flavour].get(memory);
  if (!kernels) {
    kernels = new wasmApi.Instance(kernelModule(wasmApi, flavour), { env: { memory } }).exports as SimdKernels;
    instances[flavour].set(memory, kernels);
    if (!memories.some((ref) => ref.deref() === memory)) memories.push(new WeakRef(memory as { buffer: ArrayBufferLike }));
  }
  return kernels;
}

/** The kernels on `backend`'s memory, for a kernel (`what`) that has no other way to run. */
export function requireSimdKernels(backend: unknown, what: string): SimdKernels {
  const simd = simdKernels(backend);
  if (simd === null) throw new Error(`@nf/wasm-kernels: the wasm backend memory is not reachable; ${what} cannot run.`);
  return simd;
}

/**
 * The kernels working on `buffer`, when it is the current buffer of a backend memory they were
 * set up on (a view made before the memory grew has a detached buffer and gets null).
 */
export function simdForBuffer(buffer: ArrayBufferLike): SimdKernels | null {
  for (const ref of memories) {
    const memory = ref.deref();
    if (memory && memory.buffer === buffer) return instances[simdFlavour()].get(memory) ?? null;
  }
  return null;
}

/** Byte offset of a tensor's values in the backend's memory. */
export function heapOffset(backend: unknown, t: tf.TensorInfo): number {
  const offset = (backend as WasmBackendInternals).dataIdMap?.get(t.dataId)?.memoryOffset;
  if (typeof offset !== 'number') throw new Error(`@nf/wasm-kernels: tensor of shape [${t.shape.join(', ')}] has no data in the wasm heap.`);
  return offset;
}
