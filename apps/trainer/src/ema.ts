/**
 * Exponential moving average of the weights with DeepMind's TF1-style warmup
 * (nfnets/utils.py tf1_ema): d_t = min(decay, (1 + t) / (10 + t)); ema ← ema·d + w·(1 − d).
 * Evaluation swaps the averages in and the live weights back out.
 */
import * as tf from '@tensorflow/tfjs';

export class WeightEma {
  readonly shadows: Map<string, tf.Variable>;

  constructor(private readonly weights: tf.Variable[], readonly decay: number) {
    this.shadows = new Map(weights.map((w) => [w.name, tf.variable(w, false, `ema/${w.name}`)]));
  }

  decayAt(step: number): number {
    return Math.min(this.decay, (1 + step) / (10 + step));
  }

  update(step: number): void {
    const d = this.decayAt(step);
    tf.tidy(() => {
      for (const w of this.weights) {
        const s = this.shadows.get(w.name)!;
        s.assign(tf.add(tf.mul(s, d), tf.mul(w, 1 - d)));
      }
    });
  }

  /** Runs `fn` with the averaged weights in place, then restores the live ones. */
  async withAveraged<T>(fn: () => Promise<T>): Promise<T> {
    const live = this.weights.map((w) => tf.clone(w));
    try {
      for (const w of this.weights) w.assign(this.shadows.get(w.name)!);
      return await fn();
    } finally {
      this.weights.forEach((w, i) => w.assign(live[i]!));
      tf.dispose(live);
    }
  }

  dispose(): void {
    for (const s of this.shadows.values()) s.dispose();
  }
}
