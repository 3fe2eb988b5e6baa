/**
 * The end-of-run report, built from metrics.jsonl alone: a self-contained HTML page with SVG line
 * charts (loss, accuracy, learning rate, AGC clip fraction) drawn as a plotting library would —
 * round ticks on both axes (chart-axis.ts), gridlines at the ticks, axis titles, the step axis with an
 * epoch axis above it — the last evaluation's confusion matrix as a heatmap shaded by count and its
 * per-class accuracy (confusion-chart.ts); plus, when the trainer passes them, a few misclassified
 * test images (report-images.ts) and the signal-propagation plot of the final model (spp.ts).
 */
import { formatSignificant, linear, niceTicks, paddedDomain } from './chart-axis.js';
import { FONT, confusionHeatmap, escapeHtml as escape, perClassAccuracy, perClassChart, textWidth, type ClassAccuracy } from './confusion-chart.js';
import type { MisclassifiedExample } from './report-images.js';

export type { MisclassifiedExample } from './report-images.js';
export { perClassAccuracy, type ClassAccuracy } from './confusion-chart.js';

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
  /** Rows: true class; columns: predicted class. */
  confusion?: number[][];
}

export interface Series {
  label: string;
  points: Array<[number, number]>;
  color: string;
  /** Mark every point (sparse series such as one evaluation per epoch, which a line alone would not show). */
  dots?: boolean;
}

export interface ChartOptions {
  /** The y axis title. */
  yLabel: string;
  /** The x axis title (default "step"). */
  xLabel?: string;
  /** Limits the y axis never passes (accuracy [0, 1], a loss or a rate ≥ 0); default none. */
  yBounds?: [number, number];
  /** Training steps per epoch: adds an epoch axis along the top. */
  stepsPerEpoch?: number;
}

const W = 540;
const H = 320;

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'chart';
const n1 = (v: number) => v.toFixed(1);

