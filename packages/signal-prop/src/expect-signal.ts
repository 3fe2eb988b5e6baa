/**
 * Assertions for your own tests: a network stays well-conditioned at initialization (finite
 * statistics, bounded variance drift, little mean shift, residual branches near unit variance).
 * Framework-free: `expectSignalPreserved` throws, so it fails a vitest, jest or node:test case.
 */
import { SignalPropError } from './errors.js';
import type { SignalReport } from './report.js';

export interface SignalExpectation {
  /**
   * Largest relative deviation of the average channel variance. With `expected`: |v − e| / e at
   * every site. Without: max(v) / min(v) − 1 over all sites.
   */
  maxVarianceDrift?: number;
  /** Curve to compare with site by site: an `expectedVariance(...)` curve, another report, or numbers. */
  expected?: SignalReport | readonly number[];
  /** Largest average channel squared mean (mean shift) allowed at any site. */
  maxSquaredMean?: number;
  /** Allowed [min, max] of every residual-branch variance. */
  residualVariance?: readonly [number, number];
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : Number(v.toPrecision(4)).toString());

/** Every violation of `expectation` in `report`, one sentence each (empty when it holds). */
export function checkSignal(report: SignalReport, expectation: SignalExpectation = {}): string[] {
  const { maxVarianceDrift, expected, maxSquaredMean, residualVariance } = expectation;
  const out: string[] = [];
  const sites = report.sites;
  if (sites.length === 0) return ['the report has no sites'];
  for (const s of sites) {
    for (const [k, v] of [['avgSqMean', s.avgSqMean], ['avgVar', s.avgVar], ['resAvgVar', s.resAvgVar]] as const) {
      if (v !== null && !Number.isFinite(v)) out.push(`site ${s.index} '${s.name}': ${k} is ${String(v)}`);
    }
  }
  if (maxVarianceDrift !== undefined) {
    if (!(maxVarianceDrift >= 0)) throw new SignalPropError('BAD_OPTION', `maxVarianceDrift must be a number >= 0, received ${String(maxVarianceDrift)}.`);
    if (expected !== undefined) {
      const curve = Array.isArray(expected) ? (expected as readonly number[]) : (expected as SignalReport).sites.map((s) => s.avgVar);
      if (curve.length !== sites.length) {
        throw new SignalPropError('BAD_OPTION', `expected has ${curve.length} points but the report has ${sites.length} sites; build the curve for the same blocks (includeStem matches site 0).`);
      }
      sites.forEach((s, i) => {
        const e = curve[i]!;
        const drift = Math.abs(s.avgVar - e) / Math.abs(e);
        if (!(drift <= maxVarianceDrift)) out.push(`site ${s.index} '${s.name}': avgVar ${fmt(s.avgVar)} is ${fmt(100 * drift)} % from the expected ${fmt(e)} (allowed ${fmt(100 * maxVarianceDrift)} %)`);
      });
    } else {
      const vars = sites.map((s) => s.avgVar);
      const lo = Math.min(...vars);
      const hi = Math.max(...vars);
      const drift = hi / lo - 1;
      if (!(drift <= maxVarianceDrift)) out.push(`avgVar ranges from ${fmt(lo)} to ${fmt(hi)}: a drift of ${fmt(drift)} (allowed ${fmt(maxVarianceDrift)})`);
    }
  }
  if (maxSquaredMean !== undefined) {
    for (const s of sites) if (!(s.avgSqMean <= maxSquaredMean)) out.push(`site ${s.index} '${s.name}': avgSqMean ${fmt(s.avgSqMean)} exceeds ${fmt(maxSquaredMean)}`);
  }
  if (residualVariance !== undefined) {
    const [lo, hi] = residualVariance;
    for (const s of sites) {
      if (s.resAvgVar !== null && !(s.resAvgVar >= lo && s.resAvgVar <= hi)) out.push(`site ${s.index} '${s.name}': resAvgVar ${fmt(s.resAvgVar)} is outside [${fmt(lo)}, ${fmt(hi)}]`);
    }
  }
  return out;
}

/** Throws a `SignalPropError` (code `SIGNAL_NOT_PRESERVED`) listing the violations, if any. */
export function expectSignalPreserved(report: SignalReport, expectation: SignalExpectation = {}): void {
  const violations = checkSignal(report, expectation);
  if (violations.length === 0) return;
  const shown = violations.slice(0, 3).join('; ');
  const more = violations.length > 3 ? `; and ${violations.length - 3} more` : '';
  throw new SignalPropError('SIGNAL_NOT_PRESERVED', `signal of '${report.label}' not preserved: ${shown}${more}.`);
}
