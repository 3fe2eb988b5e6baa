/**
 * The report's confusion-matrix heatmap and per-class accuracy, drawn as a plotting library would
 * (scikit-learn's ConfusionMatrixDisplay, a matplotlib imshow with colour bars): rows are the true
 * class, columns the predicted one; every cell shaded by its count and printed with it, the text
 * white on dark cells. The diagonal (correct) and the off-diagonal (errors) have a scale each —
 * blues for the diagonal, linear in the count, and reds for the errors, on a square-root scale
 * (matplotlib's PowerNorm γ = 0.5) — so 1 and 30 errors differ visibly beside ~1000 correct ones.
 */
import { formatFixed, linear, niceTicks } from './chart-axis.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** ColorBrewer's 9-class sequential palettes (matplotlib's "Blues" and "Reds"). */
export const BLUES = ['#f7fbff', '#deebf7', '#c6dbef', '#9ecae1', '#6baed6', '#4292c6', '#2171b5', '#08519c', '#08306b'] as const;
export const REDS = ['#fff5f0', '#fee0d2', '#fcbba1', '#fc9272', '#fb6a4a', '#ef3b2c', '#cb181d', '#a50f15', '#67000d'] as const;

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const hex = (c: readonly number[]): string => `#${c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, '0')).join('')}`;

/** The palette's colour at t in [0, 1], interpolated between its stops. */
export function paletteColor(palette: readonly string[], t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (palette.length - 1);
  const i = Math.min(palette.length - 2, Math.floor(x));
  const [a, b] = [rgb(palette[i]!), rgb(palette[i + 1]!)];
  return hex(a.map((v, k) => v + (b[k]! - v) * (x - i)));
}

/** Relative luminance (WCAG) of a #rrggbb colour. */
export function luminance(color: string): number {
  const lin = rgb(color).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
}

/** Text colour for a cell: white on dark fills, near-black on light ones (the higher contrast). */
export function textColorOn(fill: string): string {
  const l = luminance(fill);
  return (1.05) / (l + 0.05) > (l + 0.05) / (luminance('#222222') + 0.05) ? '#ffffff' : '#222222';
}

/** A colour scale: count → colour, and where a count sits on its colour bar (0 … 1). */
export interface CountScale {
  max: number;
  palette: readonly string[];
  /** 1 = linear, 0.5 = square root. */
  gamma: number;
  label: string;
}

export const scaleUnit = (s: CountScale, v: number): number => (s.max > 0 ? (Math.min(v, s.max) / s.max) ** s.gamma : 0);
/** A zero count is white on either scale: empty, not "a little". */
export const cellColor = (s: CountScale, v: number): string => (v > 0 ? paletteColor(s.palette, scaleUnit(s, v)) : '#ffffff');

/** The two scales of a matrix: correct (diagonal) and errors (off-diagonal). */
export function confusionScales(confusion: readonly (readonly number[])[]): { correct: CountScale; errors: CountScale } {
  let diag = 0;
  let off = 0;
  confusion.forEach((row, i) => row.forEach((v, j) => (i === j ? (diag = Math.max(diag, v)) : (off = Math.max(off, v)))));
  return {
    correct: { max: diag, palette: BLUES, gamma: 1, label: 'correct (diagonal)' },
    errors: { max: off, palette: REDS, gamma: 0.5, label: 'errors (off-diagonal, √ scale)' },
  };
}

export interface ClassAccuracy {
  name: string;
  /** Test images of this class (its row's sum). */
  total: number;
  correct: number;
  /** correct / total (recall); NaN for a class with no test images. */
  accuracy: number;
  /** Images predicted as this class (its column's sum) and the share of them that are right. */
  predicted: number;
  precision: number;
  /** The class it is most often mistaken for, and how often (none when it has no errors). */
  confusedWith?: { name: string; count: number };
}

/** Per-class accuracy from a confusion matrix (rows true, columns predicted). */
export function perClassAccuracy(confusion: readonly (readonly number[])[], classNames: readonly string[]): ClassAccuracy[] {
  const name = (i: number) => classNames[i] ?? String(i);
  return confusion.map((row, i) => {
    const total = row.reduce((s, v) => s + v, 0);
    const correct = row[i] ?? 0;
    const predicted = confusion.reduce((s, r) => s + (r[i] ?? 0), 0);
    let worst = -1;
    row.forEach((v, j) => {
      if (j !== i && v > 0 && (worst < 0 || v > row[worst]!)) worst = j;
    });
    return {
      name: name(i),
      total,
      correct,
      accuracy: total > 0 ? correct / total : Number.NaN,
      predicted,
      precision: predicted > 0 ? correct / predicted : Number.NaN,
      ...(worst >= 0 ? { confusedWith: { name: name(worst), count: row[worst]! } } : {}),
    };
  });
}

/** Width in pixels of `text` at `size` px (DejaVu Sans averages ~0.6 em per character). */
export const textWidth = (text: string, size: number): number => text.length * size * 0.6;

/** Long class names shortened on the axes (the full name in the hover title). */
const short = (s: string, n = 18) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A vertical colour bar with integer count ticks. */
function colorBar(scale: CountScale, x: number, y: number, h: number, id: string): string {
  const w = 14;
  const stops = Array.from({ length: 17 }, (_, i) => i / 16);
  const parts = [
    `<defs><linearGradient id="${id}" x1="0" y1="1" x2="0" y2="0">${stops.map((t) => `<stop offset="${t}" stop-color="${paletteColor(scale.palette, t)}"/>`).join('')}</linearGradient></defs>`,
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="url(#${id})" stroke="#444" stroke-width="0.8"/>`,
  ];
  const ticks = scale.max > 0 ? niceTicks(0, scale.max, { integer: true, target: 5 }) : { values: [0], labels: ['0'] };
  const py = linear(0, 1, y + h, y);
  ticks.values.forEach((v, i) => {
    const ty = py(scaleUnit(scale, v)).toFixed(1);
    parts.push(`<line x1="${x + w}" x2="${x + w + 4}" y1="${ty}" y2="${ty}" stroke="#444"/><text x="${x + w + 7}" y="${Number(ty) + 4}">${ticks.labels[i]}</text>`);
  });
  const cx = x + w + 50;
  parts.push(`<text transform="translate(${cx} ${y + h / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(scale.label)}</text>`);
  return parts.join('');
}

/** The confusion matrix as an SVG heatmap with a colour bar for each of its two scales. */
export function confusionHeatmap(confusion: readonly (readonly number[])[], classNames: readonly string[]): string {
  const k = confusion.length;
  const names = Array.from({ length: k }, (_, i) => classNames[i] ?? String(i));
  const cell = Math.max(18, Math.min(48, Math.floor(440 / Math.max(1, k))));
  const font = 12;
  const countFont = cell >= 36 ? 12 : cell >= 26 ? 10 : 0;
  const rowLabelW = Math.max(...names.map((n) => textWidth(short(n), font))) + 10;
  const colLabelW = Math.max(...names.map((n) => textWidth(short(n), font)));
  const rotate = colLabelW > cell - 4;
  const colLabelH = rotate ? colLabelW * Math.SQRT1_2 + 16 : font + 8;
  const left = 24 + rowLabelW;
  const top = 12;
  const size = cell * k;
  const barH = Math.max(size, 200); // a colour bar stays readable beside a 2×2 matrix
  const bottom = Math.max(top + size + colLabelH + 22, top + barH + 12);
  const { correct, errors } = confusionScales(confusion);
  const barX = left + size + 24;
  const width = barX + 2 * 92;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="confusion" width="${Math.ceil(width)}" height="${Math.ceil(bottom)}" font-family="${FONT}" font-size="${font}">`,
  ];
  confusion.forEach((row, i) =>
    row.forEach((v, j) => {
      const fill = cellColor(i === j ? correct : errors, v);
      const x = left + j * cell;
      const y = top + i * cell;
      const text = countFont ? `<text x="${x + cell / 2}" y="${y + cell / 2 + countFont * 0.36}" text-anchor="middle" font-size="${countFont}" fill="${v === 0 ? '#b0b0b0' : textColorOn(fill)}">${v}</text>` : '';
      parts.push(
        `<g class="cell" data-row="${i}" data-col="${j}" data-count="${v}"><title>true ${escapeHtml(names[i]!)}, predicted ${escapeHtml(names[j]!)}: ${v}</title><rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}"/>${text}</g>`,
      );
    }),
  );
  // Thin white lines between cells (as seaborn's linewidths), a frame around the matrix.
  for (let i = 1; i < k; i++) {
    parts.push(`<line x1="${left}" x2="${left + size}" y1="${top + i * cell}" y2="${top + i * cell}" stroke="#fff" stroke-width="1"/>`);
    parts.push(`<line y1="${top}" y2="${top + size}" x1="${left + i * cell}" x2="${left + i * cell}" stroke="#fff" stroke-width="1"/>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${size}" height="${size}" fill="none" stroke="#444" stroke-width="0.8"/>`);
  names.forEach((n, i) => {
    const cy = top + i * cell + cell / 2;
    parts.push(`<text class="row-label" x="${left - 6}" y="${cy + 4}" text-anchor="end"><title>${escapeHtml(n)}</title>${escapeHtml(short(n))}</text>`);
    const cx = left + i * cell + cell / 2;
    const ty = top + size + 6;
    parts.push(
      rotate
        ? `<text class="col-label" transform="translate(${cx + 4} ${ty + 4}) rotate(-45)" text-anchor="end"><title>${escapeHtml(n)}</title>${escapeHtml(short(n))}</text>`
        : `<text class="col-label" x="${cx}" y="${ty + font}" text-anchor="middle"><title>${escapeHtml(n)}</title>${escapeHtml(short(n))}</text>`,
    );
  });
  parts.push(`<text x="${left + size / 2}" y="${bottom - 8}" text-anchor="middle" font-weight="bold">predicted class</text>`);
  parts.push(`<text transform="translate(14 ${top + size / 2}) rotate(-90)" text-anchor="middle" font-weight="bold">true class</text>`);
  parts.push(colorBar(correct, barX, top, barH, 'cm-correct'), colorBar(errors, barX + 92, top, barH, 'cm-errors'));
  parts.push('</svg>');
  return parts.join('');
}