/** An SVG line chart of one or more series over training steps. */
export function lineChart(title: string, series: Series[], options: ChartOptions): string {
  const epochAxis = options.stepsPerEpoch !== undefined && options.stepsPerEpoch > 0;
  const m = { l: 68, r: 16, t: epochAxis ? 58 : 34, b: 50 };
  const id = slug(title);
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-${id}" width="${W}" height="${H}" font-family="${FONT}" font-size="11">`;
  const titleText = `<text x="${(m.l + W - m.r) / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escape(title)}</text>`;
  if (all.length === 0) return `${head}${titleText}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#888">no data</text></svg>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [xd0, xd1] = paddedDomain(Math.min(...xs), Math.max(...xs), 0.03, [0, Infinity]);
  const [yd0, yd1] = paddedDomain(Math.min(...ys), Math.max(...ys), 0.05, options.yBounds);
  const [pl, pr, pt, pb] = [m.l, W - m.r, m.t, H - m.b];
  const px = linear(xd0, xd1, pl, pr);
  const py = linear(yd0, yd1, pb, pt);
  const xt = niceTicks(xd0, xd1, { integer: true, target: 6 });
  const yt = niceTicks(yd0, yd1, { target: 5 });
  const parts = [head, titleText, `<defs><clipPath id="clip-${id}"><rect x="${pl - 4}" y="${pt - 4}" width="${pr - pl + 8}" height="${pb - pt + 8}"/></clipPath></defs>`];
  // Gridlines at the ticks, under everything.
  yt.values.forEach((v) => parts.push(`<line class="grid" x1="${pl}" x2="${pr}" y1="${n1(py(v))}" y2="${n1(py(v))}" stroke="#e6e6e6"/>`));
  xt.values.forEach((v) => parts.push(`<line class="grid" x1="${n1(px(v))}" x2="${n1(px(v))}" y1="${pt}" y2="${pb}" stroke="#e6e6e6"/>`));
  // Ticks and their labels.
  yt.values.forEach((v, i) =>
    parts.push(`<g class="tick y"><line x1="${pl - 4}" x2="${pl}" y1="${n1(py(v))}" y2="${n1(py(v))}" stroke="#444"/><text x="${pl - 7}" y="${n1(py(v) + 4)}" text-anchor="end">${yt.labels[i]}</text></g>`),
  );
  xt.values.forEach((v, i) =>
    parts.push(`<g class="tick x"><line x1="${n1(px(v))}" x2="${n1(px(v))}" y1="${pb}" y2="${pb + 4}" stroke="#444"/><text x="${n1(px(v))}" y="${pb + 17}" text-anchor="middle">${xt.labels[i]}</text></g>`),
  );
  if (epochAxis) {
    const spe = options.stepsPerEpoch!;
    const et = niceTicks(xd0 / spe, xd1 / spe, { integer: true, target: 6 });
    et.values.forEach((e, i) => {
      if (e < 0) return;
      const x = n1(px(e * spe));
      parts.push(`<g class="tick epoch"><line x1="${x}" x2="${x}" y1="${pt - 4}" y2="${pt}" stroke="#444"/><text x="${x}" y="${pt - 7}" text-anchor="middle">${et.labels[i]}</text></g>`);
    });
    parts.push(`<text class="axis-title epoch" x="${pl - 7}" y="${pt - 7}" text-anchor="end" font-style="italic">epoch</text>`);
  }
  parts.push(`<text class="axis-title x" x="${(pl + pr) / 2}" y="${H - 12}" text-anchor="middle" font-size="12">${escape(options.xLabel ?? 'step')}</text>`);
  parts.push(`<text class="axis-title y" transform="translate(16 ${(pt + pb) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(options.yLabel)}</text>`);
  // The frame (matplotlib's four spines), then the curves over it, clipped to the plot area (a curve
  // along the frame, a rate at 0, stays visible).
  parts.push(`<rect x="${pl}" y="${pt}" width="${pr - pl}" height="${pb - pt}" fill="none" stroke="#444" stroke-width="0.8"/>`);
  parts.push(`<g clip-path="url(#clip-${id})">`);
  for (const s of series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length > 1) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" stroke-linejoin="round" points="${pts.map(([x, y]) => `${n1(px(x))},${n1(py(y))}`).join(' ')}"/>`);
    if (s.dots || pts.length === 1) {
      for (const [x, y] of pts) parts.push(`<circle cx="${n1(px(x))}" cy="${n1(py(y))}" r="3" fill="${s.color}"><title>${escape(s.label)}, step ${x}: ${formatSignificant(y, 4)}</title></circle>`);
    }
  }
  parts.push('</g>');
  // The legend goes in whichever right-hand corner the curves leave emptier (accuracy curves fill the
  // top, loss curves the bottom), on a white card so a curve passing under it stays readable.
  const lw = Math.max(...series.map((s) => textWidth(s.label, 11))) + 32;
  const lh = series.length * 16 + 6;
  const lx = pr - 8 - lw;
  const inBox = (top: number) => all.filter(([x, y]) => px(x) >= lx && py(y) >= top && py(y) <= top + lh).length;
  const ly = inBox(pt + 8) <= inBox(pb - 8 - lh) ? pt + 8 : pb - 8 - lh;
  parts.push(`<g class="legend"><rect x="${n1(lx)}" y="${ly}" width="${n1(lw)}" height="${lh}" rx="3" fill="#fff" fill-opacity="0.9" stroke="#ccc"/>`);
  series.forEach((s, i) => {
    const y = ly + 3 + i * 16 + 8;
    parts.push(`<line x1="${n1(lx + 6)}" x2="${n1(lx + 24)}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"/>`);
    if (s.dots) parts.push(`<circle cx="${n1(lx + 15)}" cy="${y}" r="3" fill="${s.color}"/>`);
    parts.push(`<text x="${n1(lx + 29)}" y="${y + 4}">${escape(s.label)}</text>`);
  });
  parts.push('</g></svg>');
  return parts.join('');
}

/** Training steps per epoch, from the train records (the first record of epoch e is step e·spe + 1);
 * undefined for a run of one epoch or records that do not fit that pattern. */
