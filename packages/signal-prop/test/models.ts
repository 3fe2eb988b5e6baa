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
