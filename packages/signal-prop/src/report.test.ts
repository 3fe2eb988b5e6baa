import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, expectedVariance, formatTable, toCsv, toJson, withLabel, type SignalReport } from './index.js';

const measured: SignalReport = {
  ...expectedVariance({ alpha: 0.2, blocksPerStage: [2] }),
  source: 'measured',
  label: 'net "a", v2',
  sites: [
    { index: 0, name: 'stem', className: 'Conv2D', kind: 'stem', stage: 0, transition: false, shape: [8, 16, 16, 32], avgSqMean: 1e-5, avgVar: 1, resAvgVar: null, branch: null },
    { index: 1, name: 'block1/add', className: 'Add', kind: 'residual', stage: 0, transition: true, shape: [8, 16, 16, 32], avgSqMean: 0.25, avgVar: NaN, resAvgVar: 0.98, branch: 'block1/conv2' },
  ],
};

describe('report formats', () => {
  it('writes CSV with one row per site of every report, quoting where needed and leaving missing values empty', () => {
    const lines = toCsv([measured, expectedVariance({ alpha: 0.5, blocksPerStage: [1] })]).split('\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines[1]).toBe('"net ""a"", v2",measured,0,stem,Conv2D,stem,0,false,8x16x16x32,0.00001,1,');
    expect(lines[2]).toBe('"net ""a"", v2",measured,1,block1/add,Add,residual,0,true,8x16x16x32,0.25,,0.98');
    expect(lines[3]).toBe('analytic (α=0.5),analytic,0,stem,analytic,stem,0,false,,0,1,');
    expect(lines[4]).toBe('analytic (α=0.5),analytic,1,stage1.block1,analytic,residual,0,true,,0,1.25,1');
    expect(lines.length).toBe(6);
    expect(lines[5]).toBe('');
  });

  it('writes JSON that parses back to the same report (NaN becomes null)', () => {
    const back = JSON.parse(toJson(measured)) as SignalReport;
    expect(back.sites[1]!.avgVar).toBeNull();
    expect({ ...back, sites: back.sites.map((s) => ({ ...s, avgVar: s.avgVar ?? NaN })) }).toEqual(measured);
    expect(JSON.parse(toJson([measured, measured]))).toHaveLength(2);
    expect(withLabel(measured, 'x').label).toBe('x');
    expect(measured.label).toBe('net "a", v2');
  });

  it('formats an aligned table', () => {
    const lines = formatTable(measured).split('\n');
    expect(lines[0]).toMatch(/^#\s+stage\s+T\s+kind\s+name\s+shape\s+avgSqMean\s+avgVar\s+resAvgVar$/);
    expect(lines[2]).toMatch(/^0\s+0\s+stem\s+stem\s+8x16x16x32\s+1\.000e-5\s+1\.0000$/);
    expect(lines[3]).toMatch(/^1\s+0\s+\*\s+residual\s+block1\/add\s+8x16x16x32\s+0\.2500\s+NaN\s+0\.9800$/);
    // Numbers are right-aligned under their headers.
    const end = (line: string, text: string) => line.indexOf(text) + text.length;
    expect(end(lines[2]!, '1.000e-5')).toBe(end(lines[0]!, 'avgSqMean'));
    expect(end(lines[3]!, '0.2500')).toBe(end(lines[0]!, 'avgSqMean'));
  });
});