export function stepsPerEpoch(records: readonly MetricRecord[]): number | undefined {
  const firstOf = new Map<number, number>();
  for (const r of records) if (r.kind === 'train' && r.epoch >= 1) firstOf.set(r.epoch, Math.min(firstOf.get(r.epoch) ?? Infinity, r.step));
  const candidates = [...firstOf].map(([e, s]) => (s - 1) / e);
  if (candidates.length === 0) return undefined;
  const spe = candidates[0]!;
  return Number.isInteger(spe) && spe > 0 && candidates.every((c) => c === spe) ? spe : undefined;
}

/** The signal-propagation section: an SVG (trusted: rendered by @nf/signal-prop) and a caption, or
 * only the caption when the analysis failed. */
export interface ReportSpp {
  svg?: string;
  caption: string;
}

export interface ReportInfo {
  title: string;
  classNames: readonly string[];
  summary: Record<string, string | number>;
  spp?: ReportSpp;
  /**
   * A few misclassified test images from the last evaluation (see `chooseMisclassified` in
   * report-images.ts); shown as a grid with their true and predicted classes. Optional: no section
   * without them. Only `data:image/png;base64,` URLs are shown.
   */
  misclassified?: readonly MisclassifiedExample[];
}

const PNG_DATA_URL = /^data:image\/png;base64,[A-Za-z0-9+/]+={0,2}$/;

export function renderReport(records: MetricRecord[], info: ReportInfo): string {
  const train = records.filter((r) => r.kind === 'train');
  const evals = records.filter((r) => r.kind === 'eval');
  const pts = (rs: MetricRecord[], key: keyof MetricRecord) => rs.map((r) => [r.step, r[key] as number] as [number, number]);
  const spe = stepsPerEpoch(records);
  const epochs = spe !== undefined ? { stepsPerEpoch: spe } : {};
  // The learning rate on a linear axis, as a plotting library draws a schedule by default: warmup from 0
  // and the cosine tail to 0 have no place on a log axis, and the tail's tiny values (1e-6 … 1e-8 in the
  // last steps) are what a linear axis shows as 0. The legend gives the last value; an axis whose
  // values are all below 1e-3 is labelled in exponent form (1e-4, 2e-4).
  const lastLr = [...train].reverse().find((r) => Number.isFinite(r.lr))?.lr;
  const lrLabel = lastLr !== undefined ? `lr (last: ${formatSignificant(lastLr)})` : 'lr';
  const charts = [
    lineChart('Loss', [{ label: 'train', points: pts(train, 'loss'), color: '#1f77b4' }, { label: 'test (EMA)', points: pts(evals, 'loss'), color: '#d62728', dots: true }], { yLabel: 'cross-entropy', yBounds: [0, Infinity], ...epochs }),
    lineChart('Accuracy', [{ label: 'train', points: pts(train, 'accuracy'), color: '#1f77b4' }, { label: 'test top-1 (EMA)', points: pts(evals, 'accuracy'), color: '#d62728', dots: true }], { yLabel: 'accuracy', yBounds: [0, 1], ...epochs }),
    lineChart('Learning rate', [{ label: lrLabel, points: pts(train, 'lr'), color: '#2ca02c' }], { yLabel: 'learning rate', yBounds: [0, Infinity], ...epochs }),
    lineChart('AGC clip fraction', [{ label: 'units clipped', points: pts(train, 'clipFraction'), color: '#9467bd' }], { yLabel: 'fraction of units clipped', yBounds: [0, 1], ...epochs }),
  ];
  const last = evals[evals.length - 1];
  const confusion = last?.confusion;
  const matrix = confusion ? confusionSection(confusion, info.classNames, last) : '<h2>Confusion matrix</h2><p>No evaluation.</p>';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(info.title)}</title>
<style>body{font-family:${FONT};margin:24px;color:#222;max-width:1200px}h2{margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}.grid{display:flex;flex-wrap:wrap;gap:16px}.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td.name,th.name{text-align:left}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{color:#555}dd{margin:0}.caption{max-width:72em;color:#444}.spp{overflow-x:auto}.examples{display:flex;flex-wrap:wrap;gap:12px}.examples figure{margin:0;width:112px;font-size:11px;text-align:center}.examples img{width:96px;height:96px;image-rendering:pixelated;border:1px solid #ccc;object-fit:contain;background:#000}.examples .wrong{color:#b2182b}</style></head>
<body><h1>${escape(info.title)}</h1><dl>${Object.entries(info.summary).map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(String(v))}</dd>`).join('')}</dl>
<h2>Training curves</h2><div class="grid">${charts.join('')}</div>
<p class="caption">Train curves: every step (on the batch as trained, mixed when MixUp/CutMix is on); test points: the EMA weights at the end of each epoch.</p>
${matrix}${examplesSection(info.misclassified, info.classNames)}${sppSection(info.spp)}</body></html>`;
}

