/**
 * The stage plan: every conv, block and head of a network, derived from its config by one pure
 * function shared by all families (the counter-example is DM's stage loop retyped per family).
 * Reference: timm NormFreeNet.__init__ / NormFreeBlock / create_stem (channel rounding, mid
 * channels, groups, downsampling) and DM nfnet.py (β = 1/expected std with the reset after each
 * stage's first block; stochastic-depth rate linear in the block index, DM's rule).
 */
import type { NfConfig } from './nf-config.js';

/** timm `make_divisible`: round to the nearest multiple, never below `divisor` nor 90 % of v (unless roundLimit 0). */
export function makeDivisible(v: number, divisor = 8, roundLimit = 0.9): number {
  let out = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (out < roundLimit * v) out += divisor;
  return out;
}

export interface ConvPlan {
  /** Layer name, timm's module path (e.g. 'stages.1.0.conv2'). */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  groups: number;
  /** Spatial size of the output for `resolution`. */
  outSize: number;
}

export interface BlockPlan {
  name: string;
  stage: number;
  index: number;
  inChannels: number;
  outChannels: number;
  mid: number;
  groups: number;
  stride: number;
  beta: number;
  alpha: number;
  dropPath: number;
  /** 1×1 conv shortcut (after a 2×2 average pool when strided). */
  downsample: boolean;
  /** SE hidden width and where it sits; undefined = no SE. */
  se?: { channels: number; hidden: number; position: 'mid' | 'last' };
  convs: ConvPlan[];
  inSize: number;
  outSize: number;
}

export interface StagePlan {
  stem: { convs: ConvPlan[]; pool: boolean; outSize: number; outChannels: number };
  blocks: BlockPlan[];
  finalConv?: ConvPlan;
  numFeatures: number;
  numClasses: number;
  finalSize: number;
}

/** Output size of a stride-s conv/pool: ceil(in / s) for SAME and for k//2 symmetric padding alike. */
function down(size: number, stride: number): number {
  return Math.ceil(size / stride);
}

export function stagePlan(config: NfConfig, resolution = config.testSize): StagePlan {
  const div = config.channelDivisor;
  const stemChannels = makeDivisible((config.stemChannels ?? config.channels[0]!) * config.widthFactor, div);
  const stemConvs: ConvPlan[] = [];
  let size = resolution;
  let inCh = config.inChannels;
  const conv = (name: string, cin: number, cout: number, kernel: number, stride: number, groups = 1): ConvPlan => {
    size = down(size, stride);
    return { name, inChannels: cin, outChannels: cout, kernel, stride, groups, outSize: size };
  };
  let stemStride: number;
  let pool = false;
  if (config.stemType === 'deep_quad') {
    const chs = [stemChannels / 8, stemChannels / 4, stemChannels / 2, stemChannels].map(Math.floor);
    stemStride = config.stemStride ?? 4;
    const strides = [2, 1, 1, stemStride / 2];
    chs.forEach((c, i) => {
      stemConvs.push(conv(`stem.conv${i + 1}`, inCh, c, 3, strides[i]!));
      inCh = c;
    });
  } else if (config.stemType === '7x7_pool') {
    stemConvs.push(conv('stem.conv', inCh, stemChannels, 7, 2));
    size = down(size, 2); // 3×3 stride-2 max pool
    pool = true;
    stemStride = 4;
  } else {
    stemStride = config.stemStride ?? 2;
    stemConvs.push(conv('stem.conv', inCh, stemChannels, 3, stemStride));
  }
  inCh = stemChannels;
  const stem = { convs: stemConvs, pool, outSize: size, outChannels: stemChannels };

  const blocks: BlockPlan[] = [];
  const total = config.depths.reduce((a, b) => a + b, 0);
  let expectedVar = 1;
  let blockIndex = 0;
  config.depths.forEach((depth, s) => {
    // timm's rule unless the config says otherwise: the first stage keeps the resolution after a stride-4 stem.
    const stageStride = config.stageStrides?.[s] ?? (s === 0 && stemStride > 2 ? 1 : 2);
    for (let b = 0; b < depth; b++, blockIndex++) {
      const name = `stages.${s}.${b}`;
      const out = makeDivisible(config.channels[s]! * config.widthFactor, div);
      const stride = b === 0 ? stageStride : 1;
      const ratio = config.reg && s === 0 && b === 0 ? 1 : config.bottleRatio;
      let mid = makeDivisible((config.reg ? inCh : out) * ratio, div);
      let groups = 1;
      if (config.groupSize) {
        groups = Math.max(1, Math.floor(mid / config.groupSize));
        if (config.groupSize % div === 0 && mid >= config.groupSize) mid = config.groupSize * groups;
      }
      const inSize = size;
      const convs: ConvPlan[] = [];
      const downsample = inCh !== out || stride !== 1;
      const blockOutSize = down(inSize, stride);
      if (downsample) convs.push({ name: `${name}.downsample.conv`, inChannels: inCh, outChannels: out, kernel: 1, stride: 1, groups: 1, outSize: blockOutSize });
      size = inSize;
      convs.push(conv(`${name}.conv1`, inCh, mid, 1, 1));
      convs.push(conv(`${name}.conv2`, mid, mid, 3, stride, groups));
      if (config.extraConv) convs.push(conv(`${name}.conv2b`, mid, mid, 3, 1, groups));
      convs.push(conv(`${name}.conv3`, mid, out, 1, 1));
      let se: BlockPlan['se'];
      if (config.seRatio !== undefined) {
        const channels = config.reg ? mid : out;
        se = { channels, hidden: makeDivisible(channels * config.seRatio, 8, 0), position: config.reg ? 'mid' : 'last' };
      }
      blocks.push({
        name,
        stage: s,
        index: blockIndex,
        inChannels: inCh,
        outChannels: out,
        mid,
        groups,
        stride,
        beta: 1 / Math.sqrt(expectedVar),
        alpha: config.alpha,
        dropPath: (config.dropPathRate * blockIndex) / total,
        downsample,
        ...(se ? { se } : {}),
        convs,
        inSize,
        outSize: size,
      });
      if (b === 0) expectedVar = 1;
      expectedVar += config.alpha ** 2;
      inCh = out;
    }
  });

  let finalConv: ConvPlan | undefined;
  let numFeatures = inCh;
  if (config.numFeatures > 0) {
    numFeatures = makeDivisible(config.numFeatures * config.widthFactor, div);
    finalConv = conv('final_conv', inCh, numFeatures, 1, 1);
  }
  return { stem, blocks, ...(finalConv ? { finalConv } : {}), numFeatures, numClasses: config.numClasses, finalSize: size };
}

/** Every conv of the plan in network order. */
export function allConvs(plan: StagePlan): ConvPlan[] {
  return [...plan.stem.convs, ...plan.blocks.flatMap((b) => b.convs), ...(plan.finalConv ? [plan.finalConv] : [])];
}
