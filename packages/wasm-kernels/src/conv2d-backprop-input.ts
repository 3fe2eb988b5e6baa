/**
 * A faster Conv2DBackpropInput for the wasm backend (upstream's runs at ~2 GFLOP/s).
 * dX is the forward convolution (XNNPACK) of the output gradient — zero-inserted by the stride and
 * padded by (k − 1 − pad) — with the filter rotated by 180° and its in/out channels swapped:
 *   dX[h] = Σᵢ U[h + top − i]·W[i] = Σᵢ′ Upad[h + i′]·W[k−1−i′].
 * With a stride s > 1 the zero-inserted form spends (s² − 1)/s² of its multiplications on zeros, so
 * the phase form splits dX by the residue of (h + top) mod s: each phase r is a stride-1
 * convolution of dy with the sub-filter of taps i ≡ r (mod s),
 *   dX[h] = Σₜ dy[⌊(h + top)/s⌋ − t]·W[r + s·t],
 * and the s_h·s_w phases interleave by concatenation on the last axis (a free reshape does the rest).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backpropInfo, type ConvBackpropAttrs } from './conv-attrs.js';
import { padOrCrop } from './conv-patches.js';
import { transposeBlock, zeroInsert } from './js-layout.js';
import { withContext, type KernelContext } from './kernel-context.js';

export interface BackpropInputOptions {
  /**
   * dX with at most this many channels (a stem conv's 3) is computed as a matrix product
   * dy·Wᵀ → [N·OH·OW, kh·kw·cin] scattered back into dX in JavaScript (col2im): the convolution
   * forms hand XNNPACK a convolution with cin output channels, which it runs at a few % of its
   * peak. Default COL2IM_MAX_CHANNELS; 0 never, Infinity always.
   */
  col2imMaxChannels?: number;
  /**
   * Strided convs: 'auto' (default) takes the phase form when dX has ≥ 16 channels (2–3× faster
   * on F0's 128-channel shapes; with few channels its interleaving copies cost more than the
   * zeros it skips), true always, false never (the zero-inserted form).
   */
  phaseForm?: boolean | 'auto';
}

/** dX channels up to which the col2im form is taken (measured on wasm, F0's stem, 3 channels: 2.2 → 5–6 GFLOP/s). */
export const COL2IM_MAX_CHANNELS = 4;

/** dX channels from which the phase form pays (measured on wasm: 0.5× at 3–4, 0.8× at 8, 1.25× at 16, 2.8× at 128). */
export const PHASE_FORM_MIN_CHANNELS = 16;

export function conv2dBackpropInputKernel(backendName: string, options: BackpropInputOptions = {}): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const convAttrs = attrs as unknown as ConvBackpropAttrs & { inputShape: [number, number, number, number] };
      const filterShape = filter.shape as [number, number, number, number];
      const info = backpropInfo('Conv2DBackpropInput', convAttrs, convAttrs.inputShape, filterShape, dy.shape, false);
      return withContext(backend, backendName, (ctx) => {
        if (filterShape[2] <= (options.col2imMaxChannels ?? COL2IM_MAX_CHANNELS)) return col2imForm(ctx, dy, filter, info);
        const strided = info.strideHeight > 1 || info.strideWidth > 1;
        const phases = options.phaseForm ?? 'auto';
        if (strided && (phases === true || (phases === 'auto' && filterShape[2] >= PHASE_FORM_MIN_CHANNELS))) return phaseForm(ctx, dy, filter, info);
        const [, oh, ow] = dy.shape as [number, number, number, number];
        const [fh, fw, cin] = filterShape;
        const { strideHeight: sh, strideWidth: sw } = info;
        const up = zeroInsert(ctx, dy, sh, sw);
        const top = fh - 1 - info.padInfo.top;
        const left = fw - 1 - info.padInfo.left;
        const bottom = info.inHeight + fh - 1 - top - oh * sh;
        const right = info.inWidth + fw - 1 - left - ow * sw;
        const padded = padOrCrop(ctx, up, top, bottom, left, right);
        const swapped = phaseFilter(ctx, filter, { tap0: 0, taps: fh }, { tap0: 0, taps: fw }, 1, 1);
        const out = ctx.run('Conv2D', { x: padded, filter: swapped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
        if (out.shape[3] !== cin) throw new Error('@nf/wasm-kernels: internal shape error in Conv2DBackpropInput.');
        return out;
      });
    },
  };
}