function confusionSection(confusion: number[][], classNames: readonly string[], last: MetricRecord): string {
  const rows = perClassAccuracy(confusion, classNames);
  const total = rows.reduce((s, r) => s + r.total, 0);
  const correct = rows.reduce((s, r) => s + r.correct, 0);
  const overall = total > 0 ? correct / total : Number.NaN;
  return `<h2>Confusion matrix (last evaluation, EMA weights)</h2>
<p class="caption">Step ${last.step}, ${total} test images. Rows: true class; columns: predicted class. The diagonal (correct, blue) and the off-diagonal cells (errors, red) are shaded on a scale each, see the colour bars; the error scale is a square-root one so that a few errors still show.</p>
<div class="row">${confusionHeatmap(confusion, classNames)}</div>
<h2>Per-class accuracy</h2>
<p class="caption">From the confusion matrix above: accuracy = correct / test images of the class (its row); precision = correct / images predicted as the class (its column).</p>
<div class="row">${perClassChart(rows, overall)}${perClassTable(rows, correct, total)}</div>`;
}

const fmt = (v: number, d = 4) => (Number.isFinite(v) ? v.toFixed(d) : '–');

function perClassTable(rows: readonly ClassAccuracy[], correct: number, total: number): string {
  const body = rows
    .map(
      (r) =>
        `<tr><td class="name">${escape(r.name)}</td><td>${r.total}</td><td>${r.correct}</td><td>${fmt(r.accuracy)}</td><td>${fmt(r.precision)}</td><td class="name">${r.confusedWith ? `${escape(r.confusedWith.name)} (${r.confusedWith.count})` : '–'}</td></tr>`,
    )
    .join('');
  return `<table class="per-class"><tr><th class="name">class</th><th>images</th><th>correct</th><th>accuracy</th><th>precision</th><th class="name">most often predicted instead</th></tr>${body}<tr><th class="name">all</th><th>${total}</th><th>${correct}</th><th>${fmt(total > 0 ? correct / total : Number.NaN)}</th><th></th><th></th></tr></table>`;
}

function examplesSection(examples: readonly MisclassifiedExample[] | undefined, classNames: readonly string[]): string {
  const shown = (examples ?? []).filter((e) => typeof e.image === 'string' && PNG_DATA_URL.test(e.image));
  if (shown.length === 0) return '';
  const name = (i: number) => escape(classNames[i] ?? String(i));
  const figures = shown
    .map(
      (e) =>
        `<figure><img src="${e.image}" alt="test image${e.index !== undefined ? ` ${e.index}` : ''}: true ${name(e.label)}, predicted ${name(e.predicted)}"><figcaption>true: ${name(e.label)}<br><span class="wrong">predicted: ${name(e.predicted)}${
          e.confidence !== undefined && Number.isFinite(e.confidence) ? ` (${e.confidence.toFixed(2)})` : ''
        }</span>${e.index !== undefined ? `<br>#${e.index}` : ''}</figcaption></figure>`,
    )
    .join('');
  const withConfidence = shown.some((e) => e.confidence !== undefined && Number.isFinite(e.confidence));
  const bracket = withConfidence ? '; in brackets the probability it gave the predicted class' : '';
  return `<h2>Misclassified examples</h2><p class="caption">A few test images the final model gets wrong (last evaluation), the typical mistakes first, shown enlarged${bracket}; #: the image's index in the test set.</p><div class="examples">${figures}</div>`;
}

function sppSection(spp: ReportSpp | undefined): string {
  if (!spp) return '';
  return `<h2>Signal propagation</h2><p class="caption">${escape(spp.caption)}</p>${spp.svg ? `<div class="spp">${spp.svg}</div>` : ''}`;
}
