/**
 * The typed configuration of every Normalizer-Free network: one readonly record per model,
 * as timm's `NfCfg` (timm/models/nfnet.py) — the knobs of DeepMind's nfnet.py / nf_resnet.py /
 * nf_regnet.py expressed in one shape. Defaults and their sources are in model-configs.ts.
 */
import { ModelsError } from './errors.js';

export type StemType = 'deep_quad' | '7x7_pool' | '3x3';
export type Padding = 'same' | 'symmetric';

export interface NfConfig {
  /** Blocks per stage. */
  readonly depths: readonly number[];
  /** Output channels per stage (before `widthFactor`). */
  readonly channels: readonly number[];
  /** Residual scale α (paper: 0.2). */
  readonly alpha: number;
  /** 'deep_quad' (NFNet: 4 convs, stride 4), '7x7_pool' (ResNet: 7×7 conv + max pool), '3x3' (RegNet). */
  readonly stemType: StemType;
  /** Stem output channels (deep_quad: the 4 convs have /8, /4, /2, ×1 of it). Default: channels[0]. */
  readonly stemChannels?: number;
  /**
   * Total stride of the stem: 'deep_quad' 4 (default) or 2 (its last conv unstrided), '3x3' 2
   * (default) or 1, '7x7_pool' 4. Small images (28×28, 32×32) keep more resolution with 2.
   */
  readonly stemStride?: number;
  /**
   * Stride of each stage's first block (1 or 2). Default, timm's rule: 1 for the first stage after
   * a stride-4 stem, otherwise 2.
   */
  readonly stageStrides?: readonly number[];
  /**
   * The activation's gamma (nfnet-facts: γ with E[(γ·g(z))²] = 1 for z ~ N(0, 1)); undefined = the
   * activation's own (gammaOf). For experiments only: γ = 1 lets the signal shrink or grow through the
   * network, which a signal-propagation plot shows.
   */
  readonly activationGamma?: number;
  /**
   * false: plain convolutions (fan-in normal init, bias, no standardization, no gain) in place of the
   * Scaled WS ones, everything else the same: the ablation of Brock et al. 2021a §4, for experiments.
   * undefined or true = Scaled WS (the NFNet).
   */
  readonly weightStandardization?: boolean;
  /** Channels per group in the 3×3 convs; undefined = no groups. */
  readonly groupSize?: number;
  /** Bottleneck width ratio: of the block output (ResNet/NFNet) or input (RegNet, `reg`). */
  readonly bottleRatio: number;
  /** Multiplies every stage width and the final conv (RegNet 0.75). */
  readonly widthFactor: number;
  /** Channels are rounded to multiples of this (timm `ch_div`). */
  readonly channelDivisor: number;
  /** Squeeze-excite hidden ratio; undefined = no SE. */
  readonly seRatio?: number;
  /** SE output multiplier (paper's ×2). */
  readonly attnGain: number;
  /** RegNet style: expand from input channels, SE between the 3×3 and last 1×1, first block ratio 1. */
  readonly reg: boolean;
  /** NFNet's second 3×3 grouped conv. */
  readonly extraConv: boolean;
  /** Width of the final 1×1 conv; 0 = none. */
  readonly numFeatures: number;
  /** Activation name (see @nf/ws-conv gammaOf). */
  readonly activation: string;
  /** Apply gamma in the activation (DeepMind) rather than folding it into the convs (timm-native). */
  readonly gammaInAct: boolean;
  /** 'same' = TensorFlow SAME everywhere (DeepMind weights); 'symmetric' = PyTorch k//2. */
  readonly padding: Padding;
  /** Weight-standardization convention and eps (timm: 1e-5 added to the variance). */
  readonly wsConvention: 'deepmind' | 'timm';
  readonly wsEps: number;
  /** A zero-initialised scalar gain per block (DeepMind SkipInit). Otherwise the last conv's gain starts at 0. */
  readonly skipInit: boolean;
  /** Classifier init: zeros, or N(0, 0.01²). */
  readonly zeroInitFc: boolean;
  /** Number of classes; 0 = no classifier (features only). */
  readonly numClasses: number;
  /** Input channels. */
  readonly inChannels: number;
  /** Dropout on pooled features (training only). */
  readonly dropRate: number;
  /** Stochastic depth: linear in block index up to this rate (training only). */
  readonly dropPathRate: number;
  /**
   * 'none' (normalizer-free). Baselines with the same depths: 'batch' = batch-normalized
   * pre-activation ResNet-v2 (plain convs, BN→ReLU before each conv, final BN); 'group' = Group Norm
   * with plain Weight Standardization (Qiao et al.). Both use α = 1 and no β, gamma or skip gain.
   */
  readonly norm: 'none' | 'batch' | 'group';
  /** Groups of the Group Norm baseline. */
  readonly normGroups: number;
  /** Train and test input resolution (square). */
  readonly trainSize: number;
  readonly testSize: number;
}

