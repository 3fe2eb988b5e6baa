// Independent float64 reference implementations (plain JavaScript loops, no
// tfjs) used by the tests to check @nf/ws-conv's tfjs ops numerically.
// Written directly from the math; slow by design. Layouts follow TensorFlow.js:
// activations NHWC, conv weights HWIO [kh, kw, cin/groups, cout], all arrays
// flat row-major.

// ---------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------

/** Mulberry32 PRNG: returns a function producing uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n samples from N(0, std^2) via the Box–Muller transform. */
export function randomNormal(n: number, rand: () => number, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    let u1 = rand();
    while (u1 <= 0) u1 = rand();
    const u2 = rand();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = std * r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Padding
// ---------------------------------------------------------------------------

/** TensorFlow/JAX 'SAME' padding for one spatial axis: [lo, hi]. */
export function samePadding(
  inSize: number,
  k: number,
  stride: number,
  dilation = 1,
): [number, number] {
  const kEff = (k - 1) * dilation + 1;
  const out = Math.ceil(inSize / stride);
  const total = Math.max((out - 1) * stride + kEff - inSize, 0);
  const lo = Math.floor(total / 2);
  return [lo, total - lo];
}

export type Padding = 'same' | 'valid' | [[number, number], [number, number]];

/** Explicit [[top, bottom], [left, right]] padding for a 2-D window op. */
export function resolvePadding(
  padding: Padding,
  inH: number,
  inW: number,
  kh: number,
  kw: number,
  strides: [number, number],
  dilations: [number, number],
): [[number, number], [number, number]] {
  if (padding === 'valid') return [[0, 0], [0, 0]];
  if (padding === 'same') {
    return [
      samePadding(inH, kh, strides[0], dilations[0]),
      samePadding(inW, kw, strides[1], dilations[1]),
    ];
  }
  return [
    [padding[0][0], padding[0][1]],
    [padding[1][0], padding[1][1]],
  ];
}

// ---------------------------------------------------------------------------
// Convolution
// ---------------------------------------------------------------------------

export interface Conv2dRefOptions {
  strides?: [number, number];
  dilations?: [number, number];
  padding?: Padding;
  groups?: number;
}

/**
 * Direct-loop grouped 2-D convolution (cross-correlation, as in TF).
 * x: NHWC, w: HWIO [kh, kw, cin/groups, cout]. Zero padding.
 */
export function conv2dRef(
  x: ArrayLike<number>,
  xShape: number[],
  w: ArrayLike<number>,
  wShape: number[],
  opts: Conv2dRefOptions = {},
): { data: Float64Array; shape: [number, number, number, number] } {
  if (xShape.length !== 4) throw new Error(`conv2dRef: xShape must be rank 4, got [${xShape}]`);
  if (wShape.length !== 4) throw new Error(`conv2dRef: wShape must be rank 4, got [${wShape}]`);
  const [n, inH, inW, cin] = xShape as [number, number, number, number];
  const [kh, kw, cinPg, cout] = wShape as [number, number, number, number];
  const groups = opts.groups ?? 1;
  const strides = opts.strides ?? [1, 1];
  const dilations = opts.dilations ?? [1, 1];
  const padding = opts.padding ?? 'valid';

  if (!Number.isInteger(groups) || groups < 1) throw new Error(`conv2dRef: bad groups ${groups}`);
  if (cin % groups !== 0) throw new Error(`conv2dRef: cin ${cin} not divisible by groups ${groups}`);
  if (cout % groups !== 0) throw new Error(`conv2dRef: cout ${cout} not divisible by groups ${groups}`);
  if (cinPg * groups !== cin) {
    throw new Error(`conv2dRef: weight in-channels ${cinPg} * groups ${groups} != input channels ${cin}`);
  }
  if (x.length !== n * inH * inW * cin) throw new Error('conv2dRef: x length does not match xShape');
  if (w.length !== kh * kw * cinPg * cout) throw new Error('conv2dRef: w length does not match wShape');

  const [[pt, pb], [pl, pr]] = resolvePadding(padding, inH, inW, kh, kw, strides, dilations);
  const [sh, sw] = strides;
  const [dh, dw] = dilations;
  const khEff = (kh - 1) * dh + 1;
  const kwEff = (kw - 1) * dw + 1;
  const outH = Math.floor((inH + pt + pb - khEff) / sh) + 1;
  const outW = Math.floor((inW + pl + pr - kwEff) / sw) + 1;
  if (outH <= 0 || outW <= 0) throw new Error('conv2dRef: empty output');
  const coutPg = cout / groups;

  const out = new Float64Array(n * outH * outW * cout);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let o = 0; o < cout; o++) {
          const g = Math.floor(o / coutPg);
          let acc = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky * dh;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx * dw;
              if (ix < 0 || ix >= inW) continue;
              for (let ci = 0; ci < cinPg; ci++) {
                const c = g * cinPg + ci;
                const xv = x[((b * inH + iy) * inW + ix) * cin + c]!;
                const wv = w[((ky * kw + kx) * cinPg + ci) * cout + o]!;
                acc += xv * wv;
              }
            }
          }
          out[((b * outH + oy) * outW + ox) * cout + o] = acc;
        }
      }
    }
  }
  return { data: out, shape: [n, outH, outW, cout] };
}

