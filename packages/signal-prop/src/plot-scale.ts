/**
 * Axis scales shared by the SVG and the terminal plots: the value range of a statistic over
 * several reports, "nice" linear ticks (1, 2, 5 × 10^k), decade ticks for log axes, tick labels.
 */
import type { SignalReport, StatKey } from './report.js';

export interface Scale {
  readonly log: boolean;
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  /** Position of `v` in [0, 1] (0 at `min`), or null for values the scale cannot show. */
  readonly unit: (v: number) => number | null;
}

/** The plottable value of one site (null: missing, non-finite, or ≤ 0 on a log axis). */
export function valueOf(report: SignalReport, index: number, stat: StatKey, log: boolean): number | null {
  const v = report.sites[index]![stat];
  if (v === null || !Number.isFinite(v)) return null;
  return log && v <= 0 ? null : v;
}

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** A linear scale with about `count` nice ticks covering [lo, hi]. */
export function linearScale(lo: number, hi: number, count = 5): Scale {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
    const pad = Math.abs(hi) > 0 ? Math.abs(hi) * 0.1 : 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = niceStep(hi - lo, count);
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = min; v <= max + step * 1e-6; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return { log: false, min, max, ticks, unit: (v) => (Number.isFinite(v) ? (v - min) / (max - min) : null) };
}

/** A log10 scale over whole decades covering [lo, hi] (both > 0); 2 and 5 ticks when it spans ≤ 2 decades. */
export function logScale(lo: number, hi: number): Scale {
  if (!(lo > 0) || !(hi > 0)) [lo, hi] = [1, 10];
  let a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (a === b) [a, b] = [a, a + 1];
  const ticks: number[] = [];
  for (let e = a; e <= b; e++) {
    ticks.push(10 ** e);
    if (b - a <= 2 && e < b) ticks.push(2 * 10 ** e, 5 * 10 ** e);
  }
  ticks.sort((x, y) => x - y);
  const min = 10 ** a;
  const max = 10 ** b;
  return { log: true, min, max, ticks, unit: (v) => (v > 0 && Number.isFinite(v) ? (Math.log10(v) - a) / (b - a) : null) };
}

/** The y scale of `stat` over all sites of all `reports`. */
export function statScale(reports: readonly SignalReport[], stat: StatKey, log: boolean, count = 5): Scale {
  const values = reports.flatMap((r) => r.sites.map((_, i) => valueOf(r, i, stat, log))).filter((v): v is number => v !== null);
  if (values.length === 0) return log ? logScale(1, 10) : linearScale(0, 1, count);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Variances and squared means are ≥ 0: a linear axis starts at 0 unless the data sit far above it.
  return log ? logScale(lo, hi) : linearScale(lo >= 0 && lo < 0.5 * hi ? 0 : lo, hi, count);
}

/** Integer ticks 0 … last index. */
export function indexScale(maxIndex: number, count = 8): Scale {
  const max = Math.max(1, maxIndex);
  const step = Math.max(1, niceStep(max, count));
  const ticks: number[] = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return { log: false, min: 0, max, ticks, unit: (v) => v / max };
}

/** Short tick label: 0.5, 12, 1.5e-4, 2e+6. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(a === 10 ** Math.round(Math.log10(a)) ? 0 : 1).replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}
