/** Registers the model layers for serialization on import (tfjs ignores customObjects: tfjs#8179). */
import * as tf from '@tensorflow/tfjs-core';
import '@nf/ws-conv';
import { NfResidual } from './nf-residual.js';
import { PaddedMaxPool } from './max-pool.js';
import { ScaledActivation } from './scaled-activation.js';
import { SqueezeExcite } from './squeeze-excite.js';

for (const cls of [ScaledActivation, SqueezeExcite, NfResidual, PaddedMaxPool]) {
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}