// ---------------------------------------------------------------------------
// Numerical gradient
// ---------------------------------------------------------------------------

/** Central-difference gradient of scalar f at v (works on a copy; v is untouched). */
export function numericGrad(
  f: (v: Float64Array) => number,
  v: ArrayLike<number>,
  h = 1e-3,
): Float64Array {
  const p = Float64Array.from(v);
  const grad = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const orig = p[i]!;
    p[i] = orig + h;
    const fp = f(p);
    p[i] = orig - h;
    const fm = f(p);
    p[i] = orig; // restore after each probe
    grad[i] = (fp - fm) / (2 * h);
  }
  return grad;
}

// ---------------------------------------------------------------------------
// Weight standardization
// ---------------------------------------------------------------------------

export interface StandardizeRefOptions {
  gain?: ArrayLike<number>;
  gamma?: number;
  eps?: number;
}

/**
 * Weight standardization per output channel over (kh, kw, cinPerGroup) of an
 * HWIO weight. Mean and BIASED variance, N = kh*kw*cinPerGroup.
 *  - 'deepmind' (eps 1e-4): gain*gamma*(w-mean)/sqrt(max(N*var, eps))
 *  - 'timm'     (eps 1e-5): gain*gamma*(w-mean)/sqrt(var+eps)/sqrt(N)
 *  - 'plain'    (eps 1e-5): gain*gamma*(w-mean)/sqrt(var+eps)
 */
