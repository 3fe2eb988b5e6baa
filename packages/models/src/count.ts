/**
 * Parameter and multiply-accumulate counts from the table alone, without building anything
 * (F7 has ~500M parameters). Counting rules as DeepMind's `count_flops` / the README figures:
 * a conv costs out_h·out_w·(in/groups)·k²·out MACs; SE 2·hidden·C; the classifier C·classes.
 */
import { modelConfigs, type ModelName } from './model-configs.js';
import type { NfConfig } from './nf-config.js';
import { allConvs, stagePlan } from './stage-plan.js';
import { ModelsError } from './errors.js';
import { quote } from './quote.js';

export function resolveConfig(nameOrConfig: ModelName | NfConfig): NfConfig {
  if (typeof nameOrConfig !== 'string') return nameOrConfig;
  // Own keys only: 'constructor' or '__proto__' are not models.
  const config = Object.hasOwn(modelConfigs, nameOrConfig) ? (modelConfigs as Record<string, NfConfig>)[nameOrConfig] : undefined;
  if (!config) {
    throw new ModelsError('UNKNOWN_MODEL', `Unknown model ${quote(String(nameOrConfig))}; known: ${Object.keys(modelConfigs).join(', ')}.`);
  }
  return config;
}

export function countParams(nameOrConfig: ModelName | NfConfig): number {
  const config = resolveConfig(nameOrConfig);
  const plan = stagePlan(config);
  const normalized = config.norm !== 'none';
  // Per channel: BN has gamma, beta and two moving statistics; GN gamma and beta.
  const perChannel = config.norm === 'batch' ? 4 : 2;
  // Scaled WS convs carry a bias and a gain per output channel; the plain ones of the WS ablation a bias.
  const perConv = config.weightStandardization === false ? 1 : 2;
  let n = 0;
  for (const c of allConvs(plan)) {
    n += c.kernel * c.kernel * (c.inChannels / c.groups) * c.outChannels + (normalized ? 0 : perConv * c.outChannels); // w (+ bias, gain)
  }
  for (const b of plan.blocks) {
    if (b.se) n += 2 * b.se.channels * b.se.hidden + b.se.hidden + b.se.channels;
    if (config.skipInit && !normalized) n += 1;
    if (normalized) n += perChannel * (b.inChannels + b.mid * (config.extraConv ? 3 : 2));
  }
  if (normalized) n += perChannel * plan.numFeatures;
  if (plan.numClasses > 0) n += plan.numFeatures * plan.numClasses + plan.numClasses;
  return n;
}

export function countMacs(nameOrConfig: ModelName | NfConfig, resolution?: number): number {
  const config = resolveConfig(nameOrConfig);
  const plan = stagePlan(config, resolution ?? config.testSize);
  let n = 0;
  for (const c of allConvs(plan)) n += c.outSize * c.outSize * (c.inChannels / c.groups) * c.kernel * c.kernel * c.outChannels;
  for (const b of plan.blocks) if (b.se) n += 2 * b.se.hidden * b.se.channels;
  if (plan.numClasses > 0) n += plan.numFeatures * plan.numClasses;
  return n;
}
