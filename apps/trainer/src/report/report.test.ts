import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { lineChart, perClassAccuracy, renderReport, stepsPerEpoch, type MetricRecord } from './report.js';
import { cellColor, confusionHeatmap, confusionScales, luminance, textColorOn } from './confusion-chart.js';
import { chooseMisclassified, encodePng, pngDataUrl } from './report-images.js';
import { warmupCosine } from '../step/lr-schedule.js';

/** A run as nf-train writes it: 10 epochs of 78 steps, loss falling with noise, warmup-cosine lr
 * peaking at 0.2, one evaluation (with its confusion matrix) per epoch. */
function realisticRun(peakLr = 0.2, epochs = 10, spe = 78): MetricRecord[] {
  const total = epochs * spe;
  const out: MetricRecord[] = [];
  let seed = 7;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1;
  for (let step = 1; step <= total; step++) {
    const epoch = Math.floor((step - 1) / spe);
    const loss = 0.75 + 1.55 * Math.exp(-step / 60) + noise();
    out.push({ kind: 'train', step, epoch, loss, accuracy: Math.min(0.97, 1 - loss / 2.5), lr: warmupCosine(step, peakLr, spe / 4, total), clipFraction: 0.004 + Math.abs(noise()) * 0.3 });
    if (step % spe === 0) out.push({ kind: 'eval', step, epoch, loss: 0.46 + 0.4 / (epoch + 1), accuracy: 0.86 - 0.15 / (epoch + 1), confusion: CONFUSION });
  }
  return out;
}

const CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const CONFUSION = [
  [179, 1, 3, 4, 1, 1, 10, 0, 1, 0],
  [1, 190, 1, 6, 1, 0, 0, 0, 1, 0],
  [2, 0, 148, 4, 29, 0, 16, 0, 1, 0],
  [10, 1, 3, 165, 14, 0, 6, 0, 1, 0],
  [1, 0, 13, 7, 166, 0, 12, 0, 1, 0],
  [0, 0, 0, 0, 0, 189, 0, 9, 0, 2],
  [28, 0, 20, 5, 30, 0, 116, 0, 1, 0],
  [0, 0, 0, 0, 0, 1, 0, 190, 0, 9],
  [1, 0, 1, 2, 2, 3, 0, 0, 191, 0],
  [0, 0, 0, 0, 0, 2, 0, 7, 0, 191],
];

/** The tick labels of one class ("y", "x", "epoch") in one chart's SVG. */
function tickLabels(svg: string, axis: 'x' | 'y' | 'epoch'): string[] {
  return [...svg.matchAll(new RegExp(`<g class="tick ${axis}">.*?<text[^>]*>([^<]+)</text></g>`, 'g'))].map((m) => m[1]!);
}

/** Each label a whole multiple of one step of 1, 2, 2.5 or 5 × 10^k, evenly spaced, read back exactly. */
function expectRoundTicks(labels: string[]): void {
  expect(labels.length).toBeGreaterThanOrEqual(4);
  expect(labels.length).toBeLessThanOrEqual(8);
  const values = labels.map(Number);
  const step = values[1]! - values[0]!;
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
  expect([1, 2, 2.5, 5].some((m) => Math.abs(m - mantissa) < 1e-9), `step ${step} of ${labels.join(' ')}`).toBe(true);
  values.forEach((v, i) => {
    expect(Math.abs(v - (values[0]! + i * step))).toBeLessThan(step * 1e-9);
    expect(Math.abs(v / step - Math.round(v / step))).toBeLessThan(1e-9);
    expect(labels[i]).not.toMatch(/\d{6,}/);
  });
}

const charts = (html: string) => Object.fromEntries([...html.matchAll(/<svg[^>]*id="chart-([a-z-]+)".*?<\/svg>/g)].map((m) => [m[1]!, m[0]]));

