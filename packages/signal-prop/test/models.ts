/**
 * Small networks built in the tests, with stock tfjs layers and @nf/ws-conv layers (a dev
 * dependency only). Each builder also returns the symbolic tensors a reference should probe,
 * found by construction rather than by the package's own detection.
 */
import * as tf from '@tensorflow/tfjs';
import { FanInNormal, gammaOf, groupedConv2dLayer, wsConv2d } from '@nf/ws-conv';

type ST = tf.SymbolicTensor;

export interface BuiltNet {
  model: tf.LayersModel;
  /** Input of the first block. */
  stem: ST;
  /** Output of each residual block. */
  blocks: ST[];
  /** Each block's residual branch before α. */
  branches: ST[];
  /** Whether each block has a projection shortcut. */
  transitions: boolean[];
}

const apply = (layer: tf.layers.Layer, x: ST | ST[]) => layer.apply(x) as ST;

export interface NfNetOptions {
  /** Scaled WS convolutions (DeepMind convention); false: plain convolutions with N(0, 1/fan_in) weights. */
  ws?: boolean;
  alpha?: number;
  blocksPerStage?: number[];
  widths?: number[];
  inputShape?: [number, number, number];
  /** Stride of the stem convolution. Default 2. */
  stemStride?: number;
  /** 1×1 convolutions only (the facts file's toy), no spatial extent. */
  pointwise?: boolean;
  /** Bottleneck branch (1×1 to width/4, k×k, 1×1 back) as NF-ResNet-50; default two k×k convolutions. */
  bottleneck?: boolean;
  seed?: number;
}

/**
 * A pre-activation NF-ResNet (Brock et al. 2021): x_{l+1} = x_l + α·f(γ·relu(x_l)·β_l), skip gain 1,
 * β_l = 1/√(expected variance), projection shortcut on the activated input at each stage's first block.
 */
export function nfResNet(options: NfNetOptions = {}): BuiltNet {
  const { ws = true, alpha = 0.2, blocksPerStage = [2, 2, 2], widths = [16, 32, 64], inputShape = [32, 32, 3], pointwise = false, bottleneck = false } = options;
  let seed = options.seed ?? 1;
  const gamma = gammaOf('relu');
  const conv = (filters: number, kernelSize: number, strides = 1) => {
    const args = { filters, kernelSize, strides, kernelInitializer: new FanInNormal({ seed: seed++ }) };
    return ws ? wsConv2d(args) : groupedConv2dLayer(args);
  };
  const k = pointwise ? 1 : 3;
  const act = (x: ST, scale: number) => apply(tf.layers.rescaling({ scale: gamma * scale }), apply(tf.layers.activation({ activation: 'relu' }), x));
  const input = tf.input({ shape: inputShape });
  let x = apply(conv(Math.max(4, widths[0]! / 2), k, pointwise ? 1 : (options.stemStride ?? 2)), input);
  const stem = x;
  const blocks: ST[] = [];
  const branches: ST[] = [];
  const transitions: boolean[] = [];
  let expectedVar = 1;
  blocksPerStage.forEach((n, s) => {
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && s > 0 && !pointwise ? 2 : 1;
      const out = act(x, 1 / Math.sqrt(expectedVar));
      const shortcut = b === 0 ? apply(conv(widths[s]!, 1, stride), out) : x;
      let h: ST;
      if (bottleneck) {
        const mid = Math.max(4, widths[s]! / 4);
        h = apply(conv(mid, 1), out);
        h = apply(conv(mid, k, stride), act(h, 1));
        h = apply(conv(widths[s]!, 1), act(h, 1));
      } else {
        h = apply(conv(widths[s]!, k, stride), out);
        h = apply(conv(widths[s]!, k), act(h, 1));
      }
      branches.push(h);
      x = apply(tf.layers.add(), [shortcut, apply(tf.layers.rescaling({ scale: alpha }), h)]);
      blocks.push(x);
      transitions.push(b === 0);
      expectedVar = (b === 0 ? 1 : expectedVar) + alpha * alpha;
    }
  });
  const head = apply(tf.layers.dense({ units: 5, kernelInitializer: tf.initializers.glorotNormal({ seed: seed++ }) }), apply(tf.layers.globalAveragePooling2d({}), x));
  return { model: tf.model({ inputs: input, outputs: head, name: ws ? 'nf_resnet' : 'nf_resnet_no_ws' }), stem, blocks, branches, transitions };
}

