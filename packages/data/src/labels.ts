/**
 * Label encodings: integer class ids, one-hot rows, MixUp/CutMix soft rows, label smoothing
 * `y·(1 − ε) + ε/K` applied after mixing (DeepMind nfnets/experiment.py `_loss_fn`).
 */

/** [B, K] one-hot rows of `labels`. */
export function oneHot(labels: ArrayLike<number>, numClasses: number): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) out[i * numClasses + labels[i]!] = 1;
  return out;
}

/**
 * Soft rows for mixed examples: row i = w_i·onehot(labels[i]) + (1 − w_i)·onehot(labels[partner[i]]).
 */
export function mixedLabels(
  labels: ArrayLike<number>,
  partner: ArrayLike<number>,
  weight: ArrayLike<number>,
  numClasses: number,
): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const w = weight[i]!;
    out[i * numClasses + labels[i]!]! += w;
    out[i * numClasses + labels[partner[i]!]!]! += 1 - w;
  }
  return out;
}

/** Label smoothing in place: every entry becomes `y·(1 − epsilon) + epsilon/K`. Returns `targets`. */
export function smoothLabels(targets: Float32Array, numClasses: number, epsilon: number): Float32Array {
  if (epsilon === 0) return targets;
  const keep = 1 - epsilon;
  const spread = epsilon / numClasses;
  for (let i = 0; i < targets.length; i++) targets[i] = targets[i]! * keep + spread;
  return targets;
}
