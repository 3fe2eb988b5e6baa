/**
 * The two statistics of a Signal Propagation Plot for one activation, reduced on the device.
 * Reference: deepmind-research `nfnets/base.py` `signal_metrics` (Brock, De, Smith, "Characterizing
 * signal propagation to close the performance gap in unnormalized ResNets", ICLR 2021):
 *   avg_sq_mean = mean_c( (mean_{n,h,w} x[..., c])² ),  avg_var = mean_c( var_{n,h,w} x[..., c] ),
 * biased variance as `jnp.var`. The residual-branch variance is `avg_var` of the branch output.
 * Differs: any rank ≥ 2 (every axis but the channel axis is reduced), and a `channelsFirst` layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SignalPropError } from './errors.js';

/** Where the channel axis is: last (NHWC, tfjs' default) or second (NCHW). */
export type DataFormat = 'channelsLast' | 'channelsFirst';

export const DATA_FORMATS: readonly DataFormat[] = ['channelsLast', 'channelsFirst'];

/** `value` as a DataFormat, or a BAD_OPTION error naming `where`. */
export function checkDataFormat(value: unknown, where: string): DataFormat {
  if (!DATA_FORMATS.includes(value as DataFormat)) {
    throw new SignalPropError('BAD_OPTION', `${where}: dataFormat must be 'channelsLast' or 'channelsFirst', received ${JSON.stringify(value)}.`);
  }
  return value as DataFormat;
}

/** Mean over the rows of `v` (viewed as [M, C] or [1, M, 1, C]) as a [C] tensor. */
function rowMean(v: tf.Tensor, m: number, c: number, pool: boolean): tf.Tensor1D {
  return tf.tidy(() =>
    pool
      ? tf.reshape(tf.avgPool(v as tf.Tensor4D, [m, 1], [m, 1], 'valid'), [c])
      : tf.reshape(tf.matMul(tf.fill([1, m], 1 / m), v as tf.Tensor2D), [c]),
  ) as tf.Tensor1D;
}

/**
 * `[avgSqMean, avgVar]` of an activation of rank ≥ 2 as a float32 tensor of shape [2].
 *
 * Two passes (mean, then the mean squared deviation from it: no cancellation when a channel's
 * mean dwarfs its spread), with no full-size temporary but the squared deviation, freed at once.
 * Row means are a product with a row of 1/M, or on wasm an average pool over a [1, M, 1, C] view
 * (XNNPACK); the per-channel mean is broadcast as a rank-1 [C] tensor, which the cpu backend
 * handles without per-element index arithmetic. (`tf.moments` over the leading axes transposes
 * first on cpu and wasm, a second full copy, and ran 13× slower on cpu.)
 */
export function signalMetrics(x: tf.Tensor, options: { dataFormat?: DataFormat } = {}): tf.Tensor1D {
  const dataFormat = checkDataFormat(options.dataFormat ?? 'channelsLast', 'signalMetrics');
  if (x.rank < 2) {
    throw new SignalPropError('BAD_INPUT', `signalMetrics: activations need a batch and a channel axis (rank >= 2), received shape [${x.shape.join(', ')}]; pass the layer's batched output.`);
  }
  return tf.tidy(() => {
    let v = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    if (dataFormat === 'channelsFirst' && v.rank > 2) {
      const perm = [0, ...Array.from({ length: v.rank - 2 }, (_, i) => i + 2), 1];
      v = tf.transpose(v, perm);
    }
    const c = v.shape[v.rank - 1]!;
    const m = v.size / c;
    const pool = tf.getBackend() === 'wasm';
    // One view of the data; tf.memory() counts every view as a copy, so it is freed early.
    const view = tf.reshape(v, pool ? [1, m, 1, c] : [m, c]);
    const mean = rowMean(view, m, c, pool);
    const deviation = tf.squaredDifference(view, mean);
    view.dispose();
    const variance = rowMean(deviation, m, c, pool);
    deviation.dispose();
    return tf.stack([tf.mean(tf.square(mean)), tf.mean(variance)]) as tf.Tensor1D;
  });
}
