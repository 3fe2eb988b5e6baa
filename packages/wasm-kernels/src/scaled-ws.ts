/**
 * Scaled Weight Standardization as two fused kernels for the wasm backend, `NfScaledWS` and
 * `NfScaledWSGrad` — the names @nf/ws-conv's `standardizeWeight` looks for (with its registered
 * gradient). The composite is ~12 kernels forward and ~25 backward, nine of them passes over the
 * whole weight: for NFNet-F0's 71 M parameters that was ~0.2 s of a 2.6 s training step on wasm.
 * Here two passes each way in our SIMD code (simd-kernels.wat): the column moments in float64
 * (`col_moments`: Σw, Σw², and backward Σdy·w, Σdy too), then one pass writing the result (`ws_apply`).
 *
 * Inputs: `weight` [kh, kw, in/groups, out] (any rank ≥ 1; the last axis is the output channel,
 * the others the fan-in N), `gain` [out]. Attributes: `convention` ('deepmind' | 'timm' | 'plain'),
 * `eps`, `gamma`. Forward: gain·γ·φ(var)·(w − mean) per output channel, φ = rsqrt(max(N·var, eps))
 * (deepmind), rsqrt(var + eps)/√N (timm), rsqrt(var + eps) (plain); biased variance. Backward
 * (inputs `dy`, `weight`, `gain`): [d weight, d gain].
 */
import type * as tf from '@tensorflow/tfjs-core';
import { KernelContext } from './kernel-context.js';
import { heapOffset, requireSimdKernels, type SimdKernels } from './simd-module.js';

export const SCALED_WS_KERNEL = 'NfScaledWS';
export const SCALED_WS_GRAD_KERNEL = 'NfScaledWSGrad';

export interface ScaledWsAttrs {
  convention: 'deepmind' | 'timm' | 'plain';
  eps: number;
  gamma: number;
}

/** Per-column scratch in the heap: four float64 moments and the float32 rows `ws_apply` reads. */
interface Columns {
  s1: Float64Array;
  s2: Float64Array;
  s3: Float64Array;
  s4: Float64Array;
  mean: Float32Array;
  a: Float32Array;
  b: Float32Array;
  shift: Float32Array;
  at: { s1: number; s2: number; s3: number; s4: number; mean: number; a: number; b: number; shift: number };
}

function check(inputs: tf.TensorInfo[], where: string): { rows: number; cols: number } {
  const [weight, gain] = inputs.slice(-2) as [tf.TensorInfo, tf.TensorInfo];
  for (const t of inputs) if (t.dtype !== 'float32') throw new Error(`@nf/wasm-kernels: ${where} takes float32 tensors, got ${t.dtype}.`);
  const cols = weight.shape[weight.shape.length - 1] ?? 1;
  const size = weight.shape.reduce((p, d) => p * d, 1);
  const gainSize = gain.shape.reduce((p, d) => p * d, 1);
  if (weight.shape.length < 1 || cols === 0 || gainSize !== cols) {
    throw new Error(`@nf/wasm-kernels: ${where} needs a gain with one value per output channel (${cols}), got shape [${gain.shape.join(', ')}].`);
  }
  return { rows: size / cols, cols };
}

/** Allocates the column scratch (before any view is taken: views die when the heap grows). */
function columnScratch(ctx: KernelContext, cols: number): () => Columns {
  const { info } = ctx.output([12 * cols]);
  return () => {
    const base = heapOffset(ctx.backend, info);
    const buffer = ctx.values(info).buffer;
    const f64 = (k: number) => new Float64Array(buffer, base + 8 * k * cols, cols);
    const f32 = (k: number) => new Float32Array(buffer, base + 32 * cols + 4 * k * cols, cols);
    const at = { s1: base, s2: base + 8 * cols, s3: base + 16 * cols, s4: base + 24 * cols, mean: base + 32 * cols, a: base + 36 * cols, b: base + 40 * cols, shift: base + 44 * cols };
    return { s1: f64(0), s2: f64(1), s3: f64(2), s4: f64(3), mean: f32(0), a: f32(1), b: f32(2), shift: f32(3), at };
  };
}

/**
 * One pass of column moments (with dy: its dot products too); sets `mean` (float32, what
 * `ws_apply` subtracts) and returns the biased variances, E[w²] − mean² in float64 (≥ 0).
 */
function columnMoments(simd: SimdKernels, c: Columns, w: number, dy: number, rows: number, cols: number): Float64Array {
  for (const m of [c.s1, c.s2, c.s3, c.s4]) m.fill(0);
  simd.col_moments(w, dy, rows, cols, c.at.s1, c.at.s2, c.at.s3, c.at.s4);
  const variance = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const mean = c.s1[j]! / rows;
    c.mean[j] = mean;
    variance[j] = Math.max(0, c.s2[j]! / rows - mean * mean);
  }
  return variance;
}

