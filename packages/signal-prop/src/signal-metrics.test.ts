import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { relDiff, statsF64 } from '../test/reference.js';
import { SignalPropError, signalMetrics } from './index.js';

/** Deterministic data with per-channel means and scales, so both statistics are non-trivial. */
function data(shape: number[], channelAxis: number, seed: number, shift: number): Float32Array {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const size = shape.reduce((a, b) => a * b, 1);
  const inner = shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const c = shape[channelAxis]!;
  return Float32Array.from({ length: size }, (_, i) => {
    const ch = Math.floor(i / inner) % c;
    return shift * (1 + ch) + (0.5 + ch / c) * (rand() + rand() + rand());
  });
}

const CASES: Array<[string, number[], 'channelsLast' | 'channelsFirst', number]> = [
  ['NHWC [2, 5, 5, 3]', [2, 5, 5, 3], 'channelsLast', 0.1],
  ['NHWC [1, 1, 1, 7] (one sample per channel)', [1, 1, 1, 7], 'channelsLast', 0.3],
  ['NHWC [8, 16, 16, 32] with a large mean shift', [8, 16, 16, 32], 'channelsLast', 4],
  ['2-D [64, 10]', [64, 10], 'channelsLast', 0.5],
  ['3-D sequence [3, 7, 6]', [3, 7, 6], 'channelsLast', 0],
  ['NCHW [2, 4, 3, 5]', [2, 4, 3, 5], 'channelsFirst', 0.2],
];

describe.each(BACKENDS)('signalMetrics on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  it.each(CASES)('equals the float64 reference: %s', (_, shape, dataFormat, shift) => {
    const axis = dataFormat === 'channelsFirst' ? 1 : shape.length - 1;
    const values = data(shape, axis, 3, shift);
    const x = tf.tensor(values, shape);
    const got = signalMetrics(x, { dataFormat });
    const [sqMean, variance] = got.dataSync();
    const ref = statsF64(values, shape, axis);
    expect(got.shape).toEqual([2]);
    expect(relDiff(sqMean!, ref.avgSqMean)).toBeLessThan(1e-5);
    expect(relDiff(variance!, ref.avgVar)).toBeLessThan(2e-5);
    tf.dispose([x, got]);
  });

  it('casts integer activations', () => {
    const x = tf.tensor2d([[1, 2], [3, 6]], undefined, 'int32');
    const got = signalMetrics(x);
    expect(Array.from(got.dataSync())).toEqual([(4 + 16) / 2, (1 + 4) / 2]);
    tf.dispose([x, got]);
  });
});

describe('signalMetrics errors', () => {
  expectNoLeaks();
  it('rejects rank < 2 and unknown layouts, saying what to pass', () => {
    const v = tf.ones([4]);
    expect(() => signalMetrics(v)).toThrow(/rank >= 2.*received shape \[4\]/);
    expect(() => signalMetrics(v, { dataFormat: 'NHWC' as never })).toThrow(SignalPropError);
    v.dispose();
  });
});
