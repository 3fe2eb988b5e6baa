/**
 * A small live line chart as an SVG string: several series over the step axis, round ticks (the
 * same 1-2-5 axes as nf-train's report), gridlines, a legend. Pure: the page re-renders it as steps
 * arrive; the tests read its numbers back.
 */
import { linear, niceTicks, paddedDomain } from '@nf/trainer/chart-axis';

export interface ChartSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** Drawn dashed (e.g. evaluation beside training). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  width?: number;
  height?: number;
  /** Clip the y range (accuracy and clip fraction stay in [0, 1]). */
  yBounds?: [number, number];
  /** Label of the x axis (default 'step'). */
  xLabel?: string;
}

const MARGIN = { left: 52, right: 12, top: 24, bottom: 34 };

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (v: number) => String(Math.round(v * 100) / 100);

export function lineChart(series: readonly ChartSeries[], options: LineChartOptions): string {
  const width = options.width ?? 360;
  const height = options.height ?? 200;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const finite = series.flatMap((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11" role="img" aria-label="${escapeXml(options.title)}">`;
  const title = `<text x="${MARGIN.left}" y="15" font-weight="600" font-size="12">${escapeXml(options.title)}</text>`;
  const frame = `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#bbb"/>`;
  if (finite.length === 0) {
    return `${head}${title}${frame}<text x="${MARGIN.left + pw / 2}" y="${MARGIN.top + ph / 2}" text-anchor="middle" fill="#888">no data yet</text></svg>`;
  }
  const xs = finite.map(([x]) => x);
  const ys = finite.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  const [y0, y1] = paddedDomain(Math.min(...ys), Math.max(...ys), 0.05, options.yBounds ?? [-Infinity, Infinity]);
  const xt = niceTicks(x0, x1, { integer: true, max: 7 });
  const yt = niceTicks(y0, y1, { max: 6 });
  const sx = linear(x0, x1, MARGIN.left, MARGIN.left + pw);
  const sy = linear(y0, y1, MARGIN.top + ph, MARGIN.top);
  let out = head + title;
  yt.values.forEach((v, i) => {
    const y = fmt(sy(v));
    out += `<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`;
    out += `<text x="${MARGIN.left - 5}" y="${y}" dy="0.32em" text-anchor="end" fill="#444">${yt.labels[i]}</text>`;
  });
  xt.values.forEach((v, i) => {
    const x = fmt(sx(v));
    out += `<line x1="${x}" x2="${x}" y1="${MARGIN.top + ph}" y2="${MARGIN.top + ph + 4}" stroke="#888"/>`;
    out += `<text x="${x}" y="${MARGIN.top + ph + 15}" text-anchor="middle" fill="#444">${xt.labels[i]}</text>`;
  });
  out += frame;
  out += `<text x="${MARGIN.left + pw / 2}" y="${height - 4}" text-anchor="middle" fill="#444">${escapeXml(options.xLabel ?? 'step')}</text>`;
  for (const s of series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    const d = pts.map(([x, y], i) => `${i ? 'L' : 'M'}${fmt(sx(x))} ${fmt(sy(y))}`).join(' ');
    out += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
    if (pts.length === 1) out += `<circle cx="${fmt(sx(pts[0]![0]))}" cy="${fmt(sy(pts[0]![1]))}" r="2.5" fill="${s.color}"/>`;
  }
  // Legend, top right inside the frame.
  let ly = MARGIN.top + 12;
  for (const s of series) {
    const lx = MARGIN.left + pw - 8;
    out += `<line x1="${lx - 26}" x2="${lx - 10}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 2"' : ''}/>`;
    out += `<text x="${lx - 30}" y="${ly}" text-anchor="end" fill="#222">${escapeXml(s.name)}</text>`;
    ly += 14;
  }
  return `${out}</svg>`;
}
