/**
 * `createModel(name | config, overrides?)`: a tf.LayersModel built from the stage plan with the
 * functional API. Layer names follow timm's module paths ('stem.conv1', 'stages.1.0.conv2',
 * 'stages.1.0.attn_last', 'final_conv', 'head.fc'), so checkpoints and analyses map 1:1.
 * Reference: timm NormFreeNet / NormFreeBlock forward, DM nfnet.py NFNet / NFBlock.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { gammaOf, GroupedConv2D, GroupNormalization, symmetricPadding, WSConv2D } from '@nf/ws-conv';
import { modelConfigs, type ModelName } from './model-configs.js';
import { validateNfConfig, type NfConfig } from './nf-config.js';
import { stagePlan, type ConvPlan } from './stage-plan.js';
import { resolveConfig } from './count.js';
import { ScaledActivation } from './scaled-activation.js';
import { SqueezeExcite } from './squeeze-excite.js';
import { NfResidual } from './nf-residual.js';
import { PaddedMaxPool } from './max-pool.js';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';

type Sym = tfl.SymbolicTensor;

/** Any config field can be overridden, e.g. `{ numClasses: 10, inChannels: 1, depths: [1, 1, 1, 1] }`. */
export type NfOverrides = Partial<NfConfig>;

/** NfConfig fields that may be absent from a table entry. */
const OPTIONAL_FIELDS = ['stemChannels', 'groupSize', 'seRatio', 'stemStride', 'stageStrides', 'activationGamma', 'weightStandardization'];

export function configOf(nameOrConfig: ModelName | NfConfig, overrides: NfOverrides = {}): NfConfig {
  const base = resolveConfig(nameOrConfig);
  for (const key of Object.keys(overrides)) {
    if (!(key in base) && !OPTIONAL_FIELDS.includes(key)) {
      throw new ModelsError('BAD_CONFIG', `Unknown config field ${quote(key)}; known fields: ${[...new Set([...Object.keys(modelConfigs.dm_nfnet_f0), ...OPTIONAL_FIELDS])].join(', ')}.`);
    }
  }
  return validateNfConfig({ ...base, ...overrides }, typeof nameOrConfig === 'string' ? nameOrConfig : 'config');
}

export function createModel(nameOrConfig: ModelName | NfConfig, overrides: NfOverrides = {}): tfl.LayersModel {
  const config = configOf(nameOrConfig, overrides);
  const plan = stagePlan(config);
  const normalized = config.norm !== 'none';
  const gamma = normalized ? 1 : (config.activationGamma ?? gammaOf(config.activation));
  // Without WS the convs are plain and cannot carry gamma: it goes in the activation then.
  const gammaInAct = config.gammaInAct || config.weightStandardization === false;
  const actGamma = gammaInAct ? gamma : 1;
  const convGamma = gammaInAct ? 1 : gamma;

  const conv = (c: ConvPlan, x: Sym, opts: { gainZero?: boolean } = {}): Sym => {
    const common = {
      name: c.name,
      filters: c.outChannels,
      kernelSize: c.kernel,
      strides: c.stride,
      groups: c.groups,
      padding: config.padding === 'same' ? ('same' as const) : symmetricPadding(c.kernel, c.stride),
    };
    // Baselines: plain convs before batch norm; plain-WS convs before group norm (no bias, no gain).
    if (config.norm === 'batch') return new GroupedConv2D({ ...common, useBias: false, kernelInitializer: 'fanInNormal' }).apply(x) as Sym;
    if (config.norm === 'group') return new WSConv2D({ ...common, useBias: false, useGain: false, convention: 'plain' }).apply(x) as Sym;
    // The ablation without weight standardization: a plain conv (fan-in normal init, bias), no gain.
    if (config.weightStandardization === false) return new GroupedConv2D({ ...common, useBias: true, kernelInitializer: 'fanInNormal' }).apply(x) as Sym;
    return new WSConv2D({
      ...common,
      convention: config.wsConvention,
      eps: config.wsEps,
      // timm-native models fold gamma into every conv, the first stem conv included.
      gamma: convGamma,
      ...(opts.gainZero ? { gainInitializer: 'zeros' } : {}),
    }).apply(x) as Sym;
  };
  const act = (name: string, x: Sym, scale = 1): Sym => {
    let h = x;
    if (config.norm === 'batch') h = tfl.layers.batchNormalization({ name: name.replace(/act(\w*)$/, 'norm$1'), axis: -1, epsilon: 1e-5 }).apply(h) as Sym;
    if (config.norm === 'group') h = new GroupNormalization({ name: name.replace(/act(\w*)$/, 'norm$1'), groups: config.normGroups }).apply(h) as Sym;
    return new ScaledActivation({ name, activation: config.activation, scale: actGamma * (normalized ? 1 : scale) }).apply(h) as Sym;
  };

  const input = tfl.input({ shape: [null, null, config.inChannels], name: 'input' });
  let x: Sym = input;
  plan.stem.convs.forEach((c, i) => {
    x = conv(c, x);
    if (config.stemType === 'deep_quad' && i < plan.stem.convs.length - 1) x = act(`stem.act${i + 2}`, x);
  });
  if (plan.stem.pool) x = new PaddedMaxPool({ name: 'stem.pool', poolSize: 3, strides: 2, pad: 1 }).apply(x) as Sym;

  for (const b of plan.blocks) {
    const convs = Object.fromEntries(b.convs.map((c) => [c.name.slice(b.name.length + 1), c]));
    const out = act(`${b.name}.act1`, x, b.beta);
    let shortcut: Sym = x;
    if (b.downsample) {
      let s = out;
      if (b.stride > 1) s = tfl.layers.averagePooling2d({ name: `${b.name}.downsample.pool`, poolSize: 2, strides: 2, padding: 'same' }).apply(s) as Sym;
      shortcut = conv(convs['downsample.conv']!, s);
    }
    let h = conv(convs.conv1!, out);
    h = conv(convs.conv2!, act(`${b.name}.act2`, h));
    if (convs.conv2b) h = conv(convs.conv2b, act(`${b.name}.act2b`, h));
    if (b.se?.position === 'mid') h = new SqueezeExcite({ name: `${b.name}.attn`, hidden: b.se.hidden, gain: config.attnGain }).apply(h) as Sym;
    h = conv(convs.conv3!, act(`${b.name}.act3`, h), { gainZero: !config.skipInit });
    if (b.se?.position === 'last') h = new SqueezeExcite({ name: `${b.name}.attn_last`, hidden: b.se.hidden, gain: config.attnGain }).apply(h) as Sym;
    x = new NfResidual({ name: `${b.name}.residual`, alpha: b.alpha, skipGain: config.skipInit && !normalized, dropRate: b.dropPath }).apply([h, shortcut]) as Sym;
  }
  if (plan.finalConv) x = conv(plan.finalConv, x);
  x = act('final_act', x);
  if (plan.numClasses > 0) {
    x = tfl.layers.globalAveragePooling2d({ name: 'head.global_pool' }).apply(x) as Sym;
    if (config.dropRate > 0) x = tfl.layers.dropout({ name: 'head.drop', rate: config.dropRate }).apply(x) as Sym;
    x = tfl.layers.dense({
      name: 'head.fc',
      units: plan.numClasses,
      kernelInitializer: config.zeroInitFc ? 'zeros' : tfl.initializers.randomNormal({ mean: 0, stddev: 0.01 }),
      biasInitializer: 'zeros',
    }).apply(x) as Sym;
  }
  return tfl.model({ inputs: input, outputs: x, name: typeof nameOrConfig === 'string' ? nameOrConfig : 'nf_model' });
}
