/**
 * The model table, keyed by timm model ids so checkpoints and fixtures map 1:1.
 * Sources: timm/models/nfnet.py `model_cfgs` (NfCfg helpers `_dm_nfnet_cfg`, `_nfnet_cfg`,
 * `_nfres_cfg`, `_nfreg_cfg`) and deepmind-research nfnets/base.py (`nfnet_params`: resolutions,
 * dropout; `nf_regnet_params`). Families are built by helpers, not retyped.
 */
import type { NfConfig } from './nf-config.js';

const BASE = {
  alpha: 0.2, // paper / DM / timm
  attnGain: 2, // SE output ×2 (DM base.py, timm attn_gain)
  widthFactor: 1,
  channelDivisor: 8, // timm ch_div (no effect on F / ResNet widths)
  reg: false,
  extraConv: false,
  wsConvention: 'timm' as const,
  wsEps: 1e-5, // timm NfCfg.std_conv_eps
  zeroInitFc: false, // fc ~ N(0, 0.01²) (P-NF App. C)
  numClasses: 1000,
  inChannels: 3,
  dropPathRate: 0,
  norm: 'none' as const,
  normGroups: 32,
};

/** F-variant depths ×N, DeepMind's resolutions and dropout (base.py nfnet_params). */
const F_VARIANTS = [
  { depths: [1, 2, 6, 3], train: 192, test: 256, drop: 0.2 },
  { depths: [2, 4, 12, 6], train: 224, test: 320, drop: 0.3 },
  { depths: [3, 6, 18, 9], train: 256, test: 352, drop: 0.4 },
  { depths: [4, 8, 24, 12], train: 320, test: 416, drop: 0.4 },
  { depths: [5, 10, 30, 15], train: 384, test: 512, drop: 0.5 },
  { depths: [6, 12, 36, 18], train: 416, test: 544, drop: 0.5 },
  { depths: [7, 14, 42, 21], train: 448, test: 576, drop: 0.5 },
  { depths: [8, 16, 48, 24], train: 480, test: 608, drop: 0.5 },
] as const;

/** NFNet-F as DeepMind defines it (timm `dm_nfnet_*`): gamma in the activation, SAME padding, SkipInit. */
function dmNfnet(i: number): NfConfig {
  const v = F_VARIANTS[i]!;
  return {
    ...BASE,
    depths: v.depths,
    channels: [256, 512, 1536, 1536],
    stemType: 'deep_quad',
    stemChannels: 128,
    groupSize: 128,
    bottleRatio: 0.5,
    seRatio: 0.5,
    extraConv: true,
    numFeatures: 3072,
    activation: 'gelu',
    gammaInAct: true,
    padding: 'same',
    skipInit: true,
    dropRate: v.drop,
    dropPathRate: 0, // a training-recipe choice (DM experiment: 0.25); off by default, as in timm
    trainSize: v.train,
    testSize: v.test,
  };
}

/** timm-native NFNet-F: gamma folded into the convs, symmetric padding, last-conv gain zero-initialised. */
function nfnet(i: number): NfConfig {
  return { ...dmNfnet(i), gammaInAct: false, padding: 'symmetric', skipInit: false };
}

/** Pre-activation NF-ResNet (timm `_nfres_cfg`): 7×7 stem + max pool, bottleneck 0.25, ReLU. */
function nfResnet(depths: number[]): NfConfig {
  return {
    ...BASE,
    depths,
    channels: [256, 512, 1024, 2048],
    stemType: '7x7_pool',
    stemChannels: 64,
    bottleRatio: 0.25,
    numFeatures: 0,
    activation: 'relu',
    gammaInAct: false,
    padding: 'symmetric',
    skipInit: false,
    dropRate: 0,
    trainSize: 224,
    testSize: 224,
  };
}

/** A normalized baseline with an NF-ResNet's depths (see NfConfig.norm). */
function baseline(depths: number[], norm: 'batch' | 'group'): NfConfig {
  return { ...nfResnet(depths), norm, alpha: 1, activation: 'relu' };
}

