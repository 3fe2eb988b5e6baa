import { describe, expect, it } from 'vitest';
import { exponentLabels, formatFixed, formatValue, niceTicks, paddedDomain, stepDecimals } from './chart-axis.js';

/** Round ticks: the step is 1, 2, 2.5 or 5 × 10^k, every value a whole multiple of it, and each label
 * reads back as its value exactly (no float noise, nothing rounded away). */
function expectRound(values: number[], labels: string[], step: number, where: string): void {
  const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
  expect([1, 2, 2.5, 5].some((m) => Math.abs(m - mantissa) < 1e-9), `step ${step} ${where}`).toBe(true);
  values.forEach((v, i) => {
    expect(Math.abs(v / step - Math.round(v / step)), `${v} ${where}`).toBeLessThan(1e-6);
    expect(Number(labels[i]), `${labels[i]} ${where}`).toBe(v);
    expect(labels[i]!, where).not.toMatch(/\d{7,}/); // no 0.30000000000000004, 0.7999999999
    expect(labels[i], where).not.toBe('-0');
  });
}

describe('niceTicks', () => {
  const table: Array<[string, number, number, string[] | null]> = [
    ['loss of a run', 0.3107, 2.3034, ['0.5', '1.0', '1.5', '2.0']],
    ['accuracy', 0.055, 0.9925, ['0.2', '0.4', '0.6', '0.8']],
    ['unit interval', 0, 1, ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']],
    ['the issue (0.46, 0.92, 1.38…)', 0, 1.84, ['0.0', '0.5', '1.0', '1.5']],
    ['warmup-cosine lr', -0.01, 0.21, ['0.00', '0.05', '0.10', '0.15', '0.20']],
    ['tiny lr', 0, 5.1e-4, ['0', '1e-4', '2e-4', '3e-4', '4e-4', '5e-4']],
    ['tinier', 1.2e-7, 3.3e-7, null],
    ['negative', -3.7, -0.2, ['-3.5', '-3.0', '-2.5', '-2.0', '-1.5', '-1.0', '-0.5']],
    ['across zero', -0.13, 0.27, ['-0.1', '0.0', '0.1', '0.2']],
    ['narrow loss', 2.3011, 2.3068, null],
    ['huge', 0, 3.2e9, ['0', '1e9', '2e9', '3e9']],
    ['steps', 1, 780, ['100', '200', '300', '400', '500', '600', '700']],
    ['needs 2.5', 0.5, 19.5, ['2.5', '5.0', '7.5', '10.0', '12.5', '15.0', '17.5']],
    ['single value', 2.3, 2.3, null],
    ['single zero', 0, 0, null],
    ['reversed', 1, 0, ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']],
  ];
  it.each(table)('%s: [%d, %d]', (_, lo, hi, expected) => {
    const { values, labels, step } = niceTicks(lo, hi);
    if (expected) expect(labels).toEqual(expected);
    expect(values.length).toBeGreaterThanOrEqual(4);
    expect(values.length).toBeLessThanOrEqual(8);
    const [a, b] = lo === hi ? [lo - Math.abs(lo) * 0.05 - (lo === 0 ? 1 : 0), hi + Math.abs(hi) * 0.05 + (hi === 0 ? 1 : 0)] : [Math.min(lo, hi), Math.max(lo, hi)];
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(a - Math.abs(a) * 1e-12);
      expect(v).toBeLessThanOrEqual(b + Math.abs(b) * 1e-12);
    }
    for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThan(values[i - 1]!);
    expectRound(values, labels, step, `on [${lo}, ${hi}]`);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it('gives 4–8 ticks on any range (a thousand random ones, every magnitude and sign)', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 1000; i++) {
      const scale = 10 ** Math.floor(rand() * 24 - 12);
      const lo = (rand() * 2 - 1) * scale;
      const hi = lo + rand() * scale * 10 ** Math.floor(rand() * 3);
      const { values, labels, step } = niceTicks(lo, hi);
      expect(values.length, `${lo} ${hi}`).toBeGreaterThanOrEqual(4);
      expect(values.length, `${lo} ${hi}`).toBeLessThanOrEqual(8);
      expect(values[0]!).toBeGreaterThanOrEqual(Math.min(lo, hi) - Math.abs(hi - lo) * 1e-9);
      expect(values.at(-1)!).toBeLessThanOrEqual(Math.max(lo, hi) + Math.abs(hi - lo) * 1e-9);
      expectRound(values, labels, step, `on [${lo}, ${hi}]`);
    }
  });

  it('prints multiples of 0.1 without float noise (0.1 + 0.2 is 0.3)', () => {
    expect(formatFixed(0.1 + 0.2, stepDecimals(0.1))).toBe('0.3');
    expect(formatValue(0.1 + 0.2, 0.1)).toBe('0.3');
    const { values, labels } = niceTicks(0.25, 0.72);
    expect(values).toEqual([0.3, 0.4, 0.5, 0.6, 0.7]); // the doubles nearest to 0.3 …, not 3 × 0.1 …
    expect(labels).toEqual(['0.3', '0.4', '0.5', '0.6', '0.7']);
    expect(stepDecimals(0.25)).toBe(2);
    expect(stepDecimals(5)).toBe(0);
    expect(stepDecimals(2e-4)).toBe(4);
  });

  it('integer axes (steps, epochs) have integer ticks, every integer on a short run', () => {
    expect(niceTicks(1, 8, { integer: true }).labels).toEqual(['2', '4', '6', '8']);
    expect(niceTicks(0.65, 2.35, { integer: true }).labels).toEqual(['1', '2']);
    expect(niceTicks(1, 10, { integer: true }).values.every(Number.isInteger)).toBe(true);
    expect(niceTicks(-40, 820, { integer: true, target: 6 }).labels).toEqual(['0', '200', '400', '600', '800']);
  });

  it('exponent labels carry only the digits they need, the same on every tick', () => {
    expect(exponentLabels([0, 2.5e-5, 5e-5, 7.5e-5])).toEqual(['0', '2.5e-5', '5.0e-5', '7.5e-5']);
    expect(exponentLabels([1e6, 2e6])).toEqual(['1e6', '2e6']);
  });

  it('pads the data range by 5 % and keeps it inside its bounds', () => {
    expect(paddedDomain(0, 10)).toEqual([-0.5, 10.5]);
    expect(paddedDomain(0.1, 1, 0.05, [0, 1])).toEqual([0.055, 1]);
    expect(paddedDomain(0, 0, 0.05, [0, Infinity])).toEqual([0, 1.1]);
    const [a, b] = paddedDomain(1, 1, 0.05, [0, 1]); // a single value: ±5 %, then the margin
    expect(a).toBeCloseTo(0.945, 12);
    expect(b).toBe(1);
  });
});