export function standardizeRef(
  w: ArrayLike<number>,
  wShape: number[],
  convention: 'deepmind' | 'timm' | 'plain',
  opts: StandardizeRefOptions = {},
): Float64Array {
  if (wShape.length !== 4) throw new Error(`standardizeRef: wShape must be rank 4, got [${wShape}]`);
  const [kh, kw, cinPg, cout] = wShape as [number, number, number, number];
  const N = kh * kw * cinPg;
  if (w.length !== N * cout) throw new Error('standardizeRef: w length does not match wShape');
  const gamma = opts.gamma ?? 1;
  const eps = opts.eps ?? (convention === 'deepmind' ? 1e-4 : 1e-5);
  if (opts.gain !== undefined && opts.gain.length !== cout) {
    throw new Error(`standardizeRef: gain length ${opts.gain.length} != cout ${cout}`);
  }

  const out = new Float64Array(w.length);
  for (let o = 0; o < cout; o++) {
    let sum = 0;
    for (let j = 0; j < N; j++) sum += w[j * cout + o]!;
    const mean = sum / N;
    let sq = 0;
    for (let j = 0; j < N; j++) {
      const d = w[j * cout + o]! - mean;
      sq += d * d;
    }
    const variance = sq / N;
    let denom: number;
    if (convention === 'deepmind') denom = Math.sqrt(Math.max(N * variance, eps));
    else if (convention === 'timm') denom = Math.sqrt(variance + eps) * Math.sqrt(N);
    else if (convention === 'plain') denom = Math.sqrt(variance + eps);
    else throw new Error(`standardizeRef: unknown convention ${String(convention)}`);
    const scale = (opts.gain !== undefined ? opts.gain[o]! : 1) * gamma;
    for (let j = 0; j < N; j++) {
      const idx = j * cout + o;
      out[idx] = (scale * (w[idx]! - mean)) / denom;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Group normalization
// ---------------------------------------------------------------------------

export interface GroupNormRefOptions {
  gamma?: ArrayLike<number>;
  beta?: ArrayLike<number>;
  eps?: number;
}

/**
 * Group norm for channels-last input [N, ...spatial, C] (rank >= 2): per sample
 * and group, mean and biased variance over all spatial positions and the
 * group's C/groups channels; y = (x-mean)/sqrt(var+eps)*gamma[c]+beta[c].
 */
export function groupNormRef(
  x: ArrayLike<number>,
  shape: number[],
  groups: number,
  opts: GroupNormRefOptions = {},
): Float64Array {
  if (shape.length < 2) throw new Error(`groupNormRef: rank must be >= 2, got [${shape}]`);
  const n = shape[0]!;
  const C = shape[shape.length - 1]!;
  let spatial = 1;
  for (let i = 1; i < shape.length - 1; i++) spatial *= shape[i]!;
  if (x.length !== n * spatial * C) throw new Error('groupNormRef: x length does not match shape');
  if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) {
    throw new Error(`groupNormRef: C ${C} not divisible by groups ${groups}`);
  }
  const eps = opts.eps ?? 1e-5;
  const { gamma, beta } = opts;
  if (gamma !== undefined && gamma.length !== C) throw new Error('groupNormRef: gamma length != C');
  if (beta !== undefined && beta.length !== C) throw new Error('groupNormRef: beta length != C');
  const cpg = C / groups;
  const count = spatial * cpg;

  const out = new Float64Array(x.length);
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      let sum = 0;
      for (let s = 0; s < spatial; s++) {
        for (let ci = 0; ci < cpg; ci++) sum += x[(b * spatial + s) * C + g * cpg + ci]!;
      }
      const mean = sum / count;
      let sq = 0;
      for (let s = 0; s < spatial; s++) {
        for (let ci = 0; ci < cpg; ci++) {
          const d = x[(b * spatial + s) * C + g * cpg + ci]! - mean;
          sq += d * d;
        }
      }
      const inv = 1 / Math.sqrt(sq / count + eps);
      for (let s = 0; s < spatial; s++) {
        for (let ci = 0; ci < cpg; ci++) {
          const c = g * cpg + ci;
          const idx = (b * spatial + s) * C + c;
          const ga = gamma !== undefined ? gamma[c]! : 1;
          const be = beta !== undefined ? beta[c]! : 0;
          out[idx] = (x[idx]! - mean) * inv * ga + be;
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Special functions and activation gamma
// ---------------------------------------------------------------------------

/**
 * Error function, accurate to ~1e-15 absolute.
 * |x| < 3: erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))
 *          (all terms positive, so no cancellation).
 * |x| >= 3: erfc(x) via its continued fraction
 *          erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const sign = x < 0 ? -1 : 1;
  if (ax < 3) {
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return (sign * 2 * Math.exp(-x2) * sum) / Math.sqrt(Math.PI);
  }
  if (ax > 27) return sign; // erfc underflows to 0
  // Backward evaluation of the continued fraction with partial numerators k/2.
  let frac = ax;
  for (let k = 120; k >= 1; k--) frac = ax + k / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return sign * (1 - erfc);
}

/** GELU with the exact erf form: x * Phi(x). */
export function geluExact(x: number): number {
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

/** GELU, tanh approximation. */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/**
 * Activation gamma: 1 / sqrt(Var_{z ~ N(0,1)}[f(z)]), computed by composite
 * Simpson integration over [-12, 12] with 20001 nodes (z = 0 is a node, so
 * kinks at 0 such as relu/selu are integrated without loss of order).
 */
export function activationGammaRef(f: (x: number) => number): number {
  const L = 12;
  const intervals = 20000; // even
  const h = (2 * L) / intervals;
  const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i <= intervals; i++) {
    const z = -L + i * h;
    const weight = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    const p = invSqrt2Pi * Math.exp(-0.5 * z * z);
    const fz = f(z);
    m1 += weight * p * fz;
    m2 += weight * p * fz * fz;
  }
  m1 *= h / 3;
  m2 *= h / 3;
  return 1 / Math.sqrt(m2 - m1 * m1);
}

// ---------------------------------------------------------------------------
// Pooling
// ---------------------------------------------------------------------------

/**
 * k x k average pool with stride `stride` and 'SAME' padding (NHWC). The
 * divisor counts only valid (non-padded) elements (Haiku/TF semantics).
 */
export function avgPoolSameRef(
  x: ArrayLike<number>,
  shape: number[],
  k = 2,
  stride = 2,
): { data: Float64Array; shape: [number, number, number, number] } {
  if (shape.length !== 4) throw new Error(`avgPoolSameRef: shape must be rank 4, got [${shape}]`);
  const [n, inH, inW, c] = shape as [number, number, number, number];
  if (x.length !== n * inH * inW * c) throw new Error('avgPoolSameRef: x length does not match shape');
  const [pt] = samePadding(inH, k, stride);
  const [pl] = samePadding(inW, k, stride);
  const outH = Math.ceil(inH / stride);
  const outW = Math.ceil(inW / stride);
  const out = new Float64Array(n * outH * outW * c);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let ch = 0; ch < c; ch++) {
          let sum = 0;
          let count = 0;
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride - pt + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride - pl + kx;
              if (ix < 0 || ix >= inW) continue;
              sum += x[((b * inH + iy) * inW + ix) * c + ch]!;
              count++;
            }
          }
          out[((b * outH + oy) * outW + ox) * c + ch] = count > 0 ? sum / count : 0;
        }
      }
    }
  }
  return { data: out, shape: [n, outH, outW, c] };
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

/**
 * max_i |a_i - e_i| / (atol + rtol * |e_i|). A value <= 1 means every element
 * is within tolerance. A NaN on one side only yields Infinity; NaN on both
 * sides counts as equal.
 */
export function closeness(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol = 1e-5,
  atol = 1e-6,
): number {
  if (actual.length !== expected.length) {
    throw new Error(`closeness: length mismatch ${actual.length} vs ${expected.length}`);
  }
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) && Number.isNaN(e)) continue;
      return Infinity;
    }
    if (a === e) continue; // covers equal infinities
    const r = Math.abs(a - e) / (atol + rtol * Math.abs(e));
    if (!(r <= worst)) worst = r;
  }
  return worst;
}
