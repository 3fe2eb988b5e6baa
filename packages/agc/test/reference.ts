/**
 * Independent float64 reference for AGC, written from the paper's formula with plain loops.
 * Used only by tests: no tfjs here.
 */
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

export function randomNormal(n: number, rand: () => number, std = 1): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** For each flat index, the index of its unit (the position along the axes that are kept). */
export function unitIndexOf(shape: readonly number[], reduce: readonly number[]): { index: Int32Array; units: number } {
  const size = shape.reduce((a, b) => a * b, 1);
  const kept = shape.map((_, i) => i).filter((i) => !reduce.includes(i));
  const units = kept.reduce((a, i) => a * shape[i]!, 1);
  const index = new Int32Array(size);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (let flat = 0; flat < size; flat++) {
    let u = 0;
    for (const axis of kept) {
      const coord = Math.floor(flat / strides[axis]!) % shape[axis]!;
      u = u * shape[axis]! + coord;
    }
    index[flat] = u;
  }
  return { index, units };
}

export function refUnitNorms(x: ArrayLike<number>, shape: readonly number[], reduce: readonly number[]): Float64Array {
  const { index, units } = unitIndexOf(shape, reduce);
  const sums = new Float64Array(units);
  for (let i = 0; i < x.length; i++) sums[index[i]!]! += x[i]! * x[i]!;
  return sums.map(Math.sqrt);
}

export interface RefClip {
  clipped: Float64Array;
  clippedUnits: number;
  units: number;
  maxRatio: number;
}

/** AGC exactly as the paper writes it, float64. */
export function refAdaptiveClip(
  grad: ArrayLike<number>,
  param: ArrayLike<number>,
  shape: readonly number[],
  reduce: readonly number[],
  clipping = 0.01,
  eps = 1e-3,
): RefClip {
  const { index, units } = unitIndexOf(shape, reduce);
  const gNorm = refUnitNorms(grad, shape, reduce);
  const pNorm = refUnitNorms(param, shape, reduce);
  const scale = new Float64Array(units);
  let clippedUnits = 0;
  let maxRatio = 0;
  for (let u = 0; u < units; u++) {
    const maxNorm = clipping * Math.max(pNorm[u]!, eps);
    const ratio = gNorm[u]! / maxNorm;
    maxRatio = Math.max(maxRatio, ratio);
    if (gNorm[u]! > maxNorm) {
      scale[u] = maxNorm / Math.max(gNorm[u]!, 1e-6);
      clippedUnits++;
    } else {
      scale[u] = 1;
    }
  }
  const clipped = new Float64Array(grad.length);
  for (let i = 0; i < grad.length; i++) clipped[i] = grad[i]! * scale[index[i]!]!;
  return { clipped, clippedUnits, units, maxRatio };
}

/** Largest |a-b| / (atol + rtol*|b|); <= 1 means close. */
export function closeness(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-5, atol = 1e-7): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (atol + rtol * Math.abs(expected[i]!)));
  }
  return worst;
}
