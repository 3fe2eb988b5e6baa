/**
 * The host update's three passes over the flat buffers, in WebAssembly SIMD (host-kernels.wat):
 * Σ g² per parameter (the finiteness scan and ‖g‖), AGC's per-unit Σ g² and Σ w², and the fused
 * scale → decay → momentum → weight pass. Buffers made by `allocate` live in the module's memory
 * and are worked on where they are; any other Float32Array (a SharedArrayBuffer of the data-parallel
 * workers, anything) is copied a chunk of at most `chunk` values at a time into the module's
 * scratch space (in cache) and the results copied back, so there is no size limit either way.
 *
 * Results are bit-identical to the JavaScript reference in host-kernels.test.ts (float32 ops in the
 * order tf.train.momentum applies them, float64 sums per unit in row order) except `sumSquares`,
 * which adds in four running sums. For NFNet-F0's 71 M parameters the three passes take ~0.1 s,
 * against ~0.9 s for the same loops in JavaScript (Math.fround after each op, float64 sums).
 *
 * Two builds of host-kernels.wat: plain SIMD (the above holds bit for bit), and relaxed SIMD whose
 * decay, momentum and weight-step multiply-adds are fused (`f32x4.relaxed_madd`; one rounding each,
 * bit for bit the fused reference on an FMA CPU). Plain is the default: the pass is memory-bound and
 * the relaxed build was no faster (bench/host-update-flavours.mjs: 1.01× the time for F0's 71.5 M
 * parameters), while plain keeps the update bit for bit tf.train.momentum's float32 ops on every CPU.
 */
import { unitClipScales, type ClipArrayStat } from '@nf/agc';
import type { SimdFlavour } from '@nf/wasm-kernels';
import { HOST_KERNELS_WASM_BASE64, HOST_KERNELS_WASM_BASE64_RELAXED } from './host-kernels-wasm.js';

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  sum_squares(p: number, n: number): number;
  unit_squares(g: number, w: number, rows: number, units: number, gsq: number, wsq: number): void;
  add_into(dst: number, src: number, n: number): void;
  momentum_rows(g: number, w: number, a: number, rows: number, units: number, scales: number, scaled: number, m: number, c: number, decay: number, nesterov: number): void;
}

/** Values per operand copied into the module at a time: three operands fit in a core's L2 cache. */
export const HOST_KERNEL_CHUNK = 16384;

/** The most memory the module takes for buffers to `allocate` (wasm32 allows 4 GiB; leave room). */
export const MAX_MEMORY_BYTES = 3 * 2 ** 30;

/** One SGD-with-momentum step's constants, as HostMomentum passes them (float32 values). */
export interface MomentumConstants {
  momentum: number;
  /** −learning rate. */
  step: number;
  /** Coupled weight decay (0: none). */
  decay: number;
  nesterov: boolean;
}

/** The number of AGC units of a parameter of `shape`: its last axis, or 1 for rank ≤ 1. */
export function unitsOf(shape: readonly number[]): number {
  return shape.length <= 1 ? 1 : shape[shape.length - 1]!;
}

