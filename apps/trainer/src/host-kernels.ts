/**
 * The host update's three passes over the flat buffers, in WebAssembly SIMD (host-kernels.wat):
 * Σ g² per parameter (the finiteness scan and ‖g‖), AGC's per-unit Σ g² and Σ w², and the fused
 * scale → decay → momentum → weight pass. The buffers stay ordinary Float32Arrays (the optimizer's,
 * a SharedArrayBuffer of the data-parallel workers, anything): each pass copies a chunk of at most
 * `chunk` values of each operand into the module's small memory, runs there (in cache), and copies
 * the results back, so there is no size limit and no copy of a whole model.
 *
 * Results are bit-identical to the JavaScript reference in host-kernels.test.ts (float32 ops in the
 * order tf.train.momentum applies them, float64 sums per unit in row order) except `sumSquares`,
 * which adds in four running sums. For NFNet-F0's 71 M parameters the three passes take ~0.1 s,
 * against ~0.9 s for the same loops in JavaScript (Math.fround after each op, float64 sums).
 */
import { unitClipScales, type ClipArrayStat } from '@nf/agc';
import { HOST_KERNELS_WASM_BASE64 } from './host-kernels-wasm.js';

interface KernelExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  sum_squares(p: number, n: number): number;
  unit_squares(g: number, w: number, rows: number, units: number, gsq: number, wsq: number): void;
  add_into(dst: number, src: number, n: number): void;
  momentum_rows(g: number, w: number, a: number, rows: number, units: number, scales: number, scaled: number, m: number, c: number, decay: number, nesterov: number): void;
}

/** Values per operand copied into the module at a time: three operands fit in a core's L2 cache. */
export const HOST_KERNEL_CHUNK = 16384;

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

let compiled: object | undefined;

function kernelModule(): object {
  compiled ??= new wasmApi.Module(Buffer.from(HOST_KERNELS_WASM_BASE64, 'base64'));
  return compiled;
}

export class HostKernels {
  readonly maxUnits: number;
  private readonly exports: KernelExports;
  private readonly f32: Float32Array;
  private readonly gSq: Float64Array;
  private readonly wSq: Float64Array;
  private readonly scales: Float32Array;
  /** Byte offsets of the operand chunks and the per-unit arrays in the module's memory. */
  private readonly at: { g: number; w: number; a: number; scales: number; gSq: number; wSq: number };

  /** Kernels for parameters of at most `maxUnits` AGC units; `chunk` values per copy (tests use small ones). */
  constructor(
    maxUnits: number,
    readonly chunk = HOST_KERNEL_CHUNK,
  ) {
    if (!Number.isInteger(maxUnits) || maxUnits < 1) throw new Error(`HostKernels: maxUnits must be a positive integer, got ${maxUnits}.`);
    if (!Number.isInteger(chunk) || chunk < 4) throw new Error(`HostKernels: chunk must be an integer ≥ 4, got ${chunk}.`);
    const span = Math.max(chunk, maxUnits);
    const f32Bytes = span * 4;
    const at = { g: 0, w: f32Bytes, a: 2 * f32Bytes, scales: 3 * f32Bytes, gSq: 4 * f32Bytes, wSq: 4 * f32Bytes + maxUnits * 8 };
    const bytes = at.wSq + maxUnits * 8;
    const exports = new wasmApi.Instance(kernelModule()).exports as unknown as KernelExports;
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
  }

  /** Σ x² in float64 (four running sums per chunk, chunks added in order). */
  sumSquares(x: Float32Array): number {
    let sum = 0;
    for (let i = 0; i < x.length; i += this.chunk) {
      const part = x.subarray(i, Math.min(i + this.chunk, x.length));
      this.f32.set(part, this.at.g / 4);
      sum += this.exports.sum_squares(this.at.g, part.length);
    }
    return sum;
  }

  /** dst ← dst + src, element by element in float32 (the data-parallel sum of the workers' gradients). */
  addInto(dst: Float32Array, src: Float32Array): void {
    if (src.length !== dst.length) throw new Error(`HostKernels.addInto: ${src.length} values added to ${dst.length}.`);
    const { g, w } = this.at;
    for (let i = 0; i < dst.length; i += this.chunk) {
      const end = Math.min(i + this.chunk, dst.length);
      this.f32.set(dst.subarray(i, end), g / 4);
      this.f32.set(src.subarray(i, end), w / 4);
      this.exports.add_into(g, w, end - i);
      dst.set(this.f32.subarray(g / 4, g / 4 + end - i), i);
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
      this.f32.set(grad.subarray(i, end), this.at.g / 4);
      this.f32.set(param.subarray(i, end), this.at.w / 4);
      this.exports.unit_squares(this.at.g, this.at.w, (end - i) / units, units, this.at.gSq, this.at.wSq);
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
      this.f32.set(grad.subarray(i, end), g / 4);
      this.f32.set(weight.subarray(i, end), w / 4);
      this.f32.set(accumulation.subarray(i, end), a / 4);
      const [rows, cols] = flat ? [1, n] : [n / units, units];
      this.exports.momentum_rows(g, w, a, rows, cols, this.at.scales, scaled ? 1 : 0, k.momentum, k.step, k.decay, k.nesterov ? 1 : 0);
      weight.set(this.f32.subarray(w / 4, w / 4 + n), i);
      accumulation.set(this.f32.subarray(a / 4, a / 4 + n), i);
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