/** Checks a (possibly user-overridden) config; throws one line naming the field. */
export function validateNfConfig(config: NfConfig, where = 'NfConfig'): NfConfig {
  const fail = (field: string, why: string, value: unknown) => {
    throw new ModelsError('BAD_CONFIG', `${where}: ${field} ${why}, received ${JSON.stringify(value)}.`);
  };
  const posInts = (field: string, v: readonly number[]) => {
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => Number.isInteger(x) && x > 0)) fail(field, 'must be a non-empty list of positive integers', v);
  };
  posInts('depths', config.depths);
  posInts('channels', config.channels);
  if (config.depths.length !== config.channels.length) fail('channels', `must have one entry per stage (${config.depths.length})`, config.channels);
  if (!(config.alpha > 0)) fail('alpha', 'must be > 0', config.alpha);
  if (!['deep_quad', '7x7_pool', '3x3'].includes(config.stemType)) fail('stemType', "must be 'deep_quad', '7x7_pool' or '3x3'", config.stemType);
  const stemStrides: Record<StemType, number[]> = { deep_quad: [2, 4], '3x3': [1, 2], '7x7_pool': [4] };
  if (config.stemStride !== undefined && !stemStrides[config.stemType].includes(config.stemStride)) {
    fail('stemStride', `must be ${stemStrides[config.stemType].join(' or ')} for stemType '${config.stemType}'`, config.stemStride);
  }
  if (config.stageStrides !== undefined && !(Array.isArray(config.stageStrides) && config.stageStrides.length === config.depths.length && config.stageStrides.every((s) => s === 1 || s === 2))) {
    fail('stageStrides', `must list 1 or 2 for each of the ${config.depths.length} stages`, config.stageStrides);
  }
  if (config.activationGamma !== undefined && !(Number.isFinite(config.activationGamma) && config.activationGamma > 0)) fail('activationGamma', 'must be a finite number > 0 or undefined', config.activationGamma);
  if (config.weightStandardization !== undefined && typeof config.weightStandardization !== 'boolean') fail('weightStandardization', 'must be true, false or undefined', config.weightStandardization);
  if (config.groupSize !== undefined && !(Number.isInteger(config.groupSize) && config.groupSize > 0)) fail('groupSize', 'must be a positive integer or undefined', config.groupSize);
  if (!(config.bottleRatio > 0)) fail('bottleRatio', 'must be > 0', config.bottleRatio);
  if (!(config.widthFactor > 0)) fail('widthFactor', 'must be > 0', config.widthFactor);
  if (config.seRatio !== undefined && !(config.seRatio > 0 && config.seRatio <= 1)) fail('seRatio', 'must be in (0, 1] or undefined', config.seRatio);
  if (!(Number.isInteger(config.numFeatures) && config.numFeatures >= 0)) fail('numFeatures', 'must be an integer >= 0', config.numFeatures);
  if (!(Number.isInteger(config.numClasses) && config.numClasses >= 0)) fail('numClasses', 'must be an integer >= 0', config.numClasses);
  if (!(Number.isInteger(config.inChannels) && config.inChannels > 0)) fail('inChannels', 'must be a positive integer', config.inChannels);
  if (!(config.dropRate >= 0 && config.dropRate < 1)) fail('dropRate', 'must be in [0, 1)', config.dropRate);
  if (!(config.dropPathRate >= 0 && config.dropPathRate < 1)) fail('dropPathRate', 'must be in [0, 1)', config.dropPathRate);
  if (!['none', 'batch', 'group'].includes(config.norm)) fail('norm', "must be 'none', 'batch' or 'group'", config.norm);
  if (!['same', 'symmetric'].includes(config.padding)) fail('padding', "must be 'same' or 'symmetric'", config.padding);
  return config;
}