/** φ(var) of the convention (see the module comment). */
function inverseScale(attrs: ScaledWsAttrs, variance: number, n: number): number {
  if (attrs.convention === 'deepmind') return 1 / Math.sqrt(Math.max(n * variance, attrs.eps));
  if (attrs.convention === 'timm') return 1 / Math.sqrt(variance + attrs.eps) / Math.sqrt(n);
  return 1 / Math.sqrt(variance + attrs.eps);
}

/** φ'(var)/φ(var): −½·N/(N·var) above the deepmind floor (0 on it), −½/(var + eps) otherwise. */
function logSlope(attrs: ScaledWsAttrs, variance: number, n: number): number {
  if (attrs.convention === 'deepmind') return n * variance > attrs.eps ? (-0.5 * n) / (n * variance) : 0;
  return -0.5 / (variance + attrs.eps);
}

export function scaledWsKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: SCALED_WS_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { weight, gain } = inputs as { weight: tf.TensorInfo; gain: tf.TensorInfo };
      const a = attrs as unknown as ScaledWsAttrs;
      const { rows, cols } = check([weight, gain], SCALED_WS_KERNEL);
      const simd = requireSimdKernels(backend, 'the fused Scaled WS');
      const ctx = new KernelContext(backend as never, backendName);
      try {
        const scratch = columnScratch(ctx, cols);
        const { info: out } = ctx.output([...weight.shape]);
        const c = scratch();
        const w = heapOffset(backend, weight);
        const variance = columnMoments(simd, c, w, 0, rows, cols);
        const g = ctx.values(gain);
        for (let j = 0; j < cols; j++) {
          c.b[j] = a.gamma * inverseScale(a, variance[j]!, rows) * g[j]!;
          c.shift[j] = 0;
        }
        simd.ws_apply(w, 0, c.at.mean, c.at.a, c.at.b, c.at.shift, heapOffset(backend, out), rows, cols);
        return ctx.keep(out);
      } finally {
        ctx.release();
      }
    },
  };
}

export function scaledWsGradKernel(backendName: string): tf.KernelConfig {
  return {
    kernelName: SCALED_WS_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, weight, gain } = inputs as { dy: tf.TensorInfo; weight: tf.TensorInfo; gain: tf.TensorInfo };
      const a = attrs as unknown as ScaledWsAttrs;
      const { rows, cols } = check([dy, weight, gain], SCALED_WS_GRAD_KERNEL);
      if (dy.shape.length !== weight.shape.length || dy.shape.some((d, i) => d !== weight.shape[i])) {
        throw new Error(`@nf/wasm-kernels: ${SCALED_WS_GRAD_KERNEL} needs dy shaped as the weight [${weight.shape.join(', ')}], got [${dy.shape.join(', ')}].`);
      }
      const simd = requireSimdKernels(backend, 'the fused Scaled WS');
      const ctx = new KernelContext(backend as never, backendName);
      try {
        const scratch = columnScratch(ctx, cols);
        const { info: dw } = ctx.output([...weight.shape]);
        const { info: dGain } = ctx.output([...gain.shape]);
        const c = scratch();
        const w = heapOffset(backend, weight);
        const variance = columnMoments(simd, c, w, heapOffset(backend, dy), rows, cols);
        const g = ctx.values(gain);
        const dg = ctx.values(dGain);
        for (let j = 0; j < cols; j++) {
          const gammaR = a.gamma * inverseScale(a, variance[j]!, rows);
          const s = gammaR * g[j]!;
          // Σ dy·(w − mean), with the float32 mean that ws_apply subtracts; Σ (w − mean) likewise.
          const mean = c.mean[j]!;
          const dot = c.s3[j]! - mean * c.s4[j]!;
          const centredSum = c.s1[j]! - rows * mean;
          const slope = s * logSlope(a, variance[j]!, rows) * dot * (2 / rows);
          c.a[j] = s;
          c.b[j] = slope;
          // The column mean of s·dy + (w − mean)·slope, subtracted so that dw sums to 0 per column.
          c.shift[j] = (s * c.s4[j]! + slope * centredSum) / rows;
          dg[j] = gammaR * dot;
        }
        simd.ws_apply(w, heapOffset(backend, dy), c.at.mean, c.at.a, c.at.b, c.at.shift, heapOffset(backend, dw), rows, cols);
        return [ctx.keep(dw), ctx.keep(dGain)];
      } finally {
        ctx.release();
      }
    },
  };
}
