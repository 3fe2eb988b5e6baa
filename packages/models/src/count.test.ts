import { describe, expect, it } from 'vitest';
import { allConvs, countMacs, countParams, listModels, modelConfigs, stagePlan } from './index.js';

/** Published and derived figures (nfnet-facts.md §4.5 and §5). */
const F_PARAMS = [71_489_284, 132_634_256, 193_779_228, 254_924_200, 316_069_172, 377_214_144, 438_359_116, 499_504_088];
const F_MACS_TEST = [12.38e9, 35.54e9, 62.59e9, 114.76e9, 215.24e9, 289.76e9, 377.28e9, 478.78e9];
const F_MACS_TRAIN = [6.98e9, 17.44e9, 33.14e9, 67.94e9, 121.12e9, 169.5e9, 228.29e9, 298.48e9];

describe('countParams / countMacs from the table', () => {
  it.each(F_PARAMS.slice(0, 7).map((p, i) => [i, p] as const))('dm_nfnet_f%i has exactly the published parameter count', (i, p) => {
    expect(countParams(`dm_nfnet_f${i}` as never)).toBe(p);
  });
  it.each(F_PARAMS.map((p, i) => [i, p] as const))('nfnet_f%i (timm-native, no skip gains) has the count minus its block count', (i, p) => {
    const blocks = modelConfigs[`nfnet_f${Math.min(i, 7)}` as 'nfnet_f0'].depths.reduce((a, b) => a + b, 0);
    expect(countParams(`nfnet_f${i}` as never)).toBe(p - blocks);
  });
  it.each(F_MACS_TEST.map((m, i) => [i, m] as const))('F%i MACs at test resolution match the published GFLOPs (2 decimals)', (i, m) => {
    const name = i < 7 ? `dm_nfnet_f${i}` : 'nfnet_f7';
    expect(Math.round(countMacs(name as never) / 1e7) / 100).toBe(m / 1e9);
  });
  it.each(F_MACS_TRAIN.map((m, i) => [i, m] as const))('F%i MACs at train resolution match the derived figures', (i, m) => {
    const name = i < 7 ? `dm_nfnet_f${i}` : 'nfnet_f7';
    const config = modelConfigs[name as 'dm_nfnet_f0'];
    expect(Math.round(countMacs(name as never, config.trainSize) / 1e7) / 100).toBe(m / 1e9);
  });
  it('NF-ResNets: 26 → 16.00M, 50 → 25.56M, 101 → 44.55M parameters; 50 → 4.09 GMACs at 224', () => {
    expect(Math.round(countParams('nf_resnet26') / 1e4) / 100).toBe(16.0);
    expect(Math.round(countParams('nf_resnet50') / 1e4) / 100).toBe(25.56);
    expect(Math.round(countParams('nf_resnet101') / 1e4) / 100).toBe(44.55);
    expect(Math.round(countMacs('nf_resnet50', 224) / 1e7) / 100).toBe(4.09);
  });
  it('F0 stage plan: betas, groups 1/2/6/6, widths and transitions as DeepMind', () => {
    const plan = stagePlan(modelConfigs.dm_nfnet_f0);
    const betas = [1.0, 0.980581, 0.980581, 0.96225, 0.980581, 0.96225, 0.944911, 0.928477, 0.912871, 0.898027, 0.980581, 0.96225];
    expect(plan.blocks.map((b) => Number(b.beta.toFixed(6)))).toEqual(betas);
    expect([...new Set(plan.blocks.map((b) => `${b.stage}:${b.groups}`))]).toEqual(['0:1', '1:2', '2:6', '3:6']);
    expect(plan.blocks.filter((b) => b.downsample).map((b) => b.name)).toEqual(['stages.0.0', 'stages.1.0', 'stages.2.0', 'stages.3.0']);
    expect(plan.stem.convs.map((c) => c.outChannels)).toEqual([16, 32, 64, 128]);
    expect(plan.finalSize).toBe(8);
    expect(plan.numFeatures).toBe(3072);
  });
  it('stemStride and stageStrides set where the resolution drops: nfnet_base_mnist keeps 14×14 through stage 1', () => {
    const sizes = (config: Parameters<typeof stagePlan>[0]) => {
      const plan = stagePlan(config, 28);
      return { stem: plan.stem.convs.map((c) => c.stride), stemOut: plan.stem.outSize, blocks: plan.blocks.map((b) => [b.stride, b.inSize, b.outSize]), final: plan.finalSize };
    };
    expect(sizes(modelConfigs.nfnet_small_mnist)).toEqual({ stem: [2, 1, 1, 2], stemOut: 7, blocks: [[1, 7, 7], [2, 7, 4], [2, 4, 2], [2, 2, 1]], final: 1 });
    expect(sizes(modelConfigs.nfnet_base_mnist)).toEqual({ stem: [2, 1, 1, 1], stemOut: 14, blocks: [[1, 14, 14], [2, 14, 7], [2, 7, 4], [2, 4, 2]], final: 2 });
    // Without stageStrides, timm's rule: a stride-2 stem is followed by a strided first stage.
    expect(sizes({ ...modelConfigs.nfnet_small_mnist, stemStride: 2 }).blocks[0]).toEqual([2, 14, 7]);
    expect(sizes({ ...modelConfigs.nf_regnet_b0, stemStride: 1 })).toMatchObject({ stem: [1], stemOut: 28, final: 2 });
    // MACs of the base model by hand: conv MACs = out² · k² · cin/groups · cout, per plan entry.
    const plan = stagePlan(modelConfigs.nfnet_base_mnist, 28);
    const convMacs = allConvs(plan).reduce((a, c) => a + c.outSize ** 2 * c.kernel ** 2 * (c.inChannels / c.groups) * c.outChannels, 0);
    expect(countMacs('nfnet_base_mnist', 28)).toBeGreaterThanOrEqual(convMacs);
    expect(countMacs('nfnet_base_mnist', 28)).toBeLessThan(convMacs * 1.05);
    expect(plan.stem.convs.map((c) => [c.outChannels, c.outSize])).toEqual([[6, 14], [12, 14], [24, 14], [48, 14]]);
  });
  it('every table entry counts without allocating anything', () => {
    for (const name of listModels()) expect(countParams(name)).toBeGreaterThan(0);
  });
});
