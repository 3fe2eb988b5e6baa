import { describe, expect, it } from 'vitest';
import { expectedVariance, SignalPropError } from './index.js';

describe('expectedVariance', () => {
  it("reproduces NFNet-F0's betas from DeepMind's expected_std loop (nfnet-facts.md 4.2)", () => {
    const f0 = [1.0, 0.980581, 0.980581, 0.96225, 0.980581, 0.96225, 0.944911, 0.928477, 0.912871, 0.898027, 0.980581, 0.96225];
    const curve = expectedVariance({ alpha: 0.2, blocksPerStage: [1, 2, 6, 3] });
    expect(curve.beta.length).toBe(12);
    curve.beta.forEach((b, i) => expect(b).toBeCloseTo(f0[i]!, 6));
  });

  it('grows by α² per block and resets to 1 + α² at each stage', () => {
    const curve = expectedVariance({ alpha: 0.5, blocksPerStage: [2, 3] });
    expect(curve.variance).toEqual([1, 1.25, 1.5, 1.25, 1.5, 1.75]);
    expect(curve.sites.map((s) => [s.kind, s.stage, s.transition])).toEqual([
      ['stem', 0, false],
      ['residual', 0, true],
      ['residual', 0, false],
      ['residual', 1, true],
      ['residual', 1, false],
      ['residual', 1, false],
    ]);
    expect(curve.sites.every((s) => s.avgSqMean === 0)).toBe(true);
    expect(curve.sites.slice(1).every((s) => s.resAvgVar === 1)).toBe(true);
    expect(curve.source).toBe('analytic');
    expect(curve.label).toBe('analytic (α=0.5)');
  });

  it('takes the branch variance, the skip gain, the starting variance and no stem', () => {
    expect(expectedVariance({ alpha: 0.2, blocksPerStage: [3], skipGain: 0 }).variance).toEqual([1, 1, 1, 1]);
    const v = expectedVariance({ alpha: 0.5, blocksPerStage: [1, 2], residualVariance: 2, skipGain: 2, initialVariance: 3, includeStem: false });
    expect(v.variance).toEqual([3, 3, 5]); // 1 + 0.5²·2²·2 after each reset, then + 2
    expect(v.beta[0]).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(v.sites[0]!.index).toBe(0);
  });

  it('rejects bad options with the value and the fix', () => {
    expect(() => expectedVariance({ alpha: -1, blocksPerStage: [1] })).toThrow(/alpha must be a finite number >= 0, received -1/);
    expect(() => expectedVariance({ alpha: 0.2, blocksPerStage: [] })).toThrow(SignalPropError);
    expect(() => expectedVariance({ alpha: 0.2, blocksPerStage: [2.5] })).toThrow(/e\.g\. \[3, 4, 6, 3\]/);
    expect(() => expectedVariance({ alpha: 0.2, blocksPerStage: [2], residualVariance: -1 })).toThrow(/residualVariance/);
  });
});
