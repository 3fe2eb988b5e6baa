import { describe, expect, it } from 'vitest';
import { expectedVariance, renderTerminalPlot, type SignalReport } from './index.js';

const curve = expectedVariance({ alpha: 0.5, blocksPerStage: [4] }); // 1, 1.25, 1.5, 1.75, 2
const measured: SignalReport = { ...curve, source: 'measured', label: 'net', sites: curve.sites.map((s) => ({ ...s, avgVar: s.avgVar * 2 })) }; // 2 … 4

describe('renderTerminalPlot', () => {
  it('places each report on a fixed grid with y ticks, an x axis and a legend', () => {
    const lines = renderTerminalPlot([measured, curve], { width: 41, height: 9 }).split('\n');
    expect(lines[0]).toBe('average channel variance');
    expect(lines).toHaveLength(1 + 9 + 3);
    const grid = lines.slice(1, 10);
    const pad = grid[0]!.indexOf('┤');
    expect(grid.every((l) => l[pad] === '┤' || l[pad] === '│')).toBe(true);
    // y from 0 to 4 over 9 rows: 4 at the top row, 0 at the bottom.
    expect(grid[0]!.slice(0, pad).trim()).toBe('4');
    expect(grid[8]!.slice(0, pad).trim()).toBe('0');
    const at = (row: number, col: number) => grid[row]![pad + 1 + col];
    expect(at(0, 40)).toBe('*'); // measured 4 at index 4 (last column)
    expect(at(4, 0)).toBe('*'); // measured 2 at index 0, the middle row
    expect(at(6, 0)).toBe('·'); // analytic 1 at index 0
    expect(at(4, 40)).toBe('·'); // analytic 2 at index 4
    expect(lines[10]).toBe(`${' '.repeat(pad)}└${'─'.repeat(41)}`);
    expect(lines[11]!.trim()).toMatch(/^0\s+1\s+2\s+3\s+4\s+depth$/);
    expect(lines[12]!.trim()).toBe('* net   · analytic (α=0.5)');
    // A measured point is drawn over the analytic curve where both fall.
    const over = renderTerminalPlot([curve, { ...curve, source: 'measured', label: 'same' }], { width: 41, height: 9 }).split('\n');
    expect(over.slice(1, 10).join('')).not.toContain('·');
    expect(over.slice(1, 10).join('').match(/\*/g)).toHaveLength(5);
  });

  it('plots another statistic on a log axis, skipping values it cannot place', () => {
    const zeros: SignalReport = { ...measured, sites: measured.sites.map((s, i) => ({ ...s, avgSqMean: i === 0 ? 0 : 10 ** -i })) };
    const text = renderTerminalPlot(zeros, { stat: 'avgSqMean', logY: true, width: 20, height: 5 });
    expect(text.split('\n')[0]).toBe('average channel squared mean (log scale)');
    expect((text.match(/\*/g) ?? []).length).toBe(4 + 1); // four points and the legend marker
    expect(text).toContain('1e-4');
  });
});