/** The part of the WebAssembly API used here (the project's TypeScript libs declare none of it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

const compiled: Partial<Record<SimdFlavour, object>> = {};

function kernelModule(flavour: SimdFlavour): object {
  // atob, not Buffer: the step also runs in browsers (the playground's worker on the wasm backend).
  compiled[flavour] ??= new wasmApi.Module(Uint8Array.from(atob(flavour === 'relaxed' ? HOST_KERNELS_WASM_BASE64_RELAXED : HOST_KERNELS_WASM_BASE64), (c) => c.charCodeAt(0)));
  return compiled[flavour];
}

export class HostKernels {
  readonly maxUnits: number;
  private readonly exports: KernelExports;
  private readonly f32: Float32Array;
  private readonly memory: { buffer: ArrayBuffer };
  /** Next free byte and end of the space `allocate` hands out. */
  private arenaNext: number;
  private readonly arenaEnd: number;
  private readonly gSq: Float64Array;
  private readonly wSq: Float64Array;
  private readonly scales: Float32Array;
  /** Byte offsets of the operand chunks and the per-unit arrays in the module's memory. */
  private readonly at: { g: number; w: number; a: number; scales: number; gSq: number; wSq: number };

  /**
   * Kernels for parameters of at most `maxUnits` AGC units; `chunk` values per copy (tests use small
   * ones); room for `arenaFloats` values of buffers to `allocate` in the module's memory (none when
   * that would take the memory past MAX_ARENA_BYTES); `flavour`: which build (relaxed only where the
   * engine validates it: compiling throws otherwise).
   */
  constructor(
    maxUnits: number,
    readonly chunk = HOST_KERNEL_CHUNK,
    arenaFloats = 0,
    readonly flavour: SimdFlavour = 'simd',
  ) {
    if (!Number.isInteger(maxUnits) || maxUnits < 1) throw new Error(`HostKernels: maxUnits must be a positive integer, got ${maxUnits}.`);
    if (!Number.isInteger(chunk) || chunk < 4) throw new Error(`HostKernels: chunk must be an integer ≥ 4, got ${chunk}.`);
    const span = Math.max(chunk, maxUnits);
    const f32Bytes = span * 4;
    const at = { g: 0, w: f32Bytes, a: 2 * f32Bytes, scales: 3 * f32Bytes, gSq: 4 * f32Bytes, wSq: 4 * f32Bytes + maxUnits * 8 };
    const arenaStart = Math.ceil((at.wSq + maxUnits * 8) / 16) * 16;
    const arenaBytes = arenaStart + arenaFloats * 4 + 16 * 8 <= MAX_MEMORY_BYTES ? arenaFloats * 4 + 16 * 8 : 0;
    const bytes = arenaStart + arenaBytes;
    const exports = new wasmApi.Instance(kernelModule(flavour)).exports as unknown as KernelExports;
    const pages = Math.ceil(bytes / 65536) - exports.memory.buffer.byteLength / 65536;
    if (pages > 0) exports.memory.grow(pages);
    // Views made once: the memory never grows again.
    this.f32 = new Float32Array(exports.memory.buffer);
    this.gSq = new Float64Array(exports.memory.buffer, at.gSq, maxUnits);
    this.wSq = new Float64Array(exports.memory.buffer, at.wSq, maxUnits);
    this.scales = new Float32Array(exports.memory.buffer, at.scales, span);
    this.at = at;
    this.exports = exports;
    this.maxUnits = maxUnits;
    this.memory = exports.memory;
    this.arenaNext = arenaStart;
    this.arenaEnd = arenaStart + arenaBytes;
  }

  /**
   * A zeroed buffer of `length` values in the module's memory (the kernels work on it in place), or
   * null when the room reserved at construction is used up.
   */
  allocate(length: number): Float32Array | null {
    const bytes = Math.ceil((length * 4) / 16) * 16;
    if (this.arenaNext + bytes > this.arenaEnd) return null;
    const view = new Float32Array(this.memory.buffer, this.arenaNext, length);
    this.arenaNext += bytes;
    return view;
  }

  /** Whether `x` lives in the module's memory (then it is worked on in place). */
  holds(x: Float32Array): boolean {
    return x.buffer === this.memory.buffer;
  }

  /** Byte address of x[start …] for a kernel: x itself when it lives here, else a copy in the scratch region at `scratch`. */
  private place(x: Float32Array, start: number, end: number, scratch: number): number {
    if (this.holds(x)) return x.byteOffset + 4 * start;
    this.f32.set(x.subarray(start, end), scratch / 4);
    return scratch;
  }

  /** Copies a result back from the scratch region unless the kernel wrote x in place. */
  private writeBack(x: Float32Array, start: number, end: number, scratch: number): void {
    if (!this.holds(x)) x.set(this.f32.subarray(scratch / 4, scratch / 4 + end - start), start);
  }

  /** Σ x² in float64 (four running sums per chunk, chunks added in order). */
  sumSquares(x: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < x.length; i += this.chunk) {
      const end = Math.min(i + this.chunk, x.length);
      sum += this.exports.sum_squares(this.place(x, i, end, this.at.g), end - i);
    }
    return sum;
  }

  /** dst ← dst + src, element by element in float32 (the data-parallel sum of the workers' gradients). */
  addInto(dst: Float32Array, src: Float32Array): void {
    if (src.length !== dst.length) throw new Error(`HostKernels.addInto: ${src.length} values added to ${dst.length}.`);
    const { g, w } = this.at;
    for (let i = 0; i < dst.length; i += this.chunk) {
      const end = Math.min(i + this.chunk, dst.length);
      this.exports.add_into(this.place(dst, i, end, g), this.place(src, i, end, w), end - i);
      this.writeBack(dst, i, end, g);
    }
  }

  /**
   * AGC (@nf/agc's rule, `clipArrayInPlace` with its float64 row-order sums) for one parameter:
   * decides each unit's factor from `grad` and `param` (row-major, `units` per row) and keeps the
   * factors for the next `momentum` call with `scaled: true`. `grad` is not changed.
   */
  clipScales(grad: Float32Array, param: Float32Array, units: number, clipping: number): ClipArrayStat {
    this.checkUnits(grad, param, units);
    const gSq = this.gSq.subarray(0, units);
    const wSq = this.wSq.subarray(0, units);
    gSq.fill(0);
    wSq.fill(0);
    const rowsPerChunk = Math.max(1, Math.floor(this.chunkSpan() / units));
    const step = rowsPerChunk * units;
    for (let i = 0; i < grad.length; i += step) {
      const end = Math.min(i + step, grad.length);
      this.exports.unit_squares(this.place(grad, i, end, this.at.g), this.place(param, i, end, this.at.w), (end - i) / units, units, this.at.gSq, this.at.wSq);
    }
    return unitClipScales(gSq, wSq, this.scales.subarray(0, units), { clipping });
  }

  /**
   * The update of one parameter, in place on `weight` and `accumulation`: with `scaled`, the
   * gradient is first multiplied by the factors of the last `clipScales` (made for this
   * parameter); then decay, momentum and the weight step (see host-kernels.wat). `grad` is not changed.
   */
  momentum(grad: Float32Array, weight: Float32Array, accumulation: Float32Array, units: number, scaled: boolean, k: MomentumConstants): void {
    this.checkUnits(grad, weight, units);
    if (accumulation.length !== grad.length) throw new Error(`HostKernels.momentum: the accumulation holds ${accumulation.length} values, the gradient ${grad.length}.`);
    // One unit (rank ≤ 1), or no factors: the rows can be any length; spread a single factor over a chunk.
    const flat = !scaled || units === 1;
    if (scaled && units === 1) this.scales.fill(this.scales[0]!, 1, Math.min(this.chunk, grad.length));
    const step = flat ? this.chunk : Math.max(1, Math.floor(this.chunkSpan() / units)) * units;
    const { g, w, a } = this.at;
    for (let i = 0; i < grad.length; i += step) {
      const end = Math.min(i + step, grad.length);
      const n = end - i;
      const [rows, cols] = flat ? [1, n] : [n / units, units];
      const [gp, wp, ap] = [this.place(grad, i, end, g), this.place(weight, i, end, w), this.place(accumulation, i, end, a)];
      this.exports.momentum_rows(gp, wp, ap, rows, cols, this.at.scales, scaled ? 1 : 0, k.momentum, k.step, k.decay, k.nesterov ? 1 : 0);
      this.writeBack(weight, i, end, w);
      this.writeBack(accumulation, i, end, a);
    }
  }

  /** Values each operand's region holds: the chunk, or a whole row when rows are longer. */
  private chunkSpan(): number {
    return Math.max(this.chunk, this.maxUnits);
  }

  private checkUnits(grad: Float32Array, other: Float32Array, units: number): void {
    if (!Number.isInteger(units) || units < 1 || units > this.maxUnits) throw new Error(`HostKernels: ${units} units; these kernels were made for 1 to ${this.maxUnits}.`);
    if (grad.length % units !== 0) throw new Error(`HostKernels: ${grad.length} values are not whole rows of ${units} units.`);
    if (other.length !== grad.length) throw new Error(`HostKernels: the gradient holds ${grad.length} values but the parameter ${other.length}.`);
  }
}