/** Per-class accuracy as horizontal bars on [0, 1], the overall accuracy dashed. */
export function perClassChart(rows: readonly ClassAccuracy[], overall: number): string {
  const font = 12;
  const barH = 18;
  const gap = 6;
  const labelW = Math.max(...rows.map((r) => textWidth(short(r.name), font)), 30) + 12;
  const left = labelW + 8;
  const plotW = 320;
  const top = 18;
  const plotH = rows.length * (barH + gap) + gap;
  const width = left + plotW + 56;
  const height = top + plotH + 44;
  const px = linear(0, 1, left, left + plotW);
  const ticks = niceTicks(0, 1, { target: 6 });
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="per-class" width="${Math.ceil(width)}" height="${height}" font-family="${FONT}" font-size="${font}">`];
  ticks.values.forEach((v, i) => {
    const x = px(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#e5e5e5"/><line x1="${x}" x2="${x}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#444"/><text x="${x}" y="${top + plotH + 17}" text-anchor="middle">${ticks.labels[i]}</text>`);
  });
  rows.forEach((r, i) => {
    const y = top + gap + i * (barH + gap);
    const acc = Number.isFinite(r.accuracy) ? r.accuracy : 0;
    const label = Number.isFinite(r.accuracy) ? formatFixed(r.accuracy, 3) : 'no images';
    parts.push(
      `<g class="bar" data-class="${escapeHtml(r.name)}"><title>${escapeHtml(r.name)}: ${r.correct} of ${r.total} correct</title><text x="${left - 6}" y="${y + barH / 2 + 4}" text-anchor="end">${escapeHtml(short(r.name))}</text><rect x="${left}" y="${y}" width="${(px(acc) - left).toFixed(1)}" height="${barH}" fill="${BLUES[5]}"/><text x="${(px(acc) + 4).toFixed(1)}" y="${y + barH / 2 + 4}">${label}</text></g>`,
    );
  });
  if (Number.isFinite(overall)) {
    const x = px(overall).toFixed(1);
    parts.push(`<line class="overall" x1="${x}" x2="${x}" y1="${top}" y2="${top + plotH}" stroke="#d62728" stroke-dasharray="4 3" stroke-width="1.2"><title>overall ${formatFixed(overall, 4)}</title></line>`);
    parts.push(`<text x="${x}" y="${top - 2}" text-anchor="middle" fill="#d62728" font-size="11">all ${formatFixed(overall, 3)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#444"/><line x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#444"/>`);
  parts.push(`<text x="${left + plotW / 2}" y="${height - 6}" text-anchor="middle">accuracy (correct / test images of the class; dashed: overall)</text>`);
  parts.push('</svg>');
  return parts.join('');
}
