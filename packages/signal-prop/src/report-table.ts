/** A report as an aligned text table, for the terminal. */
import type { SignalReport } from './report.js';

const num = (v: number | null) => {
  if (v === null) return '';
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : v.toFixed(4);
};

/** Columns: index, stage, T (a transition), kind, name, shape, the three statistics. */
export function formatTable(report: SignalReport): string {
  const head = ['#', 'stage', 'T', 'kind', 'name', 'shape', 'avgSqMean', 'avgVar', 'resAvgVar'];
  const rows = report.sites.map((s) => [String(s.index), String(s.stage), s.transition ? '*' : '', s.kind, s.name, s.shape.join('x'), num(s.avgSqMean), num(s.avgVar), num(s.resAvgVar)]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const right = new Set([0, 1, 6, 7, 8]);
  const line = (cells: string[]) => cells.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
