/**
 * The order of an epoch and the batches cut from it. The order is a seeded Fisher–Yates shuffle
 * of 0..N−1 keyed by (seed, epoch), so it needs no state; a position is (epoch, index into that order).
 */
import { hashSeed, Rng, STREAM } from './seeded-random.js';

/** The example indices of `epoch` in visiting order. */
export function epochOrder(size: number, seed: number, epoch: number, shuffle = true): Int32Array {
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  if (!shuffle) return order;
  const rng = new Rng(hashSeed(seed, STREAM.shuffle, epoch));
  for (let i = size - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Batches in one epoch that starts at index 0. */
export function batchesPerEpoch(size: number, batchSize: number, dropRemainder: boolean): number {
  return dropRemainder ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/**
 * The [start, end) of the batch beginning at `index`, or undefined when the epoch has no batch
 * left from there (past the end, or only a short remainder that is dropped).
 */
export function batchRange(
  size: number,
  batchSize: number,
  dropRemainder: boolean,
  index: number,
): { start: number; end: number } | undefined {
  const end = Math.min(size, index + batchSize);
  if (index >= size || (dropRemainder && end - index < batchSize)) return undefined;
  return { start: index, end };
}
