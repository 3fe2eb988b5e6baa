/**
 * Exponential moving average of the weights with DeepMind's TF1-style warmup
 * (nfnets/utils.py tf1_ema): d_t = min(decay, (1 + t) / (10 + t)); ema ← ema·d + w·(1 − d).
 * Evaluation swaps the averages in and the live weights back out.
 */
import * as tf from '@tensorflow/tfjs';
import type { NamedWeight } from './train-step.js';

export class WeightEma {
  /** Averages keyed by the weights' stable names. */
  readonly shadows: Map<string, tf.Variable>;
  private readonly weights: tf.Variable[];
  private readonly names: string[];

  constructor(named: NamedWeight[], readonly decay: number) {
    this.weights = named.map((n) => n.variable);
    this.names = named.map((n) => n.name);
    this.shadows = new Map(named.map((n) => [n.name, tf.variable(n.variable, false)]));
  }

  decayAt(step: number): number {
    return Math.min(this.decay, (1 + step) / (10 + step));
  }

  /** One update after step `step`; weights for which `frozen(name)` is true (the body during the
   * head-only epochs: constant) keep their average as it is. */
  update(step: number, frozen?: (name: string) => boolean): void {
    const d = this.decayAt(step);
    tf.tidy(() => {
      this.weights.forEach((w, i) => {
        if (frozen?.(this.names[i]!)) return;
        const s = this.shadows.get(this.names[i]!)!;
        s.assign(tf.add(tf.mul(s, d), tf.mul(w, 1 - d)));
      });
    });
  }

  /** Runs `fn` with the averaged weights in place, then restores the live ones. */
  async withAveraged<T>(fn: () => Promise<T>): Promise<T> {
    const live = this.weights.map((w) => tf.clone(w));
    try {
      this.weights.forEach((w, i) => w.assign(this.shadows.get(this.names[i]!)!));
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