describe('report.html charts', () => {
  it('ticks at round values on both axes of every chart of a real metrics series, with an epoch axis', () => {
    const html = renderReport(realisticRun(), { title: 't', classNames: CLASSES, summary: {} });
    const svgs = charts(html);
    expect(Object.keys(svgs).sort()).toEqual(['accuracy', 'agc-clip-fraction', 'learning-rate', 'loss']);
    for (const [name, svg] of Object.entries(svgs)) {
      expectRoundTicks(tickLabels(svg, 'y'));
      const x = tickLabels(svg, 'x');
      expectRoundTicks(x);
      expect(x.every((l) => /^\d+$/.test(l)), name).toBe(true);
      expect(tickLabels(svg, 'epoch')).toEqual(['0', '2', '4', '6', '8', '10']);
      expect(svg).toContain('>step</text>');
      expect(svg).toContain('class="grid"');
    }
    expect(tickLabels(svgs['learning-rate']!, 'y')).toEqual(['0.00', '0.05', '0.10', '0.15', '0.20']);
    expect(tickLabels(svgs.loss!, 'x')).toEqual(['0', '200', '400', '600', '800']);
    expect(tickLabels(svgs.loss!, 'y')).toEqual(['0.5', '1.0', '1.5', '2.0']);
    expect(html).not.toMatch(/>(0\.46|0\.92|1\.38)</); // the odd fractions of the range
    expect(svgs['learning-rate']).toContain('lr (last: 0)');
  });

  it('ticks and gridlines lie inside the plot area, labels at their ticks', () => {
    const svg = charts(renderReport(realisticRun(), { title: 't', classNames: CLASSES, summary: {} })).loss!;
    const frame = /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="none" stroke="#444"/.exec(svg)!.slice(1).map(Number);
    const [x, y, w, h] = frame as [number, number, number, number];
    const ys = [...svg.matchAll(/<g class="tick y"><line [^>]*y1="([\d.]+)"/g)].map((m) => Number(m[1]));
    const xs = [...svg.matchAll(/<g class="tick x"><line x1="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys.length).toBeGreaterThanOrEqual(4);
    expect(ys.every((v) => v >= y && v <= y + h)).toBe(true);
    expect(xs.every((v) => v >= x && v <= x + w)).toBe(true);
    const grid = [...svg.matchAll(/<line class="grid" x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(grid.filter((g) => g !== y)).toEqual(expect.arrayContaining(ys.filter((v) => v !== y))); // a gridline at each y tick
  });

  it('a small learning rate reads in exponent form; a short run has integer step ticks', () => {
    const svg = charts(renderReport(realisticRun(5e-4, 1, 8), { title: 't', classNames: CLASSES, summary: {} }))['learning-rate']!;
    expect(tickLabels(svg, 'y')).toEqual(['0', '1e-4', '2e-4', '3e-4', '4e-4', '5e-4']);
    expect(tickLabels(svg, 'x')).toEqual(['2', '4', '6', '8']);
    expect(tickLabels(svg, 'epoch')).toEqual([]); // one epoch: no epoch axis
  });

  it('steps per epoch from the train records', () => {
    expect(stepsPerEpoch(realisticRun())).toBe(78);
    expect(stepsPerEpoch(realisticRun(0.2, 1, 8))).toBeUndefined();
  });

  it('puts the legend in the right-hand corner the curves leave empty', () => {
    const rising = Array.from({ length: 20 }, (_, i) => [i, 0.8 + i * 0.01] as [number, number]);
    const falling = rising.map(([x, y]) => [x, 2 - y] as [number, number]);
    const legendY = (svg: string) => Number(/<g class="legend"><rect x="[\d.]+" y="([\d.]+)"/.exec(svg)![1]);
    const accuracy = lineChart('Accuracy', [{ label: 'train', points: rising, color: '#1f77b4' }, { label: 'test', points: rising, color: '#d62728' }], { yLabel: 'top-1' });
    const loss = lineChart('Loss', [{ label: 'train', points: falling, color: '#1f77b4' }], { yLabel: 'loss' });
    expect(legendY(accuracy)).toBeGreaterThan(150); // rising curve: legend at the bottom
    expect(legendY(loss)).toBeLessThan(60); // falling curve: legend at the top
  });

  it('marks sparse series with dots; a chart with no data says so', () => {
    const svg = lineChart('Loss', [{ label: 'test', points: [[8, 2.3]], color: '#d62728', dots: true }], { yLabel: 'loss' });
    expect(svg).toContain('<circle cx=');
    expect(tickLabels(svg, 'y').length).toBeGreaterThanOrEqual(4); // a single value still gets an axis
    expect(lineChart('Loss', [{ label: 'train', points: [], color: '#1f77b4' }], { yLabel: 'loss' })).toContain('no data');
  });
});

describe('report.html confusion matrix and per-class accuracy', () => {
  const cellFill = (svg: string, i: number, j: number) => new RegExp(`data-row="${i}" data-col="${j}"[^>]*>.*?<rect [^>]*fill="(#[0-9a-f]{6})"`).exec(svg)![1]!;

  it('shades cells by count: 1 and 30 errors differ visibly, 0 is white, the text contrasts', () => {
    const svg = confusionHeatmap(CONFUSION, CLASSES);
    const one = cellFill(svg, 0, 1); // 1 error
    const thirty = cellFill(svg, 6, 4); // 30 errors
    expect(one).not.toBe(thirty);
    expect(luminance(one) - luminance(thirty)).toBeGreaterThan(0.5);
    expect(cellFill(svg, 0, 7)).toBe('#ffffff');
    expect(cellFill(svg, 2, 2)).not.toBe(cellFill(svg, 1, 1)); // 148 and 190 correct
    expect(textColorOn(thirty)).toBe('#ffffff');
    expect(textColorOn(one)).toBe('#222222');
    // Counts printed in the cells; class names on both axes; rows true, columns predicted.
    expect(svg).toMatch(/data-row="6" data-col="4" data-count="30"><title>true Shirt, predicted Coat: 30<\/title><rect[^>]*\/><text[^>]*>30<\/text>/);
    expect(svg.match(/class="row-label"/g)).toHaveLength(10);
    expect(svg.match(/class="col-label"/g)).toHaveLength(10);
    expect(svg).toContain('>true class</text>');
    expect(svg).toContain('>predicted class</text>');
    expect(svg).toContain('rotate(-45)'); // 'T-shirt/top' is wider than a cell
  });

  it('the diagonal and the errors have a colour bar each; errors on a √ scale', () => {
    const { correct, errors } = confusionScales(CONFUSION);
    expect([correct.max, errors.max]).toEqual([191, 30]);
    expect(cellColor(errors, 30)).toBe('#67000d');
    expect(cellColor(correct, 191)).toBe('#08306b');
    expect(luminance(cellColor(errors, 1))).toBeLessThan(luminance(cellColor(errors, 0)) - 0.05); // 1 error is not white
    const svg = confusionHeatmap(CONFUSION, CLASSES);
    expect(svg).toContain('<linearGradient id="cm-correct"');
    expect(svg).toContain('<linearGradient id="cm-errors"');
  });

  it('per-class accuracy equals a hand computation from the matrix', () => {
    const rows = perClassAccuracy(CONFUSION, CLASSES);
    expect(rows[6]).toEqual({ name: 'Shirt', total: 200, correct: 116, accuracy: 0.58, predicted: 10 + 16 + 6 + 12 + 116, precision: 116 / 160, confusedWith: { name: 'Coat', count: 30 } });
    expect(rows[2]!.accuracy).toBe(148 / 200);
    expect(rows[4]!.precision).toBe(166 / (1 + 1 + 29 + 14 + 166 + 0 + 30 + 0 + 2 + 0));
    const tiny = perClassAccuracy([[3, 1], [0, 0]], ['a', 'b']);
    expect(tiny[0]).toMatchObject({ total: 4, correct: 3, accuracy: 0.75, precision: 1, confusedWith: { name: 'b', count: 1 } });
    expect(tiny[1]!.accuracy).toBeNaN(); // no test images of b
    expect(tiny[1]!.confusedWith).toBeUndefined();
    const html = renderReport(realisticRun(), { title: 't', classNames: CLASSES, summary: {} });
    expect(html).toContain('<tr><td class="name">Shirt</td><td>200</td><td>116</td><td>0.5800</td><td>0.7250</td><td class="name">Coat (30)</td></tr>');
    expect(html).toContain('<th>2000</th><th>1725</th><th>0.8625</th>');
    expect(html).toMatch(/<g class="bar" data-class="Shirt">.*?>0\.580<\/text><\/g>/);
  });

  it('escapes class names everywhere (a class named <script>)', () => {
    const names = ['<script>', 'a"b', "c'd&"];
    const records: MetricRecord[] = [{ kind: 'eval', step: 1, epoch: 0, loss: 1, accuracy: 0.5, confusion: [[1, 0, 0], [30, 1, 0], [0, 0, 1]] }];
    const html = renderReport(records, { title: '<t>', classNames: names, summary: { '<k>': '<v>' } });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('a"b');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a&quot;b');
    expect(html).toContain('c&#39;d&amp;');
    expect(html).toContain('<title>&lt;t&gt;</title>');
  });
});

describe('report.html text and optional sections', () => {
  it('cites no file outside the repository (the paper instead)', () => {
    const html = renderReport(realisticRun(), { title: 't', classNames: CLASSES, summary: {}, spp: { caption: 'x' } });
    expect(html).not.toMatch(/[\w-]+\.md\b/);
    expect(html).not.toContain('nfnet-facts');
  });

  it('shows misclassified images only when passed, and only PNG data URLs', () => {
    const base = { title: 't', classNames: CLASSES, summary: {} };
    expect(renderReport(realisticRun(), base)).not.toContain('Misclassified');
    const image = pngDataUrl(new Uint8Array(28 * 28).fill(200), 28, 28, 1);
    const html = renderReport(realisticRun(), {
      ...base,
      misclassified: [
        { image, label: 6, predicted: 0, confidence: 0.71, index: 12 },
        { image: 'javascript:alert(1)', label: 1, predicted: 2 },
        { image: 'https://example.com/x.png', label: 1, predicted: 2 },
        { image: 'data:image/png;base64,AAAA" onerror="alert(1)', label: 1, predicted: 2 },
      ],
    });
    expect(html).toContain('<h2>Misclassified examples</h2>');
    expect(html.match(/<figure>/g)).toHaveLength(1);
    expect(html).toContain(`<img src="${image}"`);
    expect(html).toContain('true: Shirt<br><span class="wrong">predicted: T-shirt/top (0.71)</span><br>#12');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('example.com');
    expect(html).not.toContain('onerror');
    expect(renderReport(realisticRun(), { ...base, misclassified: [] })).not.toContain('Misclassified');
  });

  it('the SPP section appears only when given', () => {
    const base = { title: 't', classNames: ['a', 'b'], summary: { steps: 1 } };
    expect(renderReport([], base)).not.toContain('Signal propagation');
    const html = renderReport([], { ...base, spp: { svg: '<svg id="spp"></svg>', caption: 'a < b' } });
    expect(html).toContain('<h2>Signal propagation</h2><p class="caption">a &lt; b</p><div class="spp"><svg id="spp"></svg></div>');
    expect(renderReport([], { ...base, spp: { caption: 'Signal-propagation plot unavailable: x' } })).not.toContain('<div class="spp">');
  });
});

describe('report images', () => {
  it('encodes a valid PNG (signature, IHDR size and colour type, the pixels, the CRC)', () => {
    const png = encodePng(Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 10), 3, 2, 3);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([3, 2, 8, 2]);
    const idat = png.readUInt32BE(33);
    expect(png.subarray(37, 41).toString('ascii')).toBe('IDAT');
    const rows = inflateSync(png.subarray(41, 41 + idat));
    expect([...rows]).toEqual([0, 0, 10, 20, 30, 40, 50, 60, 70, 80, 0, 90, 100, 110, 120, 130, 140, 150, 160, 170]); // filter 0 + a row each
    expect(png.subarray(-8, -4).toString('ascii')).toBe('IEND');
    expect(png.readUInt32BE(png.length - 4)).toBe(0xae426082); // the CRC of every IEND chunk
  });

  it('picks one example of each confusion in turn, the most frequent first', () => {
    const labels = [0, 1, 1, 1, 2, 2, 0, 1];
    const predicted = [0, 2, 2, 2, 0, 1, 1, 2];
    expect(chooseMisclassified(labels, predicted, 4)).toEqual([1, 4, 5, 6]);
    expect(chooseMisclassified(labels, predicted, 2)).toEqual([1, 4]);
    expect(chooseMisclassified([0, 1], [0, 1])).toEqual([]);
  });
});
