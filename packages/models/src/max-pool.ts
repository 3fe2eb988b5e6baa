/**
 * A max pool with explicit symmetric padding (padding never wins the max), as PyTorch's
 * `MaxPool2d(3, 2, padding=1)` in timm's ResNet stems; tf.layers.maxPooling2d only has 'same'/'valid'.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { single, singleShape, type LayerArgs } from './layer-utils.js';

export interface PaddedMaxPoolArgs extends LayerArgs {
  poolSize: number;
  strides: number;
  pad: number;
}

export class PaddedMaxPool extends tfl.layers.Layer {
  /** Serialization name: a file format, never rename. */
  static className = 'NfPaddedMaxPool';
  readonly poolSize: number;
  readonly strides: number;
  readonly pad: number;

  constructor(args: PaddedMaxPoolArgs) {
    super(args);
    this.poolSize = args.poolSize;
    this.strides = args.strides;
    this.pad = args.pad;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.maxPool(single(inputs) as tf.Tensor4D, this.poolSize, this.strides, this.pad));
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const s = singleShape(shape);
    const out = (v: number | null) => (v == null ? null : Math.floor((v + 2 * this.pad - this.poolSize) / this.strides) + 1);
    return [s[0]!, out(s[1]!), out(s[2]!), s[3]!];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), poolSize: this.poolSize, strides: this.strides, pad: this.pad };
  }
}