/** One residue class of one spatial axis: which dX rows it fills and which dy rows and taps it reads. */
interface AxisPhase {
  /** dX rows first, first + s, …: `count` of them. */
  first: number;
  count: number;
  /** Taps of this phase: k_r = ⌈(k − r)/s⌉ of them, r, r + s, … (tap0 = r). */
  taps: number;
  tap0: number;
  /** Padding (negative: cropping) of dy before the stride-1 'valid' convolution. */
  before: number;
  after: number;
}

/** The s phases of one axis, ordered by their first dX row (0 … s − 1). */
function axisPhases(inSize: number, outSize: number, k: number, s: number, padBefore: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const first = (((r - padBefore) % s) + s) % s;
    const count = first < inSize ? Math.ceil((inSize - first) / s) : 0;
    const taps = r < k ? Math.ceil((k - r) / s) : 0;
    // dX[first + s·j] = Σₜ dy[q0 + j − t]·W[r + s·t], q0 = (first + pad − r)/s.
    const q0 = (first + padBefore - r) / s;
    const before = taps - 1 - q0;
    phases.push({ first, count, taps, tap0: r, before, after: count + taps - 1 - before - outSize });
  }
  return phases.sort((a, b) => a.first - b.first);
}

/**
 * The phase's filter for the stride-1 convolution over dy: its taps r + s·t of W [kh, kw, cin, cout]
 * in reverse order, with the channel axes swapped: out[a, b, co, ci] = W[rₕ + sₕ·(tₕ − 1 − a),
 * r_w + s_w·(t_w − 1 − b), ci, co]; with r = 0 and s = 1, the whole filter rotated by 180°.
 * One pass in JavaScript, the [cin, cout] → [cout, cin] swap in tiles that stay in cache: tfjs's
 * StridedSlice and Reverse on wasm cost more than the convolution they feed (Reverse: ~29 ns per
 * element, 1.3 s of NFNet-F0's 7.4 s step at 64² batch 8).
 */
function phaseFilter(ctx: KernelContext, filter: tf.TensorInfo, rp: Taps, cp: Taps, sh: number, sw: number): tf.TensorInfo {
  const [, fw, cin, cout] = filter.shape as [number, number, number, number];
  const { info, values } = ctx.output([rp.taps, cp.taps, cout, cin]);
  // Views of the wasm heap die when it grows: read the filter only after allocating.
  const w = ctx.values(filter);
  const block = cin * cout;
  let o = 0;
  for (let a = 0; a < rp.taps; a++) {
    const i = rp.tap0 + sh * (rp.taps - 1 - a);
    for (let b = 0; b < cp.taps; b++) {
      const j = cp.tap0 + sw * (cp.taps - 1 - b);
      transposeBlock(w, (i * fw + j) * block, values, o, cin, cout);
      o += block;
    }
  }
  return info;
}

/** The taps of one axis a phase filter takes: tap0, tap0 + s, … (`taps` of them). */
type Taps = Pick<AxisPhase, 'tap0' | 'taps'>;

