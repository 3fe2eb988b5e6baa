import { describe, expect, it } from 'vitest';
import { checkWellFormed, elements } from '../test/xml.js';
import { expectedVariance, renderSvg, SERIES_COLORS, type SignalReport } from './index.js';

function measured(label: string, avgVar: number[], transitionAt: number[] = []): SignalReport {
  const base = expectedVariance({ alpha: 0.2, blocksPerStage: [avgVar.length - 1] });
  return {
    ...base,
    label,
    source: 'measured',
    sites: avgVar.map((v, i) => ({ ...base.sites[i]!, avgVar: v, avgSqMean: 0.01 * (i + 1), resAvgVar: i === 0 ? null : 1 + 0.01 * i, transition: transitionAt.includes(i) })),
  };
}

describe('renderSvg', () => {
  const bn = measured('BN-ResNet <v2> & co', [1, 2, 3, 4, 1.5, 2.5, 3.5], [4]);
  const nf = measured('NF-ResNet', [1, 1.04, 1.08, 1.12, 1.04, 1.08, 1.12], [4]);
  const curve = expectedVariance({ alpha: 0.2, blocksPerStage: [3, 3] });

  it('draws one panel per statistic with labelled axes, ticks, a legend and every series', () => {
    const svg = renderSvg([bn, nf, curve], { title: 'SPP: BN vs NF' });
    expect(checkWellFormed(svg)).toEqual([]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(elements(svg, 'g', 'panel').map((p) => [p['data-stat'], p['data-scale']])).toEqual([
      ['avgSqMean', 'linear'],
      ['avgVar', 'linear'],
      ['resAvgVar', 'linear'],
    ]);
    expect(svg).toContain('>average channel squared mean</text>');
    expect(svg).toContain('>average channel variance</text>');
    expect(svg).toContain('>residual branch variance</text>');
    expect(svg.match(/>depth \(site index\)<\/text>/g)).toHaveLength(3);
    expect(svg.match(/class="axis-label y"/g)).toHaveLength(3);
    expect(svg).toContain('>SPP: BN vs NF</text>');
    // Legend: one entry per report, the label escaped.
    expect(elements(svg, 'g', 'legend-entry').map((e) => e['data-label'])).toEqual(['BN-ResNet &lt;v2&gt; &amp; co', 'NF-ResNet', 'analytic (α=0.2)']);
    // Series: 3 reports × 3 panels; the residual panel has no point at the stem.
    const series = elements(svg, 'g', 'series');
    expect(series.map((s) => `${s['data-label']}:${s['data-points']}`)).toEqual([
      'BN-ResNet &lt;v2&gt; &amp; co:7', 'NF-ResNet:7', 'analytic (α=0.2):7',
      'BN-ResNet &lt;v2&gt; &amp; co:7', 'NF-ResNet:7', 'analytic (α=0.2):7',
      'BN-ResNet &lt;v2&gt; &amp; co:6', 'NF-ResNet:6', 'analytic (α=0.2):6',
    ]);
    expect(svg).toContain(`stroke="${SERIES_COLORS[1]}"`);
    expect(svg.match(/stroke-dasharray="6 4"/g)!.length).toBe(4); // the analytic curve: 3 panels + legend
    expect(elements(svg, 'line', 'transition')).toHaveLength(3); // index 4, once per panel
    // The variance panel covers 1…4 and starts at 0 (the data start below half their maximum).
    const varPanel = svg.slice(svg.indexOf('data-stat="avgVar"'), svg.indexOf('data-stat="resAvgVar"'));
    const ticks = [...varPanel.matchAll(/<g class="tick y">.*?<text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(['0', '1', '2', '3', '4']);
  });

  it('uses decades on log axes and skips values it cannot place there', () => {
    const zero = { ...nf, label: 'zeros', sites: nf.sites.map((s) => ({ ...s, avgSqMean: 0 })) };
    const svg = renderSvg([bn, zero], { logY: ['avgSqMean'], stats: ['avgSqMean', 'avgVar'] });
    expect(checkWellFormed(svg)).toEqual([]);
    expect(elements(svg, 'g', 'panel').map((p) => p['data-scale'])).toEqual(['log', 'linear']);
    const sqPanel = svg.slice(0, svg.indexOf('data-stat="avgVar"'));
    const ticks = [...sqPanel.matchAll(/<g class="tick y">.*?<text[^>]*>([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(ticks).toEqual(['0.01', '0.02', '0.05', '0.1']);
    expect(sqPanel).toContain('>squared mean (log)</text>');
    expect(elements(sqPanel, 'g', 'series').map((s) => s['data-label'])).toEqual(['BN-ResNet &lt;v2&gt; &amp; co']);
  });
});
