/**
 * The end of an NF block: `branch · skip_gain · α + shortcut`, with stochastic depth on the branch.
 * Reference: DM nfnet.py NFBlock (SkipInit scalar `skip_gain`, init 0) and base.py StochDepth
 * (per-example keep mask floor(keep + U[0,1)), no 1/keep rescaling, identity at inference).
 * timm's DropPath rescales by 1/keep; we follow DeepMind.
 * Called as `apply([branch, shortcut])`, and says so to signal-propagation tools through the static
 * `residualMerge = { branch: 0 }` (the convention @nf/signal-prop reads by duck typing; no dependency),
 * so an SPP of a saved NFNet finds one site per block and measures input 0 — the branch before
 * skip_gain, α and stochastic depth, as DeepMind does.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { mulConstant } from '@nf/ws-conv';
import type { LayerArgs } from './layer-utils.js';

export interface NfResidualArgs extends LayerArgs {
  alpha: number;
  /** Learnable scalar gain on the branch (SkipInit), initialised to zero. */
  skipGain: boolean;
  /** Probability of dropping the branch per example during training. */
  dropRate?: number;
}

export class NfResidual extends tfl.layers.Layer {
  /** Serialization name: a file format, never rename. */
  static className = 'NfResidual';
  /** "I am a residual merge; input 0 is the branch, input 1 the shortcut" (read by @nf/signal-prop's analysis). */
  static readonly residualMerge = { branch: 0 } as const;
  readonly alpha: number;
  readonly skipGain: boolean;
  readonly dropRate: number;
  private gain?: tfl.LayerVariable;

  constructor(args: NfResidualArgs) {
    super(args);
    this.alpha = args.alpha;
    this.skipGain = args.skipGain;
    this.dropRate = args.dropRate ?? 0;
  }

  override build(): void {
    if (this.skipGain) this.gain = this.addWeight('skip_gain', [], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const [branch, shortcut] = inputs as tf.Tensor[];
      // mulConstant: tf.mul(branch, α)'s numbers, without autodiff's operand clones and Cast of α.
      let h = mulConstant(branch!, this.alpha);
      if (this.gain) h = tf.mul(h, this.gain.read());
      if (kwargs.training === true && this.dropRate > 0) {
        const keep = tf.floor(tf.add(tf.randomUniform([branch!.shape[0]!, 1, 1, 1]), 1 - this.dropRate));
        h = tf.mul(h, keep);
      }
      return tf.add(h, shortcut!);
    });
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return (shape as tfl.Shape[])[1]!;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha, skipGain: this.skipGain, dropRate: this.dropRate };
  }
}