/** NF-RegNet-B (timm `_nfreg_cfg`, DM nf_regnet.py): width 0.75, expansion 2.25 of input, group 8, SE in the middle. */
function nfRegnet(depths: number[], channels: number[], train: number, test: number, drop: number): NfConfig {
  return {
    ...BASE,
    depths,
    channels,
    stemType: '3x3',
    groupSize: 8,
    bottleRatio: 2.25,
    widthFactor: 0.75,
    seRatio: 0.5,
    reg: true,
    numFeatures: Math.floor((1280 * channels[channels.length - 1]!) / 440),
    activation: 'silu',
    gammaInAct: false,
    padding: 'symmetric',
    skipInit: false,
    dropRate: drop,
    trainSize: train,
    testSize: test,
  };
}

/**
 * The small NFNets for 28×28 grayscale images: F0's block design, one block per stage, widths × `w`.
 * `stemStride` 4 (F0's stem) runs the first stage at 7×7; 2 keeps it at 14×14 (stages 14, 7, 4, 2).
 */
function mnistNfnet(w: number, stemStride: 2 | 4 = 4): NfConfig {
  return {
    ...dmNfnet(0),
    depths: [1, 1, 1, 1],
    channels: [32 * w, 64 * w, 96 * w, 128 * w],
    stemChannels: 32 * w,
    groupSize: 8 * w,
    numFeatures: 256 * w,
    numClasses: 10,
    inChannels: 1,
    dropRate: 0.1,
    trainSize: 28,
    testSize: 28,
    ...(stemStride === 2 ? { stemStride: 2, stageStrides: [1, 2, 2, 2] } : {}),
  };
}

export const modelConfigs = {
  dm_nfnet_f0: dmNfnet(0),
  dm_nfnet_f1: dmNfnet(1),
  dm_nfnet_f2: dmNfnet(2),
  dm_nfnet_f3: dmNfnet(3),
  dm_nfnet_f4: dmNfnet(4),
  dm_nfnet_f5: dmNfnet(5),
  dm_nfnet_f6: dmNfnet(6),
  nfnet_f0: nfnet(0),
  nfnet_f1: nfnet(1),
  nfnet_f2: nfnet(2),
  nfnet_f3: nfnet(3),
  nfnet_f4: nfnet(4),
  nfnet_f5: nfnet(5),
  nfnet_f6: nfnet(6),
  nfnet_f7: nfnet(7),
  nf_resnet26: nfResnet([2, 2, 2, 2]),
  nf_resnet50: nfResnet([3, 4, 6, 3]),
  nf_resnet101: nfResnet([3, 4, 23, 3]),
  resnet26_v2_bn: baseline([2, 2, 2, 2], 'batch'),
  resnet50_v2_bn: baseline([3, 4, 6, 3], 'batch'),
  resnet26_v2_gnws: baseline([2, 2, 2, 2], 'group'),
  resnet50_v2_gnws: baseline([3, 4, 6, 3], 'group'),
  nf_regnet_b0: nfRegnet([1, 3, 6, 6], [48, 104, 208, 440], 192, 256, 0.2),
  nf_regnet_b1: nfRegnet([2, 4, 7, 7], [48, 104, 208, 440], 240, 256, 0.2),
  /** A tiny NFNet for 28×28 grayscale images (145 k parameters). */
  nfnet_tiny_mnist: mnistNfnet(1),
  /** Twice the tiny one's widths (≈4× its MACs, 568 k parameters). */
  nfnet_small_mnist: mnistNfnet(2),
  /** Widths ×1.5 and a stride-2 stem: stage 1 at 14×14 (≈1.8× the small one's time per step on wasm): the trainer's Fashion-MNIST model. */
  nfnet_base_mnist: mnistNfnet(1.5, 2),
} as const satisfies Record<string, NfConfig>;

export type ModelName = keyof typeof modelConfigs;

/** Every model name in the table. */
export function listModels(): ModelName[] {
  return Object.keys(modelConfigs) as ModelName[];
}
