/**
 * The parameter update on the host, for backends whose tensors live in JavaScript memory (cpu,
 * wasm): AGC → coupled weight decay → SGD with (Nesterov) momentum, as one pass per parameter over
 * flat Float32Arrays instead of ~20 tensor ops per parameter. On wasm a small net's update is
 * otherwise ~1,900 kernel calls per step, a third of the whole step (op dispatch, not arithmetic).
 *
 * The arithmetic follows tf.train.momentum operation by operation in float32: accumulation ←
 * accumulation·m + g; Nesterov: w ← w + (−lr)·(g + accumulation·m), else w ← w + (−lr)·accumulation.
 * AGC is @nf/agc's rule with float64 sums of squares, so the two paths agree to float32 rounding.
 * The passes run in WebAssembly SIMD (host-kernels.ts), bit-identical to the same loops in
 * JavaScript. The state reads and writes in tf.train.momentum's format ('iter', then
 * '<variable>/momentum' in variable order), so checkpoints move between the two.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedTensor } from '../checkpoints/checkpoint.js';
import { flatOffsets } from './flat-layout.js';
import { DataIds, float32Tensor, readFloat32Into } from './host-io.js';
import { HOST_KERNEL_CHUNK, HostKernels, unitsOf } from './host-kernels.js';
import { decays, isClassifier, isClassifierWeight } from './param-groups.js';

/** Backends whose tensors are JavaScript memory: reading and writing them costs a copy, not a device round trip. */
export function updatesOnHost(backend: string): boolean {
  return backend === 'cpu' || backend === 'wasm';
}

/** What `HostMomentum.apply` needs besides the buffers; the same fields as the step options. */
export interface HostUpdateOptions {
  clipping: number;
  weightDecay: number;
  /** Update only the classifier (head-only epochs): the other variables, their momentum and their
   * part of `weights` are left as they are. */
  headOnly?: boolean;
}

export class HostMomentum {
  /** Engine names of the variables, in update order. */
  readonly names: string[];
  readonly shapes: number[][];
  /** Element offset of each variable in the flat buffers. */
  readonly offsets: number[];
  /** Elements of all variables together. */
  readonly total: number;
  private readonly accumulation: Float32Array;
  private iterations = 0;
  private gradBuffer: Float32Array | undefined;
  private weightBuffer: Float32Array | undefined;
  /** The variables' data when `weightBuffer` last matched them. */
  private readonly weightIds = new DataIds();
  private readonly kernels: HostKernels;

  constructor(
    vars: readonly tf.Variable[],
    readonly momentum: number,
    readonly nesterov: boolean,
    /** The host kernels' build (plain by default: see host-kernels.ts). */
    flavour: 'relaxed' | 'simd' = 'simd',
  ) {
    if (!(momentum >= 0 && momentum < 1)) throw new Error(`momentum must be in [0, 1), got ${momentum}.`);
    this.names = vars.map((v) => v.name);
    this.shapes = vars.map((v) => [...v.shape]);
    ({ offsets: this.offsets, total: this.total } = flatOffsets(this.shapes));
    // The three flat buffers in the kernels' own memory when they fit: worked on there, no copies.
    this.kernels = new HostKernels(Math.max(1, ...this.shapes.map(unitsOf)), HOST_KERNEL_CHUNK, 3 * this.total, flavour);
    this.accumulation = this.buffer();
  }

  /** Which build of the host kernels this optimizer runs (see host-kernels.ts). */
  get simdFlavour(): 'relaxed' | 'simd' {
    return this.kernels.flavour;
  }

  /** Reads one gradient per variable (in order) into the optimizer's flat gradient buffer, reused every
   * step; `undefined` (a frozen variable of a head-only step) reads as zeros. */
  readGradients(tensors: ReadonlyArray<tf.Tensor | undefined>): Float32Array {
    this.gradBuffer ??= this.buffer();
    return this.readInto(tensors, this.gradBuffer);
  }

  /** Adds another flat gradient (a data-parallel worker's) into `grads`, in float32. */
  addGradients(grads: Float32Array, other: Float32Array): void {
    this.checkLength(grads, 'gradient');
    this.kernels.addInto(grads, other);
  }

  /**
   * The variables' values in the optimizer's flat weight buffer, reused every step: read only when
   * a variable holds other data than the buffer last matched (after `apply` wrote both, it does not).
   */
  readWeights(vars: readonly tf.Variable[]): Float32Array {
    this.weightBuffer ??= this.buffer();
    if (this.weightIds.unchanged(vars)) return this.weightBuffer;
    this.readInto(vars, this.weightBuffer);
    this.weightIds.record(vars);
    return this.weightBuffer;
  }

  /** ‖g‖ over all of `grads` (flat) and the variables whose gradient holds a NaN or Inf. */
  scan(grads: Float32Array): { gradNorm: number; nonFiniteParams: string[] } {
    this.checkLength(grads, 'gradient');
    let sumSquares = 0;
    const nonFiniteParams: string[] = [];
    this.names.forEach((name, k) => {
      const s = this.kernels.sumSquares(this.view(grads, k));
      if (!Number.isFinite(s)) nonFiniteParams.push(name);
      sumSquares += s;
    });
    return { gradNorm: Math.fround(Math.sqrt(sumSquares)), nonFiniteParams };
  }

