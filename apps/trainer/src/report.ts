/**
 * The end-of-run report, built from metrics.jsonl alone: a self-contained HTML page with SVG line
 * charts (loss, accuracy, learning rate, AGC clip fraction) and the confusion matrix; plus, when the
 * trainer passes one, the signal-propagation plot of the final model (an SVG from spp.ts).
 */
export interface MetricRecord {
  kind: 'train' | 'eval';
  step: number;
  epoch: number;
  loss?: number;
  accuracy?: number;
  top5?: number;
  lr?: number;
  gradNorm?: number;
  clipFraction?: number;
  imgPerSec?: number;
  /** Seconds of training since the run began, summed over resumed sessions. */
  elapsed?: number;
  confusion?: number[][];
}

function escape(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Tick labels that stay distinct however narrow the range: decimals from the tick step
 * (2.3010, 2.3025, … rather than 2.30, 2.30, …), exponents for very small or large values. */
export function tickFormat(lo: number, hi: number, step: number): (v: number) => string {
  const big = Math.max(Math.abs(lo), Math.abs(hi));
  if (big !== 0 && (big < 1e-3 || big >= 1e5)) return (v) => (v === 0 ? '0' : v.toExponential(2));
  const decimals = Math.min(6, Math.max(0, Math.ceil(-Math.log10(step)) + 1));
  return (v) => v.toFixed(decimals);
}

/** An SVG line chart of one or more series over steps; `dots` marks every point (for sparse series
 * such as one evaluation per epoch, which a line alone would not show). */
export function lineChart(title: string, series: Array<{ label: string; points: Array<[number, number]>; color: string; dots?: boolean }>, yLabel: string): string {
  const W = 460;
  const H = 240;
  const m = { l: 64, r: 12, t: 28, b: 40 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (all.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><text x="10" y="20">${escape(title)}: no data</text></svg>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => m.l + ((x - x0) / (x1 - x0 || 1)) * (W - m.l - m.r);
  const py = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => y0 + f * (y1 - y0));
  const tick = tickFormat(y0, y1, (y1 - y0) / 4);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
    ...ticks.map((t) => `<text x="${m.l - 4}" y="${py(t) + 4}" text-anchor="end">${tick(t)}</text><line x1="${m.l}" x2="${W - m.r}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/>`),
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">step</text>`,
    `<text x="14" y="${H / 2}" text-anchor="middle" transform="rotate(-90 14 ${H / 2})">${escape(yLabel)}</text>`,
    `<text x="${m.l}" y="${H - m.b + 14}">${x0}</text><text x="${W - m.r}" y="${H - m.b + 14}" text-anchor="end">${x1}</text>`,
  ];
  // The legend goes in whichever right-hand corner the curves leave emptier (accuracy curves fill the
  // top, loss curves the bottom), on a white card so a curve passing under it stays readable.
  const legend = { x: W - m.r - 124, w: 120, h: series.length * 14 + 4 };
  const inBox = (top: number) => all.filter(([x, y]) => px(x) >= legend.x && py(y) >= top && py(y) <= top + legend.h).length;
  const legendTop = inBox(m.t) <= inBox(H - m.b - legend.h - 2) ? m.t : H - m.b - legend.h - 2;
  series.forEach((s) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (pts.length) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`);
    if (s.dots) for (const [x, y] of pts) parts.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
  });
  parts.push(`<rect x="${legend.x}" y="${legendTop}" width="${legend.w}" height="${legend.h}" fill="#fff" fill-opacity="0.85" stroke="#ddd"/>`);
  series.forEach((s, i) => {
    const y = legendTop + 4 + i * 14;
    parts.push(`<rect x="${legend.x + 4}" y="${y + 3}" width="10" height="3" fill="${s.color}"/><text x="${legend.x + 18}" y="${y + 8}">${escape(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The signal-propagation section: an SVG (trusted: rendered by @nf/signal-prop) and a caption, or
 * only the caption when the analysis failed. */
export interface ReportSpp {
  svg?: string;
  caption: string;
}

export function renderReport(
  records: MetricRecord[],
  info: { title: string; classNames: readonly string[]; summary: Record<string, string | number>; spp?: ReportSpp },
): string {
  const train = records.filter((r) => r.kind === 'train');
  const evals = records.filter((r) => r.kind === 'eval');
  const pts = (rs: MetricRecord[], key: keyof MetricRecord) => rs.map((r) => [r.step, r[key] as number] as [number, number]);
  const charts = [
    lineChart('Loss', [{ label: 'train', points: pts(train, 'loss'), color: '#1f77b4' }, { label: 'test (EMA)', points: pts(evals, 'loss'), color: '#d62728', dots: true }], 'cross-entropy'),
    lineChart('Accuracy', [{ label: 'train', points: pts(train, 'accuracy'), color: '#1f77b4' }, { label: 'test top-1 (EMA)', points: pts(evals, 'accuracy'), color: '#d62728', dots: true }], 'accuracy'),
    lineChart('Learning rate', [{ label: 'lr', points: pts(train, 'lr'), color: '#2ca02c' }], 'lr'),
    lineChart('AGC clip fraction', [{ label: 'units clipped', points: pts(train, 'clipFraction'), color: '#9467bd' }], 'fraction'),
  ];
  const last = evals[evals.length - 1];
  const confusion = last?.confusion;
  const table = confusion
    ? `<table><tr><th>true \\ predicted</th>${info.classNames.map((c) => `<th>${escape(c)}</th>`).join('')}</tr>${confusion
        .map((row, i) => `<tr><th>${escape(info.classNames[i] ?? String(i))}</th>${row.map((v, j) => `<td style="background:${i === j ? '#d4f4dd' : v > 0 ? '#fde2e2' : '#fff'}">${v}</td>`).join('')}</tr>`)
        .join('')}</table>`
    : '<p>No evaluation.</p>';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:12px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}.caption{max-width:72em;color:#444}.spp{overflow-x:auto}</style></head>
<body><h1>${escape(info.title)}</h1><dl>${Object.entries(info.summary).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(String(v))}</dd>`).join('')}</dl>
<div class="grid">${charts.join('')}</div><h2>Confusion matrix (last evaluation, EMA weights)</h2>${table}${sppSection(info.spp)}</body></html>`;
}

function sppSection(spp: ReportSpp | undefined): string {
  if (!spp) return '';
  return `<h2>Signal propagation</h2><p class="caption">${escape(spp.caption)}</p>${spp.svg ? `<div class="spp">${spp.svg}</div>` : ''}`;
}
