/**
 * Counter-based randomness: every random stream of the pipeline is a mulberry32 generator whose
 * 32-bit state is a hash of (seed, epoch, example or batch index, purpose). So an example gets the
 * same crop, flip and RandAugment draws whichever worker prepares it, and a resumed run needs only
 * (seed, epoch, index) to continue exactly.
 */

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a list of non-negative integers (each up to 2^53). */
export function hashSeed(...parts: readonly number[]): number {
  let h = 0x6a09e667;
  for (const part of parts) {
    const lo = part >>> 0;
    const hi = Math.floor(part / 4294967296) >>> 0;
    h = mix32((h ^ lo) + 0x9e3779b9);
    h = mix32((h ^ hi) + 0x7f4a7c15);
  }
  return h;
}

/** Purposes, so that two streams built from the same indices never coincide. */
export const STREAM = { shuffle: 1, example: 2, batch: 3, synthetic: 4, syntheticLabel: 5 } as const;

/** A small seeded generator (mulberry32) with the draws the augmentations need. */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** The whole state: `new Rng(rng.state)` continues the same stream. */
  get state(): number {
    return this.s;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Gamma(shape, 1) by Marsaglia–Tsang; shape < 1 through the boost Gamma(shape+1)·U^(1/shape). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(1 - this.next(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = 1 - this.next();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    const sum = x + y;
    // Both gammas can underflow to 0 for tiny shapes: then the draw is 0 or 1 with odds a : b.
    return sum > 0 ? x / sum : this.next() < a / (a + b) ? 1 : 0;
  }
}

/** The generator of one example in one epoch: crop, flip and RandAugment draws, in that order. */
export function exampleRng(seed: number, epoch: number, index: number): Rng {
  return new Rng(hashSeed(seed, STREAM.example, epoch, index));
}

/** The generator of one batch (MixUp/CutMix), keyed by the batch's first position in the epoch. */
export function batchRng(seed: number, epoch: number, start: number): Rng {
  return new Rng(hashSeed(seed, STREAM.batch, epoch, start));
}