/** A BN-ReLU-Conv pre-activation ResNet (ResNetV2) with stock tfjs layers and He init. */
export function bnResNetV2(options: { blocksPerStage?: number[]; widths?: number[]; inputShape?: [number, number, number]; seed?: number } = {}): BuiltNet {
  const { blocksPerStage = [2, 2, 2], widths = [16, 32, 64], inputShape = [32, 32, 3] } = options;
  let seed = options.seed ?? 1;
  const conv = (filters: number, kernelSize: number, strides = 1) =>
    tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false, kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) });
  const bnRelu = (x: ST) => apply(tf.layers.activation({ activation: 'relu' }), apply(tf.layers.batchNormalization({}), x));
  const input = tf.input({ shape: inputShape });
  let x = apply(tf.layers.maxPooling2d({ poolSize: 2 }), apply(conv(widths[0]! / 2, 3), input));
  const stem = x;
  const blocks: ST[] = [];
  const branches: ST[] = [];
  const transitions: boolean[] = [];
  blocksPerStage.forEach((n, s) => {
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const out = bnRelu(x);
      const shortcut = b === 0 ? apply(conv(widths[s]!, 1, stride), out) : x;
      const h = apply(conv(widths[s]!, 3), bnRelu(apply(conv(widths[s]!, 3, stride), out)));
      branches.push(h);
      x = apply(tf.layers.add(), [shortcut, h]);
      blocks.push(x);
      transitions.push(b === 0);
    }
  });
  const head = apply(tf.layers.dense({ units: 5 }), apply(tf.layers.globalAveragePooling2d({}), bnRelu(x)));
  return { model: tf.model({ inputs: input, outputs: head, name: 'bn_resnet_v2' }), stem, blocks, branches, transitions };
}

/** Post-norm residual blocks x_{l+1} = BN(x_l + f(x_l)): BatchNorm after every merge. */
export function postNormResNet(blocks = 6, width = 16, seed = 1): BuiltNet {
  const conv = (s: number) => tf.layers.conv2d({ filters: width, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: s }) });
  const input = tf.input({ shape: [16, 16, 3] });
  let x = apply(conv(seed), input);
  const stem = x;
  const outs: ST[] = [];
  const branches: ST[] = [];
  for (let b = 0; b < blocks; b++) {
    const h = apply(conv(seed + 2 * b + 2), apply(tf.layers.activation({ activation: 'relu' }), apply(conv(seed + 2 * b + 1), x)));
    branches.push(h);
    const sum = apply(tf.layers.add(), [x, h]);
    outs.push(sum);
    x = apply(tf.layers.batchNormalization({}), sum);
  }
  return { model: tf.model({ inputs: input, outputs: x, name: 'post_norm_resnet' }), stem, blocks: outs, branches, transitions: outs.map(() => false) };
}

/** A residual MLP on 2-D activations [batch, features]. */
export function mlpResNet(blocks = 4, width = 24, alpha = 0.5, seed = 1): BuiltNet {
  const dense = (s: number) => tf.layers.dense({ units: width, kernelInitializer: tf.initializers.heNormal({ seed: s }) });
  const input = tf.input({ shape: [12] });
  let x = apply(dense(seed), input);
  const stem = x;
  const outs: ST[] = [];
  const branches: ST[] = [];
  for (let b = 0; b < blocks; b++) {
    const h = apply(dense(seed + b + 1), apply(tf.layers.activation({ activation: 'relu' }), x));
    branches.push(h);
    x = apply(tf.layers.add(), [x, apply(tf.layers.rescaling({ scale: alpha }), h)]);
    outs.push(x);
  }
  return { model: tf.model({ inputs: input, outputs: x, name: 'mlp_resnet' }), stem, blocks: outs, branches, transitions: outs.map(() => false) };
}

/** Runs `fn` on a freshly built network and frees its weights afterwards, also when `fn` throws. */
export async function withNet<N extends { model: tf.LayersModel }, T>(net: N, fn: (net: N) => T | Promise<T>): Promise<T> {
  try {
    return await fn(net);
  } finally {
    net.model.dispose();
  }
}

/**
 * A merge layer from "another package": call([shortcut, branch]) = shortcut + α·branch. The class
 * declares itself a residual merge whose input 1 is the branch (`static residualMerge`).
 */
