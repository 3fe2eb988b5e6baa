/**
 * Side effects of importing @nf/ws-conv: its layers and initializer are registered for
 * serialization, so models using them save and load through any tf.io handler
 * (tfjs ignores customObjects on load: tensorflow/tfjs#8179); the fused GELU and Scaled WS
 * kernels' and the grouped-convolution kernel's gradients are registered (the kernels themselves come
 * from a backend, e.g. @nf/wasm-kernels and @nf/onednn).
 */
import * as tf from '@tensorflow/tfjs-core';
import { GELU_GRADIENT } from './activation-gamma.js';
import { SCALED_WS_GRADIENT } from './standardize-weight.js';
import { GroupNormalization } from './group-norm-layer.js';
import { GroupedConv2D } from './grouped-conv2d-layer.js';
import { GROUPED_CONV_GRADIENT } from './grouped-conv2d.js';
import { FanInNormal } from './initializers.js';
import { WSConv2D } from './ws-conv2d-layer.js';

for (const cls of [WSConv2D, GroupedConv2D, GroupNormalization, FanInNormal]) {
  tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
}

for (const gradient of [GELU_GRADIENT, SCALED_WS_GRADIENT, GROUPED_CONV_GRADIENT]) {
  if (tf.getGradient(gradient.kernelName) === undefined) tf.registerGradient(gradient);
}
