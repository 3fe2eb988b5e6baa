/**
 * Deterministic randomness for tfjs: its random ops without an explicit seed (initializers,
 * dropout, stochastic depth) draw their seed from Math.random. Running a piece of work with
 * Math.random replaced by a PRNG seeded from (run seed, step) makes model initialisation and every
 * training step reproducible — so a resumed run draws exactly the masks the uninterrupted one did.
 */
import { seededUniform } from './raster-dataset.js';

export function withSeed<T>(seed: number, work: () => T): T {
  const original = Math.random;
  Math.random = seededUniform(seed);
  try {
    return work();
  } finally {
    Math.random = original;
  }
}

/** A seed for step `step` of a run seeded `seed`. */
export function stepSeed(seed: number, step: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) ^ Math.imul(step + 1, 0x85ebca6b)) >>> 0;
}

/** `withSeed` for asynchronous work: Math.random stays seeded until `work` settles, so nothing else
 * may run concurrently (a CLI command, or the end of a run, where nothing does). */
export async function withSeedAsync<T>(seed: number, work: () => Promise<T>): Promise<T> {
  const original = Math.random;
  Math.random = seededUniform(seed);
  try {
    return await work();
  } finally {
    Math.random = original;
  }
}
