/**
 * Axis ticks for the report's charts, the way plotting libraries place them (matplotlib's
 * MaxNLocator, d3's ticks): tick values are multiples of a step of 1, 2 or 5 × 10^k (2.5 × 10^k
 * too, as matplotlib's default steps, but only when no 1-2-5 step gives the wanted count), lying
 * inside the axis range, 4–8 of them; labels printed from the step's decimals, so there is no float
 * noise (0.1 + 0.2 prints 0.3), with the same number of decimals on every tick (0.0, 0.5, 1.0) and
 * in exponent form (1e-4, 2.5e-4) for very small or very large values.
 */

export interface Ticks {
  /** Tick values, ascending, each the nearest double to a round decimal. */
  values: number[];
  /** The step between ticks. */
  step: number;
  /** The label of each value. */
  labels: string[];
}

export interface TickOptions {
  /** Fewest ticks (default 4). */
  min?: number;
  /** Most ticks (default 8). */
  max?: number;
  /** Preferred count (default 5); the choice nearest to it within [min, max] wins. */
  target?: number;
  /** Only integer ticks (steps, epochs, counts): steps below 1 are not used. */
  integer?: boolean;
}

/** A step mantissa·10^exp with an integer mantissa (1, 2, 25 or 5), so ticks are exact decimals. */
interface Step {
  mantissa: number;
  exp: number;
}

const stepValue = ({ mantissa, exp }: Step): number => (exp < 0 ? mantissa / 10 ** -exp : mantissa * 10 ** exp);

/** j·step as the nearest double to the decimal: an integer divided by an exact power of ten is
 * correctly rounded (j·0.1 would give 0.30000000000000004 for j = 3). */
const multiple = (j: number, { mantissa, exp }: Step): number => {
  const v = exp < 0 ? (j * mantissa) / 10 ** -exp : j * mantissa * 10 ** exp;
  return v === 0 ? 0 : v; // no -0
};

/** The integers j with j·step in [lo, hi] (with a relative tolerance for the edges). */
function span(lo: number, hi: number, step: Step): [number, number] {
  const s = stepValue(step);
  const eps = 1e-9;
  return [Math.ceil(lo / s - eps), Math.floor(hi / s + eps)];
}

/** Candidate steps from fine to coarse around the range's magnitude. */
function candidates(lo: number, hi: number, integer: boolean): Step[] {
  const k = Math.floor(Math.log10(hi - lo));
  const out: Step[] = [];
  for (let exp = k - 2; exp <= k + 1; exp++) {
    for (const [mantissa, shift] of [
      [1, 0],
      [2, 0],
      [25, -1],
      [5, 0],
    ] as const) {
      const step = { mantissa, exp: exp + shift };
      if (integer && stepValue(step) < 1) continue;
      if (integer && !Number.isInteger(stepValue(step))) continue;
      out.push(step);
    }
  }
  return out;
}

/** The range a single value (or a non-finite one) is shown over: ±5 % of the value, ±1 at zero. */
export function nonSingular(lo: number, hi: number): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  const scale = Math.max(Math.abs(lo), Math.abs(hi));
  if (hi - lo > scale * 1e-12 && hi - lo > Number.MIN_VALUE * 1e6) return [lo, hi];
  const pad = scale === 0 ? 1 : scale * 0.05;
  return [lo - pad, hi + pad];
}

