import { describe, expect, it } from 'vitest';
import { lineChart } from './line-chart.js';

/** The numbers a chart draws: its tick labels and its paths' points. */
function read(svg: string) {
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
  const paths = [...svg.matchAll(/<path d="([^"]+)"/g)].map((m) => m[1]!.split(/[ML]/).filter(Boolean).map((p) => p.trim().split(' ').map(Number)));
  return { labels, paths };
}

describe('lineChart', () => {
  it('draws each series through its points, with round ticks spanning the data', () => {
    const svg = lineChart(
      [
        { name: 'train', color: '#00f', points: [[1, 2.3], [2, 2.0], [3, 1.5], [4, 1.2]] },
        { name: 'test', color: '#f00', points: [[4, 1.4]], dashed: true },
      ],
      { title: 'Loss', width: 360, height: 200 },
    );
    const { labels, paths } = read(svg);
    expect(labels).toContain('Loss');
    expect(labels).toContain('train');
    expect(labels).toContain('test');
    // y ticks are round numbers inside the padded range [1.145, 2.355]: 1.2 … 2.2 by 0.2.
    expect(labels).toEqual(expect.arrayContaining(['1.2', '1.4', '1.6', '1.8', '2.0', '2.2']));
    // x ticks: integer steps 1 … 4.
    expect(labels).toEqual(expect.arrayContaining(['1', '2', '3', '4']));
    expect(paths.length).toBe(2);
    const train = paths[0]!;
    expect(train.length).toBe(4);
    // x increases left to right; a lower loss is drawn lower on the page (a larger SVG y).
    expect(train.map((p) => p[0]!)).toEqual([...train.map((p) => p[0]!)].sort((a, b) => a - b));
    expect(train[3]![1]!).toBeGreaterThan(train[0]![1]!);
    // The first and last x sit on the frame's left and right edges (52 and 360 − 12).
    expect(train[0]![0]).toBeCloseTo(52, 1);
    expect(train[3]![0]).toBeCloseTo(348, 1);
    expect(svg).toContain('stroke-dasharray');
  });

  it('skips non-finite points, clips to bounds, and says when there is nothing to draw', () => {
    const svg = lineChart([{ name: 'acc', color: '#000', points: [[1, 0.5], [2, Number.NaN], [3, 1]] }], { title: 'Accuracy', yBounds: [0, 1] });
    const { labels, paths } = read(svg);
    expect(paths[0]!.length).toBe(2);
    expect(labels.filter((l) => /^\d/.test(l)).every((l) => Number(l) <= 1 + 1e-9 || Number.isInteger(Number(l)))).toBe(true);
    expect(lineChart([], { title: 'Empty' })).toContain('no data yet');
    expect(lineChart([{ name: 'x', color: '#000', points: [] }], { title: 'A <b> & "c"' })).toContain('A &lt;b&gt; &amp; &quot;c&quot;');
  });
});