export class DeclaredMerge extends tf.layers.Layer {
  static className = 'DeclaredMerge';
  static residualMerge = { branch: 1 };
  readonly alpha: number;
  constructor(args: { alpha?: number; name?: string } = {}) {
    super(args);
    this.alpha = args.alpha ?? 0.5;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [shortcut, branch] = inputs as tf.Tensor[];
    return tf.tidy(() => tf.add(shortcut!, tf.mul(branch!, this.alpha)));
  }
  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape {
    return (shape as tf.Shape[])[0]!;
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

/** The same merge from a package that does not know the convention: no declaration. */
export class UndeclaredMerge extends DeclaredMerge {
  static override className = 'UndeclaredMerge';
  static override residualMerge = undefined as unknown as { branch: number };
}

/**
 * Two blocks ending in `Merge([shortcut, branch])`, where the first block's projection shortcut
 * (two 1×1 convolutions) is DEEPER than its branch (one 3×3 convolution): the depth heuristic
 * alone would take the shortcut for the branch; a declaration gets it right.
 */
export function customMergeNet(Merge: new (args: { alpha?: number; name?: string }) => tf.layers.Layer, inputShape: Array<number | null> = [8, 8, 4]): BuiltNet {
  const conv = (name: string, filters: number, kernelSize: number) =>
    tf.layers.conv2d({ name, filters, kernelSize, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: name.length }) });
  const input = tf.input({ shape: inputShape, name: 'image' });
  const stem = apply(conv('stem', 4, 3), input);
  const shortcut = apply(conv('sc_conv2', 8, 1), apply(conv('sc_conv1', 8, 1), stem));
  const b1 = apply(conv('b1_conv', 8, 3), stem);
  const y = apply(new Merge({ name: 'merge1' }), [shortcut, b1]);
  const b2 = apply(conv('b2_conv2', 8, 3), apply(tf.layers.activation({ activation: 'relu', name: 'b2_relu' }), apply(conv('b2_conv1', 8, 3), y)));
  const z = apply(new Merge({ name: 'merge2' }), [y, b2]);
  return { model: tf.model({ inputs: input, outputs: z, name: 'custom_merge_net' }), stem, blocks: [y, z], branches: [b1, b2], transitions: [true, false] };
}

/**
 * ResNet-50's architecture as keras.applications.resnet builds it (ResNet v1.5-style bottleneck
 * `block1`), with Keras' layer names — conv1_pad, conv1_conv, conv1_bn, conv1_relu, pool1_pad,
 * pool1_pool, convS_blockB_{0..3}_{conv,bn}, _1_relu, _2_relu, convS_blockB_add (an `Add` of
 * [shortcut, branch]), convS_blockB_out (ReLU after the merge) — shrunk in width and depth.
 */
export function kerasResNet(options: { blocks?: number[]; filters?: number[]; inputShape?: Array<number | null> } = {}): BuiltNet {
  const { blocks = [2, 2, 1], filters = [4, 8, 16], inputShape = [null, null, 3] } = options;
  let seed = 1;
  const conv = (name: string, f: number, k: number, strides = 1, padding: 'valid' | 'same' = 'valid') =>
    tf.layers.conv2d({ name, filters: f, kernelSize: k, strides, padding, kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) });
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: 3, epsilon: 1.001e-5 });
  const relu = (name: string) => tf.layers.activation({ name, activation: 'relu' });
  const input = tf.input({ shape: inputShape, name: 'input_1' });
  let x = apply(tf.layers.zeroPadding2d({ name: 'conv1_pad', padding: [[3, 3], [3, 3]] }), input);
  x = apply(relu('conv1_relu'), apply(bn('conv1_bn'), apply(conv('conv1_conv', filters[0]!, 7, 2), x)));
  x = apply(tf.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }), apply(tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: [[1, 1], [1, 1]] }), x));
  const stem = x;
  const outs: ST[] = [];
  const branches: ST[] = [];
  const transitions: boolean[] = [];
  blocks.forEach((n, s) => {
    for (let b = 1; b <= n; b++) {
      const name = `conv${s + 2}_block${b}`;
      const f = filters[s]!;
      const stride = b === 1 && s > 0 ? 2 : 1;
      const shortcut = b === 1 ? apply(bn(`${name}_0_bn`), apply(conv(`${name}_0_conv`, 4 * f, 1, stride), x)) : x;
      let h = apply(relu(`${name}_1_relu`), apply(bn(`${name}_1_bn`), apply(conv(`${name}_1_conv`, f, 1, stride), x)));
      h = apply(relu(`${name}_2_relu`), apply(bn(`${name}_2_bn`), apply(conv(`${name}_2_conv`, f, 3, 1, 'same'), h)));
      h = apply(bn(`${name}_3_bn`), apply(conv(`${name}_3_conv`, 4 * f, 1), h));
      branches.push(h);
      const sum = apply(tf.layers.add({ name: `${name}_add` }), [shortcut, h]);
      outs.push(sum);
      transitions.push(b === 1);
      x = apply(relu(`${name}_out`), sum);
    }
  });
  const head = apply(tf.layers.dense({ name: 'predictions', units: 10, activation: 'softmax' }), apply(tf.layers.globalAveragePooling2d({ name: 'avg_pool' }), x));
  return { model: tf.model({ inputs: input, outputs: head, name: 'resnet50' }), stem, blocks: outs, branches, transitions };
}

/**
 * A model.json as tensorflowjs_converter writes it for a Keras model: the topology under
 * `model_config` (class `Functional`) beside `keras_version` and `backend`.
 */
export function asKerasConverted(json: Record<string, unknown>): Record<string, unknown> {
  const topology = json.modelTopology as Record<string, unknown>;
  return {
    ...json,
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { ...topology, class_name: 'Functional' } },
  };
}