function phaseForm(ctx: KernelContext, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const [n, oh, ow] = dy.shape as [number, number, number, number];
  const [fh, fw, cin] = filter.shape as [number, number, number, number];
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth } = info;
  const rowsPer = Math.ceil(inHeight / sh);
  const colsPer = Math.ceil(inWidth / sw);
  const rowPhases = axisPhases(inHeight, oh, fh, sh, info.padInfo.top);
  const colPhases = axisPhases(inWidth, ow, fw, sw, info.padInfo.left);
  const rows = rowPhases.map((rp) => {
    const cols = colPhases.map((cp) => {
      if (rp.taps === 0 || cp.taps === 0 || rp.count === 0 || cp.count === 0) {
        return ctx.run('Fill', {}, { shape: [n, rowsPer, colsPer, cin], value: 0, dtype: 'float32' });
      }
      const sub = phaseFilter(ctx, filter, rp, cp, sh, sw);
      const pads = [rp.before, rp.after, cp.before, cp.after];
      // Padding inside the convolution saves a copy of dy; a crop (negative amount) needs a slice.
      const part = pads.every((p) => p >= 0)
        ? ctx.run('Conv2D', { x: dy, filter: sub }, { strides: [1, 1], pad: [[0, 0], [pads[0], pads[1]], [pads[2], pads[3]], [0, 0]], dataFormat: 'NHWC', dilations: [1, 1] })
        : ctx.run('Conv2D', { x: padOrCrop(ctx, dy, pads[0]!, pads[1]!, pads[2]!, pads[3]!), filter: sub }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] });
      return padOrCrop(ctx, part, 0, rowsPer - rp.count, 0, colsPer - cp.count);
    });
    // [N, R, C, cin] × sw on the last axis → [N, R, C·sw·cin] = rows of [C·sw, cin], columns interleaved.
    const joined = cols.length === 1 ? cols[0]! : ctx.run('Concat', cols as never, { axis: 3 });
    return ctx.run('Reshape', { x: joined }, { shape: [n, rowsPer, colsPer * sw * cin] });
  });
  const all = rows.length === 1 ? rows[0]! : ctx.run('Concat', rows as never, { axis: 2 });
  const grid = ctx.run('Reshape', { x: all }, { shape: [n, rowsPer * sh, colsPer * sw, cin] });
  return padOrCrop(ctx, grid, 0, inHeight - rowsPer * sh, 0, inWidth - colsPer * sw);
}

/**
 * dX = col2im(dy·Wᵀ): the product [N·OH·OW, cout]·[kh·kw·cin, cout]ᵀ gives, for every output
 * pixel, its contribution to each tap's input pixel; one JavaScript pass adds them into place.
 */
function col2imForm(ctx: KernelContext, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const [n, oh, ow, cout] = dy.shape as [number, number, number, number];
  const [fh, fw, cin] = filter.shape as [number, number, number, number];
  const { strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const { top, left } = info.padInfo;
  const taps = fh * fw * cin;
  const rows = ctx.run('Reshape', { x: dy }, { shape: [n * oh * ow, cout] });
  const kernel = ctx.run('Reshape', { x: filter }, { shape: [taps, cout] });
  const cols = ctx.run('BatchMatMul', { a: rows, b: kernel }, { transposeA: false, transposeB: true });
  const { info: out, values: dx } = ctx.output([n, h, w, cin]);
  dx.fill(0);
  // Views of the wasm heap die when it grows: read only after allocating.
  const c = ctx.values(cols);
  // For one output pixel and tap row i, taps j = 0 … kw − 1 land on consecutive dX columns and
  // sit consecutively in its row of the product: one run of (j1 − j0)·cin additions.
  let p = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++, p += taps) {
        const w0 = x * sw - left;
        const j0 = Math.max(0, -w0);
        const j1 = Math.min(fw, w - w0);
        if (j1 <= j0) continue;
        const run = (j1 - j0) * cin;
        for (let i = 0; i < fh; i++) {
          const hi = y * sh + i - top;
          if (hi < 0 || hi >= h) continue;
          const to = ((b * h + hi) * w + w0 + j0) * cin;
          const from = p + (i * fw + j0) * cin;
          for (let m = 0; m < run; m++) dx[to + m] = dx[to + m]! + c[from + m]!;
        }
      }
    }
  }
  return out;
}
