import { describe, expect, it } from 'vitest';
import { batchesPerEpoch, batchRange, epochOrder } from './batch-plan.js';

describe('epoch order and batches', () => {
  it('is a permutation, reproducible, different across epochs and seeds', () => {
    const a = epochOrder(1000, 7, 0);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(1000, 7, 0)).toEqual(a);
    expect(epochOrder(1000, 7, 1)).not.toEqual(a);
    expect(epochOrder(1000, 8, 0)).not.toEqual(a);
    expect([...epochOrder(5, 7, 0, false)]).toEqual([0, 1, 2, 3, 4]);
  });

  it('shuffles without position bias', () => {
    let firstSum = 0;
    for (let e = 0; e < 400; e++) firstSum += epochOrder(10, 1, e)[0]!;
    expect(firstSum / 400).toBeGreaterThan(4);
    expect(firstSum / 400).toBeLessThan(5);
  });

  it('cuts batches with and without the remainder', () => {
    expect(batchesPerEpoch(10, 4, false)).toBe(3);
    expect(batchesPerEpoch(10, 4, true)).toBe(2);
    expect(batchRange(10, 4, false, 8)).toEqual({ start: 8, end: 10 });
    expect(batchRange(10, 4, true, 8)).toBeUndefined();
    expect(batchRange(10, 4, false, 10)).toBeUndefined();
    expect(batchRange(10, 4, false, 3)).toEqual({ start: 3, end: 7 });
  });
});
