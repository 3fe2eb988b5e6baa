/**
 * Signal Propagation Plots as a standalone SVG: one panel per statistic side by side, depth
 * (site index) on x, optional log y, labelled axes, a legend, several reports overlaid (e.g. a
 * BN-ResNet, an NF-ResNet and the analytic curve, dashed). Stage transitions of the first
 * measured report are dotted vertical lines, as the paper's black dots mark stage ends.
 */
import { formatTick, indexScale, statScale, valueOf, type Scale } from './plot-scale.js';
import { reportList, STAT_KEYS, STAT_LABELS, type SignalReport, type StatKey } from './report.js';

export interface SvgPlotOptions {
  /** Panels, in order. Default: all three statistics. */
  stats?: readonly StatKey[];
  /** Log y axis for every panel (true) or for the listed statistics. Default false. */
  logY?: boolean | readonly StatKey[];
  title?: string;
  /** Size of one panel in px. Defaults 380 × 280. */
  panelWidth?: number;
  panelHeight?: number;
  /** Dotted lines at stage transitions. Default true. */
  markTransitions?: boolean;
}

export const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'] as const;

const MARGIN = { left: 62, right: 14, top: 26, bottom: 44 };
const INSET = 6;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const n = (v: number) => String(Math.round(v * 100) / 100);

function seriesPath(report: SignalReport, stat: StatKey, x: (i: number) => number, y: (v: number) => number | null, log: boolean): { d: string; points: Array<[number, number]> } {
  let d = '';
  let pen = false;
  const points: Array<[number, number]> = [];
  report.sites.forEach((site, i) => {
    const v = valueOf(report, i, stat, log);
    const py = v === null ? null : y(v);
    if (py === null) {
      pen = false;
      return;
    }
    const px = x(site.index);
    d += `${pen ? 'L' : 'M'}${n(px)} ${n(py)} `;
    pen = true;
    points.push([px, py]);
  });
  return { d: d.trim(), points };
}

function panel(reports: readonly SignalReport[], stat: StatKey, log: boolean, ox: number, oy: number, w: number, h: number, marks: boolean): string {
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - MARGIN.top - MARGIN.bottom;
  const left = ox + MARGIN.left;
  const top = oy + MARGIN.top;
  const xs: Scale = indexScale(Math.max(0, ...reports.map((r) => r.sites.length - 1)));
  const ys: Scale = statScale(reports, stat, log);
  // Data and ticks sit INSET px inside the frame, so a curve at an axis limit stays visible.
  const x = (i: number) => left + INSET + xs.unit(i)! * (pw - 2 * INSET);
  const y = (v: number) => {
    const u = ys.unit(v);
    return u === null ? null : top + INSET + (1 - u) * (ph - 2 * INSET);
  };
  const out: string[] = [`<g class="panel" data-stat="${stat}" data-scale="${log ? 'log' : 'linear'}">`];
  out.push(`<text class="panel-title" x="${n(left + pw / 2)}" y="${n(oy + 16)}" text-anchor="middle" font-weight="600">${escapeXml(STAT_LABELS[stat])}</text>`);
  out.push(`<rect class="frame" x="${n(left)}" y="${n(top)}" width="${n(pw)}" height="${n(ph)}" fill="none" stroke="#333"/>`);
  for (const t of ys.ticks) {
    const py = y(t)!;
    out.push(`<g class="tick y"><line x1="${n(left)}" x2="${n(left + pw)}" y1="${n(py)}" y2="${n(py)}" stroke="#e4e4e4"/><text x="${n(left - 5)}" y="${n(py + 4)}" text-anchor="end">${formatTick(t)}</text></g>`);
  }
  for (const t of xs.ticks) {
    const px = x(t);
    out.push(`<g class="tick x"><line x1="${n(px)}" x2="${n(px)}" y1="${n(top + ph)}" y2="${n(top + ph + 4)}" stroke="#333"/><text x="${n(px)}" y="${n(top + ph + 16)}" text-anchor="middle">${t}</text></g>`);
  }
  const measured = reports.find((r) => r.source === 'measured');
  if (marks && measured) {
    for (const s of measured.sites) {
      if (s.transition && s.index > 0) out.push(`<line class="transition" x1="${n(x(s.index))}" x2="${n(x(s.index))}" y1="${n(top)}" y2="${n(top + ph)}" stroke="#888" stroke-dasharray="2 3"/>`);
    }
  }
  out.push(`<text class="axis-label x" x="${n(left + pw / 2)}" y="${n(top + ph + 34)}" text-anchor="middle">depth (site index)</text>`);
  const ylabel = `${stat === 'avgSqMean' ? 'squared mean' : 'variance'}${log ? ' (log)' : ''}`;
  out.push(`<text class="axis-label y" transform="translate(${n(ox + 14)} ${n(top + ph / 2)}) rotate(-90)" text-anchor="middle">${ylabel}</text>`);
  reports.forEach((r, k) => {
    const color = SERIES_COLORS[k % SERIES_COLORS.length]!;
    const analytic = r.source === 'analytic';
    const { d, points } = seriesPath(r, stat, x, y, log);
    if (points.length === 0) return;
    out.push(`<g class="series" data-label="${escapeXml(r.label)}" data-points="${points.length}">`);
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${analytic ? 1.5 : 1.8}"${analytic ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (!analytic) for (const [px, py] of points) out.push(`<circle cx="${n(px)}" cy="${n(py)}" r="2.4" fill="${color}"/>`);
    out.push('</g>');
  });
  out.push('</g>');
  return out.join('\n');
}

/** The SVG document (a string) of `reports`. */
export function renderSvg(reports: SignalReport | readonly SignalReport[], options: SvgPlotOptions = {}): string {
  const list = reportList(reports);
  const stats = options.stats ?? STAT_KEYS;
  const w = options.panelWidth ?? 380;
  const h = options.panelHeight ?? 280;
  const logFor = (s: StatKey) => (Array.isArray(options.logY) ? options.logY.includes(s) : options.logY === true);
  // Legend: entries flow left to right, wrapping at the figure width.
  const width = w * stats.length;
  const titleH = options.title ? 30 : 8;
  const legend: string[] = [];
  let lx = 16;
  let ly = titleH + 14;
  list.forEach((r, k) => {
    const entryW = 34 + 7 * r.label.length;
    if (lx + entryW > width - 8 && lx > 16) [lx, ly] = [16, ly + 20];
    const color = SERIES_COLORS[k % SERIES_COLORS.length]!;
    const dash = r.source === 'analytic' ? ' stroke-dasharray="6 4"' : '';
    legend.push(`<g class="legend-entry" data-label="${escapeXml(r.label)}"><line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/><text class="legend-label" x="${lx + 30}" y="${ly}">${escapeXml(r.label)}</text></g>`);
    lx += entryW + 14;
  });
  const headerH = ly + 12;
  const height = headerH + h;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#222">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
  ];
  if (options.title) parts.push(`<text class="title" x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  parts.push(`<g class="legend">`, ...legend, '</g>');
  stats.forEach((stat, i) => parts.push(panel(list, stat, logFor(stat), i * w, headerH, w, h, options.markTransitions ?? true)));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
