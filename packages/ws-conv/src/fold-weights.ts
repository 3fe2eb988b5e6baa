/**
 * `foldWeightStandardization(model)`: a new model in which every `WSConv2D` is a plain
 * convolution carrying its standardized weights — stock `tf.layers.conv2d` when it has one group
 * and 'same'/'valid' padding, `GroupedConv2D` otherwise — so inference and export no longer
 * compute WS (ONNX/TensorRT exports of WS convs are a known pain in other NFNet ports).
 * Topology, layer names and every other weight are kept; the original model is not changed.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { WSConv2D } from './ws-conv2d-layer.js';

type JsonLayer = { class_name: string; config: Record<string, unknown> };

/** Keys of a serialized WSConv2D config that a plain conv does not have. */
const WS_ONLY_KEYS = ['use_gain', 'gamma', 'convention', 'eps', 'gain_initializer'];

function foldedLayerJson(layer: JsonLayer): JsonLayer {
  const c = layer.config;
  const padding = c.padding;
  const stock = c.groups === 1 && (padding === 'same' || padding === 'valid');
  if (stock) {
    const config: Record<string, unknown> = {
      name: c.name,
      trainable: c.trainable,
      dtype: c.dtype,
      filters: c.filters,
      kernel_size: c.kernel_size,
      strides: c.strides,
      padding,
      dilation_rate: c.dilation_rate,
      use_bias: c.use_bias,
      data_format: 'channels_last',
      activation: 'linear',
    };
    if (c.batch_input_shape !== undefined) config.batch_input_shape = c.batch_input_shape;
    // tfjs-layers' config conversion cannot take undefined values.
    for (const key of Object.keys(config)) if (config[key] === undefined) delete config[key];
    return { class_name: 'Conv2D', config };
  }
  const config = { ...c };
  for (const key of WS_ONLY_KEYS) delete config[key];
  return { class_name: 'GroupedConv2D', config };
}

/** Returns a new model with WS folded into plain conv weights; outputs equal within float error. */
export async function foldWeightStandardization(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  const topology = model.toJSON(undefined, false) as unknown as { config: { layers: JsonLayer[] } };
  const layers = topology.config.layers;
  for (let i = 0; i < layers.length; i++) {
    const entry = layers[i]!;
    if (entry.class_name === WSConv2D.className) layers[i] = { ...entry, ...foldedLayerJson(entry) };
  }
  const folded = await tfl.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
  for (const layer of folded.layers) {
    const original = model.getLayer(layer.name);
    if (original instanceof WSConv2D) {
      const weights = tf.tidy(() => {
        const kernel = original.standardizedKernel();
        const bias = original.weights.find((w) => w.originalName.endsWith('/bias'));
        return bias ? [kernel, tf.clone(bias.read())] : [kernel];
      });
      layer.setWeights(weights);
      tf.dispose(weights);
    } else if (original.weights.length > 0) {
      layer.setWeights(original.getWeights());
    }
  }
  return folded;
}
