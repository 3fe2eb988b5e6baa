/**
 * Independent references in plain JavaScript, float64: the SPP statistics of a downloaded
 * activation, and the slow way to get them from a model (a second model whose outputs are the
 * probed tensors, every activation copied to JavaScript).
 */
import * as tf from '@tensorflow/tfjs';

export interface RefStats {
  avgSqMean: number;
  avgVar: number;
}

/** mean_c(mean² over the other axes) and mean_c(biased var over the other axes), in float64. */
export function statsF64(data: ArrayLike<number>, shape: readonly number[], channelAxis = shape.length - 1): RefStats {
  const c = shape[channelAxis]!;
  const inner = shape.slice(channelAxis + 1).reduce((a, b) => a * b, 1);
  const m = data.length / c;
  const sum = new Float64Array(c);
  for (let i = 0; i < data.length; i++) sum[Math.floor(i / inner) % c]! += data[i]!;
  const mean = Array.from(sum, (s) => s / m);
  const sq = new Float64Array(c);
  for (let i = 0; i < data.length; i++) {
    const ch = Math.floor(i / inner) % c;
    const d = data[i]! - mean[ch]!;
    sq[ch]! += d * d;
  }
  let avgSqMean = 0;
  let avgVar = 0;
  for (let ch = 0; ch < c; ch++) {
    avgSqMean += mean[ch]! ** 2 / c;
    avgVar += sq[ch]! / m / c;
  }
  return { avgSqMean, avgVar };
}

/** The statistics of `probes` of `model` on `input`, through a multi-output model and full downloads. */
export function referenceStats(model: tf.LayersModel, probes: tf.SymbolicTensor[], input: tf.Tensor, training: boolean): RefStats[] {
  const probeModel = tf.model({ inputs: model.inputs, outputs: probes });
  const outs = tf.tidy(() => {
    const y = training ? probeModel.apply(input, { training: true }) : probeModel.predict(input);
    return (Array.isArray(y) ? y : [y]) as tf.Tensor[];
  });
  const stats = outs.map((t) => statsF64(t.dataSync(), t.shape));
  tf.dispose(outs);
  return stats;
}

/** Relative difference, with a floor for values near zero. */
export function relDiff(a: number, b: number, floor = 1e-6): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), floor);
}