  /**
   * One update of `weights` (flat, the current values of the variables) with the finite
   * full-batch gradient `grads` (flat, left unchanged: AGC's factors and weight decay are applied
   * on the fly; check it with `scan` first).
   * Writes the new weights into `weights` and into the variables; returns the fraction of AGC
   * units clipped.
   */
  apply(vars: readonly tf.Variable[], grads: Float32Array, weights: Float32Array, lr: number, options: HostUpdateOptions): { clipFraction: number } {
    this.checkLength(grads, 'gradient');
    this.checkLength(weights, 'weight');
    if (vars.length !== this.names.length) throw new Error(`HostMomentum.apply: ${vars.length} variables given, the optimizer was made for ${this.names.length}.`);
    let allUnits = 0;
    let clippedUnits = 0;
    const f = Math.fround;
    const constants = { momentum: f(this.momentum), step: f(-lr), nesterov: this.nesterov };
    const wd = f(options.weightDecay);
    const frozen = (name: string) => options.headOnly === true && !isClassifier(name);
    this.names.forEach((name, k) => {
      if (frozen(name)) return;
      const g = this.view(grads, k);
      const w = this.view(weights, k);
      const units = unitsOf(this.shapes[k]!);
      let scaled = false;
      if (options.clipping > 0 && !isClassifierWeight(name)) {
        const stat = this.kernels.clipScales(g, w, units, options.clipping);
        allUnits += stat.units;
        clippedUnits += stat.clippedUnits;
        scaled = stat.clippedUnits > 0;
      }
      const decay = wd > 0 && decays(name) ? wd : 0;
      this.kernels.momentum(g, w, this.view(this.accumulation, k), units, scaled, { ...constants, decay });
    });
    this.iterations += 1;
    tf.tidy(() =>
      vars.forEach((v, k) => {
        if (!frozen(this.names[k]!)) v.assign(float32Tensor(this.view(weights, k), this.shapes[k]!));
      }),
    );
    if (weights === this.weightBuffer) this.weightIds.record(vars);
    else this.weightIds.forget();
    return { clipFraction: allUnits ? clippedUnits / allUnits : 0 };
  }

  /** The state in tf.train.momentum's format: new tensors, owned by the caller. */
  async getWeights(): Promise<NamedTensor[]> {
    return [
      { name: 'iter', tensor: tf.scalar(this.iterations, 'int32') },
      ...this.names.map((n, k) => ({ name: `${n}/momentum`, tensor: tf.tensor(this.view(this.accumulation, k).slice(), this.shapes[k]!) })),
    ];
  }

  /**
   * Restores state written by `getWeights` or by tf.train.momentum (positional, as tfjs does; shapes
   * checked). State without accumulations (an optimizer that never stepped) means zeros.
   */
  async setWeights(weights: NamedTensor[]): Promise<void> {
    const [iter, ...rest] = weights;
    if (!iter || iter.name !== 'iter') throw new Error(`optimizer state must start with 'iter', got '${iter?.name ?? '(nothing)'}'.`);
    if (rest.length !== 0 && rest.length !== this.names.length) {
      throw new Error(`optimizer state holds ${rest.length} momentum tensors but the model has ${this.names.length} variables; was it written for another model?`);
    }
    const values: Float32Array[] = [];
    for (const [k, { name, tensor }] of rest.entries()) {
      const want = this.shapes[k]!;
      if (tensor.shape.length !== want.length || tensor.shape.some((d, i) => d !== want[i])) {
        throw new Error(`optimizer state '${name}' has shape [${tensor.shape.join(', ')}] but variable '${this.names[k]}' has [${want.join(', ')}]; was it written for another model?`);
      }
      values.push((await tensor.data()) as Float32Array);
    }
    this.iterations = (await iter.tensor.data())[0]!;
    this.accumulation.fill(0);
    values.forEach((v, k) => this.accumulation.set(v, this.offsets[k]!));
  }

  /** Nothing to release (the state is JavaScript memory); here to match tf.Optimizer. */
  dispose(): void {}

  /** A zeroed flat buffer: in the kernels' memory when there is room, else an ordinary array. */
  private buffer(): Float32Array {
    return this.kernels.allocate(this.total) ?? new Float32Array(this.total);
  }

  private readInto(tensors: ReadonlyArray<tf.Tensor | undefined>, out: Float32Array): Float32Array {
    if (tensors.length !== this.names.length) throw new Error(`HostMomentum: expected ${this.names.length} tensors (one per variable), got ${tensors.length}.`);
    tensors.forEach((t, k) => (t ? readFloat32Into(t, out, this.offsets[k]!) : this.view(out, k).fill(0)));
    return out;
  }

  private checkLength(buffer: Float32Array, what: string): void {
    if (buffer.length !== this.total) throw new Error(`HostMomentum: the ${what} buffer holds ${buffer.length} values; the variables have ${this.total}.`);
  }

  private view(buffer: Float32Array, k: number): Float32Array {
    const start = this.offsets[k]!;
    return buffer.subarray(start, this.offsets[k + 1] ?? this.total);
  }
}
