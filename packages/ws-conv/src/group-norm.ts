/**
 * Group Normalization (Wu & He 2018): per sample, mean and biased variance over the spatial
 * positions and the C/G channels of each group; then a per-channel affine. With plain Weight
 * Standardization it matches batch-normalized networks while training with 1–2 images per batch.
 * Channels last; any rank >= 2 ([N, C], [N, L, C], [N, H, W, C], …).
 */
import * as tf from '@tensorflow/tfjs-core';
import { WsConvError } from './errors.js';

export interface GroupNormOptions {
  /** Per-channel scale [C]. */
  gamma?: tf.Tensor;
  /** Per-channel offset [C]. */
  beta?: tf.Tensor;
  /** Added to the variance. Default 1e-5 (PyTorch, Keras). */
  eps?: number;
}

/** Checks that `channels` splits into `groups`; `where` names the caller. */
export function checkNormGroups(channels: number | null | undefined, groups: number, where: string): number {
  if (channels == null) throw new WsConvError('BAD_SHAPE', `${where}: the channel (last) dimension must be known, received null.`);
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new WsConvError('BAD_GROUPS', `${where}: ${channels} channels are not divisible by groups=${String(groups)}; choose groups dividing ${channels}.`);
  }
  return channels;
}

export function groupNorm(x: tf.Tensor, groups: number, options: GroupNormOptions = {}): tf.Tensor {
  if (x.rank < 2) throw new WsConvError('BAD_SHAPE', `groupNorm: input must have rank >= 2 (batch, …, channels), received shape [${x.shape.join(', ')}].`);
  const channels = checkNormGroups(x.shape[x.rank - 1], groups, 'groupNorm');
  const eps = options.eps ?? 1e-5;
  return tf.tidy(() => {
    const batch = x.shape[0]!;
    const grouped = tf.reshape(x, [batch, -1, groups, channels / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 3], true);
    let y = tf.reshape(tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, eps))), x.shape);
    if (options.gamma) y = tf.mul(y, options.gamma);
    if (options.beta) y = tf.add(y, options.beta);
    return y;
  });
}
