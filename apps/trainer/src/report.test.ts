import { describe, expect, it } from 'vitest';
import { lineChart, renderReport, tickFormat } from './report.js';

describe('report.html', () => {
  it('tick labels stay distinct on narrow ranges and readable on tiny ones', () => {
    const loss = tickFormat(2.301, 2.307, 0.0015);
    expect([2.301, 2.3025, 2.304, 2.3055, 2.307].map(loss)).toEqual(['2.3010', '2.3025', '2.3040', '2.3055', '2.3070']);
    const lr = tickFormat(0.000641, 0.00513, 0.00112);
    expect(lr(0.000641)).toBe('0.0006');
    expect(tickFormat(0, 8, 2)(6)).toBe('6.0');
    expect(tickFormat(1e-6, 5e-6, 1e-6)(2e-6)).toBe('2.00e-6');
  });

  it('puts the legend in the right-hand corner the curves leave empty', () => {
    const rising = Array.from({ length: 20 }, (_, i) => [i, 0.8 + i * 0.01] as [number, number]);
    const falling = rising.map(([x, y]) => [x, 2 - y] as [number, number]);
    const legendY = (svg: string) => Number(/<rect x="[\d.]+" y="([\d.]+)" width="120"/.exec(svg)![1]);
    const accuracy = lineChart('Accuracy', [{ label: 'train', points: rising, color: '#1f77b4' }, { label: 'test', points: rising, color: '#d62728' }], 'top-1');
    const loss = lineChart('Loss', [{ label: 'train', points: falling, color: '#1f77b4' }], 'loss');
    expect(legendY(accuracy)).toBeGreaterThan(120); // rising curve: legend at the bottom
    expect(legendY(loss)).toBe(28); // falling curve: legend at the top
  });

  it('marks sparse series with dots; the SPP section appears only when given', () => {
    const svg = lineChart('Loss', [{ label: 'test', points: [[8, 2.3]], color: '#d62728', dots: true }], 'loss');
    expect(svg).toContain('<circle cx=');
    const base = { title: 't', classNames: ['a', 'b'], summary: { steps: 1 } };
    expect(renderReport([], base)).not.toContain('Signal propagation');
    const html = renderReport([], { ...base, spp: { svg: '<svg id="spp"></svg>', caption: 'a < b' } });
    expect(html).toContain('<h2>Signal propagation</h2><p class="caption">a &lt; b</p><div class="spp"><svg id="spp"></svg></div>');
    expect(renderReport([], { ...base, spp: { caption: 'Signal-propagation plot unavailable: x' } })).not.toContain('<div class="spp">');
  });
});
