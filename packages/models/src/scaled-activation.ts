/**
 * `ScaledActivation`: act(x) · gamma · scale — DeepMind applies every activation multiplied by its
 * gamma (nfnets/base.py), and the pre-activation of each block is further multiplied by β
 * (`out = act(x) * beta`, nfnet.py NFBlock, timm NormFreeBlock). With gamma 1 it is a plain activation
 * (timm-native models fold gamma into the next conv instead).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ACTIVATIONS, scaledActivationFn } from '@nf/ws-conv';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';
import { single, singleShape, type LayerArgs } from './layer-utils.js';

export interface ScaledActivationArgs extends LayerArgs {
  activation: string;
  /** Multiplier after the activation (gamma · beta). Default 1. */
  scale?: number;
}

export class ScaledActivation extends tfl.layers.Layer {
  /** Serialization name: a file format, never rename. */
  static className = 'NfScaledActivation';
  readonly activation: string;
  readonly scale: number;
  private readonly fn: (x: tf.Tensor) => tf.Tensor;

  constructor(args: ScaledActivationArgs) {
    super(args);
    // Stored lower-case without underscores' meaning lost: tfjs-layers camel-cases config strings on load.
    const key = args.activation.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`) as keyof typeof ACTIVATIONS;
    // Own keys only: a model.json naming 'constructor' must not get Object as its activation.
    const fn = Object.hasOwn(ACTIVATIONS, key) ? ACTIVATIONS[key] : undefined;
    if (!fn) throw new ModelsError('BAD_CONFIG', `ScaledActivation ${quote(this.name)}: unknown activation ${quote(String(args.activation))}; known: ${Object.keys(ACTIVATIONS).join(', ')}.`);
    this.activation = key;
    this.scale = args.scale ?? 1;
    this.fn = scaledActivationFn(key, this.scale);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    // act(x)·scale as scaledActivationFn computes it: the same numbers as tf.mul(act(x), scale) with
    // fewer kernel calls per training step (no clones of the operands, no Cast of the constant).
    return tf.tidy(() => this.fn(single(inputs)));
  }

  override computeOutputShape(shape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    return singleShape(shape);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), activation: this.activation, scale: this.scale };
  }
}
