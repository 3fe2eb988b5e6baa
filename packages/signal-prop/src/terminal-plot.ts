/**
 * A compact text plot of one statistic over depth for the terminal: one marker character per
 * report, the analytic curve drawn underneath, y ticks on the left, a legend line below.
 */
import { formatTick, indexScale, statScale, valueOf } from './plot-scale.js';
import { reportList, STAT_LABELS, type SignalReport, type StatKey } from './report.js';

export interface TerminalPlotOptions {
  /** Which statistic. Default `'avgVar'`. */
  stat?: StatKey;
  /** Plot area in characters. Defaults 60 × 12. */
  width?: number;
  height?: number;
  logY?: boolean;
}

/** Markers of measured reports, in order; analytic curves use '·'. */
export const TERMINAL_MARKERS = ['*', 'o', '+', 'x', '#', '@', '%', '&'] as const;

/** The plot as lines of text (joined with '\n', no trailing newline). */
export function renderTerminalPlot(reports: SignalReport | readonly SignalReport[], options: TerminalPlotOptions = {}): string {
  const list = reportList(reports);
  const stat = options.stat ?? 'avgVar';
  const width = Math.max(10, Math.floor(options.width ?? 60));
  const height = Math.max(4, Math.floor(options.height ?? 12));
  const log = options.logY ?? false;
  const xs = indexScale(Math.max(0, ...list.map((r) => r.sites.length - 1)), Math.max(2, Math.floor(width / 10)));
  const ys = statScale(list, stat, log, Math.max(2, Math.floor(height / 3)));
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(' '));
  const rowOf = (v: number) => {
    const u = ys.unit(v);
    return u === null ? null : Math.round((1 - u) * (height - 1));
  };
  const markers = new Map<SignalReport, string>();
  let k = 0;
  for (const r of list) markers.set(r, r.source === 'analytic' ? '·' : TERMINAL_MARKERS[k++ % TERMINAL_MARKERS.length]!);
  // Analytic curves first, so measured points are drawn over them.
  for (const r of [...list].sort((a, b) => Number(a.source !== 'analytic') - Number(b.source !== 'analytic'))) {
    r.sites.forEach((s, i) => {
      const v = valueOf(r, i, stat, log);
      const row = v === null ? null : rowOf(v);
      if (row === null) return;
      grid[row]![Math.round(xs.unit(s.index)! * (width - 1))] = markers.get(r)!;
    });
  }
  const labels = new Map<number, string>();
  for (const t of ys.ticks) {
    const row = rowOf(t);
    if (row !== null && !labels.has(row)) labels.set(row, formatTick(t));
  }
  const pad = Math.max(...[...labels.values()].map((l) => l.length));
  const lines = [`${STAT_LABELS[stat]}${log ? ' (log scale)' : ''}`];
  grid.forEach((cells, row) => {
    const label = labels.get(row);
    lines.push(`${(label ?? '').padStart(pad)} ${label === undefined ? '│' : '┤'}${cells.join('')}`);
  });
  lines.push(`${' '.repeat(pad)} └${'─'.repeat(width)}`);
  const axis = Array<string>(width + 8).fill(' ');
  for (const t of xs.ticks) {
    const col = Math.round(xs.unit(t)! * (width - 1));
    String(t).split('').forEach((ch, j) => (axis[col + j] = ch));
  }
  lines.push(`${' '.repeat(pad + 2)}${axis.join('').trimEnd()}  depth`);
  lines.push(`${' '.repeat(pad + 2)}${list.map((r) => `${markers.get(r)} ${r.label}`).join('   ')}`);
  return lines.join('\n');
}
