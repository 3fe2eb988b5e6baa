/**
 * Squeeze-excite with the NF correction: x · 2σ(fc2(relu(fc1(mean_hw(x))))).
 * Reference: DM nfnets/base.py SqueezeExcite (plain ReLU, ×2 applied by the block) and timm
 * SEModule (`attn_last`, fc1/fc2 as 1×1 convs with bias). Kernels are stored dense [in, out].
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FanInNormal } from '@nf/ws-conv';
import { single, singleShape, type LayerArgs } from './layer-utils.js';

export interface SqueezeExciteArgs extends LayerArgs {
  hidden: number;
  /** Output multiplier (attn_gain, 2 in every NF network). */
  gain?: number;
}

export class SqueezeExcite extends tfl.layers.Layer {
  /** Serialization name: a file format, never rename. */
  static className = 'NfSqueezeExcite';
  readonly hidden: number;
  readonly gain: number;
  private fc1?: tfl.LayerVariable;
  private b1?: tfl.LayerVariable;
  private fc2?: tfl.LayerVariable;
  private b2?: tfl.LayerVariable;

  constructor(args: SqueezeExciteArgs) {
    super(args);
    this.hidden = args.hidden;
    this.gain = args.gain ?? 2;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = singleShape(inputShape);
    const channels = shape[shape.length - 1]!;
    const zeros = tfl.initializers.zeros();
    this.fc1 = this.addWeight('fc1_kernel', [channels, this.hidden], 'float32', new FanInNormal());
    this.b1 = this.addWeight('fc1_bias', [this.hidden], 'float32', zeros);
    this.fc2 = this.addWeight('fc2_kernel', [this.hidden, channels], 'float32', new FanInNormal());
    this.b2 = this.addWeight('fc2_bias', [channels], 'float32', zeros);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
      const h = tf.relu(tf.add(tf.matMul(pooled, this.fc1!.read() as tf.Tensor2D), this.b1!.read()));
      const s = tf.sigmoid(tf.add(tf.matMul(h as tf.Tensor2D, this.fc2!.read() as tf.Tensor2D), this.b2!.read()));
      const gate = tf.reshape(this.gain === 1 ? s : tf.mul(s, this.gain), [x.shape[0]!, 1, 1, x.shape[3]!]);
      return tf.mul(x, gate);
    });
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return singleShape(shape);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), hidden: this.hidden, gain: this.gain };
  }
}
