import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { bnResNetV2, nfResNet, withNet } from '../test/models.js';
import { analyzeSignalPropagation, checkSignal, expectedVariance, expectSignalPreserved, SignalPropError, type SignalReport } from './index.js';

/** A measured-looking report from plain numbers. */
function fake(avgVar: number[], extra: { sq?: number[]; res?: Array<number | null> } = {}): SignalReport {
  const base = expectedVariance({ alpha: 0.2, blocksPerStage: [avgVar.length - 1] });
  return {
    ...base,
    source: 'measured',
    label: 'fake',
    sites: base.sites.map((s, i) => ({ ...s, avgVar: avgVar[i]!, avgSqMean: extra.sq?.[i] ?? 0, resAvgVar: extra.res?.[i] ?? s.resAvgVar })),
  };
}

describe('checkSignal / expectSignalPreserved', () => {
  it('passes when every bound holds and lists every violation otherwise', () => {
    const ok = fake([1, 1.1, 1.2]);
    expect(checkSignal(ok, { maxVarianceDrift: 0.25, maxSquaredMean: 0.1, residualVariance: [0.5, 2] })).toEqual([]);
    expect(checkSignal(ok, { maxVarianceDrift: 0.1 })).toEqual(['avgVar ranges from 1 to 1.2: a drift of 0.2 (allowed 0.1)']);
    const bad = fake([1, 3, NaN], { sq: [0, 0.5, 0], res: [null, 9, 1] });
    const v = checkSignal(bad, { maxSquaredMean: 0.1, residualVariance: [0.5, 2] });
    expect(v).toEqual([
      "site 2 'stage1.block2': avgVar is NaN",
      "site 1 'stage1.block1': avgSqMean 0.5 exceeds 0.1",
      "site 1 'stage1.block1': resAvgVar 9 is outside [0.5, 2]",
    ]);
    expect(() => expectSignalPreserved(bad, { maxSquaredMean: 0.1, residualVariance: [0.5, 2] })).toThrow(
      "signal of 'fake' not preserved: site 2 'stage1.block2': avgVar is NaN; site 1 'stage1.block1': avgSqMean 0.5 exceeds 0.1; site 1 'stage1.block1': resAvgVar 9 is outside [0.5, 2].",
    );
  });

  it('compares with an expected curve site by site', () => {
    const curve = expectedVariance({ alpha: 0.2, blocksPerStage: [2] });
    expect(checkSignal(fake([1.01, 1.05, 1.07]), { expected: curve, maxVarianceDrift: 0.05 })).toEqual([]);
    expect(checkSignal(fake([1.01, 1.2, 1.07]), { expected: curve, maxVarianceDrift: 0.05 })).toEqual([
      "site 1 'stage1.block1': avgVar 1.2 is 15.38 % from the expected 1.04 (allowed 5 %)",
    ]);
    expect(checkSignal(fake([1, 1, 1]), { expected: [1, 1, 1], maxVarianceDrift: 0 })).toEqual([]);
    expect(() => checkSignal(fake([1, 1]), { expected: curve, maxVarianceDrift: 0.1 })).toThrow(/expected has 3 points but the report has 2 sites/);
    let err: unknown;
    try {
      expectSignalPreserved(fake([1, 2, 3]), { maxVarianceDrift: 0.5 });
    } catch (e) {
      err = e;
    }
    expect(SignalPropError.isInstance(err) && err.code).toBe('SIGNAL_NOT_PRESERVED');
  });
});

describe('expectSignalPreserved on real networks (wasm)', () => {
  beforeAll(() => useBackend('wasm'));
  expectNoLeaks();

  it('an NF-ResNet passes and a BN-ResNet of the same depth fails the same bound', async () => {
    const expectation = { maxVarianceDrift: 0.5, maxSquaredMean: 0.05 };
    const nf = await withNet(nfResNet({ blocksPerStage: [4, 4], widths: [16, 32] }), (n) => analyzeSignalPropagation(n.model));
    const bn = await withNet(bnResNetV2({ blocksPerStage: [4, 4], widths: [16, 32] }), (n) => analyzeSignalPropagation(n.model));
    expect(() => expectSignalPreserved(nf, expectation)).not.toThrow();
    expect(() => expectSignalPreserved(bn, expectation)).toThrow(/avgVar ranges from .* a drift of/);
  });
});