/** Nice ticks inside [lo, hi]. */
export function niceTicks(lo: number, hi: number, options: TickOptions = {}): Ticks {
  const min = options.min ?? 4;
  const max = options.max ?? 8;
  const target = options.target ?? 5;
  const integer = options.integer ?? false;
  [lo, hi] = nonSingular(lo, hi);
  if (integer && Math.floor(hi) - Math.ceil(lo) + 1 < min) {
    // Fewer integers in the range than ticks wanted (a run of 2 steps): every one of them.
    const values: number[] = [];
    for (let v = Math.ceil(lo); v <= Math.floor(hi); v++) values.push(v === 0 ? 0 : v);
    return { values, step: 1, labels: values.map((v) => formatFixed(v, 0)) };
  }
  let best: { step: Step; j0: number; j1: number; score: number } | undefined;
  for (const step of candidates(lo, hi, integer)) {
    const [j0, j1] = span(lo, hi, step);
    const count = j1 - j0 + 1;
    // Out of bounds: a large penalty (still usable if nothing fits); 2.5: a small one.
    const score = Math.abs(count - target) + (count < min || count > max ? 1000 : 0) + (step.mantissa === 25 ? 100 : 0);
    if (!best || score < best.score || (score === best.score && stepValue(step) > stepValue(best.step))) best = { step, j0, j1, score };
  }
  const { step, j0, j1 } = best!;
  const values: number[] = [];
  for (let j = j0; j <= j1; j++) values.push(multiple(j, step));
  return { values, step: stepValue(step), labels: formatTicks(values, step) };
}

/** Decimals that show every multiple of `step` exactly: 0.25 → 2, 5 → 0, 2e-4 → 4. */
export function stepDecimals(step: number): number {
  if (!(step > 0) || !Number.isFinite(step)) return 0;
  for (let d = 0; d <= 15; d++) if (Math.abs(Number(step.toFixed(d)) - step) <= step * 1e-9) return d;
  return 15;
}

/** Whether labels of values up to `big` in magnitude are shown in exponent form (as matplotlib's
 * default power limits, but from 1e-3: 0.0005 reads worse than 5e-4). */
export function useExponent(big: number): boolean {
  return big !== 0 && (big < 1e-3 || big >= 1e6);
}

function formatTicks(values: number[], step: Step): string[] {
  const big = Math.max(...values.map(Math.abs));
  if (useExponent(big)) return exponentLabels(values);
  return values.map((v) => formatFixed(v, Math.max(0, -step.exp)));
}

/** `v` with `decimals` decimals, never "-0". */
export function formatFixed(v: number, decimals: number): string {
  const s = v.toFixed(Math.min(20, Math.max(0, decimals)));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** 1e-4, 2.5e-4, 1e6: the fewest mantissa digits that keep every label exact, the same on all. */
export function exponentLabels(values: number[]): string[] {
  let digits = 0;
  for (const v of values) {
    if (v === 0) continue;
    let d = 0;
    while (d < 12 && Math.abs(Number(v.toExponential(d)) - v) > Math.abs(v) * 1e-9) d++;
    digits = Math.max(digits, d);
  }
  return values.map((v) => (v === 0 ? '0' : v.toExponential(digits).replace('e+', 'e')));
}

/** A label for a value on an axis whose ticks step by `step` (hover text, value labels): the step's
 * decimals, or exponent form where the ticks use it. */
export function formatValue(v: number, step: number, big = Math.abs(v)): string {
  if (useExponent(big)) return v === 0 ? '0' : v.toExponential(2).replace('e+', 'e');
  return formatFixed(v, stepDecimals(step));
}

/** `v` to `digits` significant digits without float noise: 0.0123, 2.31, 1.25e-5, 3.2e9. */
export function formatSignificant(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const r = Number(v.toPrecision(digits));
  return useExponent(Math.abs(r)) ? r.toExponential().replace('e+', 'e') : String(r);
}

/** A linear map from [d0, d1] to [r0, r1]. */
export function linear(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** The data range widened by `margin` of its span on each side (matplotlib's axes.xmargin /
 * ymargin, 5 %), then clipped to `bounds` (accuracy stays in [0, 1], a loss or rate above 0). */
export function paddedDomain(lo: number, hi: number, margin = 0.05, bounds: [number, number] = [-Infinity, Infinity]): [number, number] {
  [lo, hi] = nonSingular(lo, hi);
  const pad = (hi - lo) * margin;
  let [a, b] = [Math.max(bounds[0], lo - pad), Math.min(bounds[1], hi + pad)];
  if (!(b > a)) [a, b] = nonSingular(lo, hi);
  return [a, b];
}
