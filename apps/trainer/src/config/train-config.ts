/**
 * The training configuration: one typed record, named presets, and a validator that reports
 * one line naming the key (unknown key, wrong type, impossible value). Recipe defaults follow
 * deepmind-research nfnets/experiment_nfnets.py (nfnet-facts.md §6).
 */
import { TrainerError } from '../errors.js';

export interface TrainConfig {
  /** Model name from @nf/models' table, plus overrides of any config field. */
  model: string;
  modelOverrides: Record<string, unknown>;
  /** 'folder': an image folder (--data DIR with train/ and val/ class folders, or one tree and valSplit). */
  dataset: 'fashion-mnist' | 'cifar10' | 'synthetic' | 'folder';
  /** Directory of the full dataset; absent = the bundled subset. Required for 'folder' and 'cifar10'. */
  data?: string;
  /** Image folders: share of each class held out for evaluation when DIR is one class-folder tree (0 = DIR has train/ and val/). */
  valSplit: number;
  /** Image folders: worker threads that decode and augment images (0 = the main thread). */
  dataWorkers: number;
  /** Image folders: RandAugment layers (0 = off) and magnitude (0–10 scale) of the training images. */
  randAugmentLayers: number;
  randAugmentMagnitude: number;
  epochs: number;
  batchSize: number;
  /** Micro-batches per update; batchSize must divide by it. */
  accumulation: number;
  /** Peak learning rate at `batchSize` (DM scales 0.1 per 256 images). */
  lr: number;
  warmupEpochs: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** AGC lambda; 0 turns AGC off. */
  clipping: number;
  labelSmoothing: number;
  /** EMA decay; 0 = off. Evaluation uses the EMA weights when on. */
  emaDecay: number;
  seed: number;
  backend: 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  /**
   * Data-parallel threads on the cpu and wasm backends (each a replica of the model on its own
   * backend); 0 = one per core. Results depend only on how the batch is split: N workers split it
   * into max(N, accumulation) micro-batches, so runs agree with a 1-worker run of the same split.
   * GPU backends use 1.
   */
  workers: number;
  /**
   * The wasm backend's optional native accelerator, @nf/onednn (oneDNN convolutions and matrix
   * products on the wasm heap): auto = when its addon is built, onednn = required (an error naming
   * the fix when it is not), none = off. With it on, `workers: 0` means one worker with oneDNN on
   * every core (measured faster than one worker per core; README).
   */
  accelerator: 'auto' | 'onednn' | 'none';
  /** Output directory: metrics.jsonl, checkpoints/, report.html, final model. */
  out: string;
  /** Checkpoint every N epochs (and at the end); keep the last K. */
  checkpointEvery: number;
  /** Also checkpoint within an epoch once this many minutes have passed since the last one (0 = off),
   * so that a killed run loses at most this much work on long epochs. */
  checkpointMinutes: number;
  /** Also checkpoint every N steps (0 = off). */
  checkpointSteps: number;
  keepCheckpoints: number;
  onNan: 'stop' | 'skip';
  /** Limit training to this many steps (0 = no limit); for smoke runs. */
  maxSteps: number;
  /** Evaluate on at most this many test images (0 = all). */
  evalLimit: number;
  /** Random translation of training images by up to this many pixels (zero fill), as
   * RandomCrop(size, padding=randomShift); 0 = off. Horizontal flips are always on. */
  randomShift: number;
  /**
   * Weights to start from (fine-tuning): a timm state dict (`.safetensors`) or a converted DeepMind
   * checkpoint (`.npz`), told apart by their bytes. Loaded strictly (names and shapes) into the freshly
   * built model; only the classifier may differ (another number of classes: it is re-initialised, said
   * in one line). Part of the recipe: kept in checkpoints, never reloaded by --resume (see pretrained.ts).
   */
  pretrained?: string;
  /** The first N epochs train only the classifier (head.fc); the rest of the network is frozen: no
   * update, no weight decay, its optimizer state untouched. 0 = off. */
  headOnlyEpochs: number;
  /** MixUp Beta(α, α) parameter; 0 = off (timm `mixup_alpha`). */
  mixup: number;
  /** CutMix Beta(α, α) parameter; 0 = off (timm `cutmix_alpha`). */
  cutmix: number;
  /** Probability that a batch is mixed at all (timm `prob`). */
  mixupProb: number;
  /** With both on: probability that a mixed batch uses CutMix rather than MixUp (timm `switch_prob`). */
  mixupSwitchProb: number;
}

const FASHION: TrainConfig = {
  // Full set, 2 cores: nfnet_tiny_mnist 0.903 (10 epochs, batch 64); nfnet_small_mnist (stage 1 at 7×7)
  // 0.917 (15 epochs); nfnet_base_mnist (stage 1 at 14×14) 0.9288 in 22 epochs (6,000 s), 0.9320 in
  // 30 epochs (8,139 s).
  // The main job (`pnpm train`, bundled 10k subset) runs this preset with --epochs 10.
  model: 'nfnet_base_mnist',
  modelOverrides: {},
  dataset: 'fashion-mnist',
  valSplit: 0,
  dataWorkers: 1,
  randAugmentLayers: 0,
  randAugmentMagnitude: 5,
  epochs: 30,
  batchSize: 128,
  accumulation: 1,
  lr: 0.2,
  warmupEpochs: 0.25,
  momentum: 0.9,
  nesterov: true,
  weightDecay: 5e-5,
  // Batch 64–128: the paper's λ = 0.01 (for batches of 1024–4096) clips ~30 % of units here and costs
  // 4 points of accuracy after 3 epochs; "λ should be smaller for larger batches" (P-NF §4.1).
  clipping: 0.04,
  labelSmoothing: 0.1,
  emaDecay: 0.999,
  seed: 0,
  backend: 'auto',
  workers: 0,
  accelerator: 'auto',
  out: 'runs/fashion-mnist',
  checkpointEvery: 1,
  checkpointMinutes: 10,
  checkpointSteps: 0,
  keepCheckpoints: 3,
  onNan: 'stop',
  maxSteps: 0,
  evalLimit: 0,
  // MixUp/CutMix off: a 10-epoch run of a tiny model underfits already; mixing pays off on long schedules.
  randomShift: 2,
  headOnlyEpochs: 0,
  mixup: 0,
  cutmix: 0,
  mixupProb: 1,
  mixupSwitchProb: 0.5,
};

/** Your own photos (--data DIR: train/ + val/ class folders, or one tree and --val-split 0.1): a small
 * NFNet at 64×64 (random resized crop, flip, RandAugment 2 × 5 in the data workers; evaluation resized
 * and centre-cropped as timm does). */
const IMAGES: TrainConfig = {
  ...FASHION,
  model: 'dm_nfnet_f0',
  modelOverrides: { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], stemChannels: 16, groupSize: 16, numFeatures: 256, dropRate: 0.2, trainSize: 64, testSize: 64 },
  dataset: 'folder',
  epochs: 20,
  batchSize: 32,
  lr: 0.05,
  warmupEpochs: 1,
  randomShift: 0,
  randAugmentLayers: 2,
  randAugmentMagnitude: 5,
  out: 'runs/images',
};

export const PRESETS: Readonly<Record<string, TrainConfig>> = {
  'fashion-mnist': FASHION,
  synthetic: { ...FASHION, dataset: 'synthetic', epochs: 1, out: 'runs/synthetic' },
  /** CIFAR-10 from its binary batches (--data <dir of data_batch_*.bin>); a small NFNet for 32×32 RGB. */
  cifar10: {
    ...FASHION,
    model: 'dm_nfnet_f0',
    modelOverrides: { depths: [1, 1, 2, 1], channels: [64, 128, 192, 256], stemChannels: 32, groupSize: 16, numFeatures: 512, dropRate: 0.2, trainSize: 32, testSize: 32 },
    dataset: 'cifar10',
    epochs: 30,
    batchSize: 128,
    lr: 0.2,
    out: 'runs/cifar10',
  },
  images: IMAGES,
  /**
   * Fine-tuning pretrained weights (--pretrained FILE) on your own photos: the 'images' data settings
   * (class folders, random resized crop, flip, RandAugment 2 × 5 in the data workers) with timm's
   * dm_nfnet_f0 at its own 192 (train) / 256 (test), the size its released weights were trained at.
   * Why each value (README "Fine-tuning"):
   * - lr 0.00125 at batch 32: 0.1 × the from-scratch rate scaled to the batch (DeepMind: 0.1 per 256
   *   images → 0.0125 at 32); scale it linearly with --batch-size.
   * - warmup 1 epoch of 10: short (the weights are not random), but it ramps the update up while the
   *   fresh classifier's first, large gradients pass through the body.
   * - AGC on (λ 0.04, the trainer's small-batch value), classifier weight excluded (NFNet paper, DM).
   * - weight decay 2e-5: timm train.py's default (`--weight-decay`), which timm fine-tuning uses.
   * - label smoothing 0.1, EMA 0.999 (with DeepMind's warmup, so short runs average few steps), no
   *   MixUp/CutMix: a short run on a small set.
   * - headOnlyEpochs 0: the warmup protects the body already; --head-only-epochs N for a linear probe
   *   first (tiny sets, or features you want to keep).
   */
  finetune: {
    ...IMAGES,
    model: 'dm_nfnet_f0',
    modelOverrides: {},
    epochs: 10,
    batchSize: 32,
    lr: 0.00125,
    warmupEpochs: 1,
    weightDecay: 2e-5,
    clipping: 0.04,
    headOnlyEpochs: 0,
    out: 'runs/finetune',
  },
  /** The reference recipe for F0 (bs 4096, lr 1.6, 360 epochs, AGC 0.01, wd 2e-5, EMA 0.99999). DeepMind
   * mixes every batch, half MixUp α 0.2, half CutMix with a U(0, 1) = Beta(1, 1) area (nfnet-facts.md
   * §6.2); in timm's batch mode that is MixUp 0.2 / CutMix 1.0, every batch, switching with p 0.5. */
  'imagenet-f0': {
    ...FASHION,
    clipping: 0.01,
    model: 'dm_nfnet_f0',
    // ImageNet as class folders (--data <dir with train/ and val/>), at F0's 192 (train) / 256 (test);
    // RandAugment 4 layers at magnitude 5 (DeepMind's F0). The synthetic preset is the smoke test.
    dataset: 'folder',
    randomShift: 0,
    randAugmentLayers: 4,
    randAugmentMagnitude: 5,
    epochs: 360,
    batchSize: 4096,
    lr: 1.6,
    warmupEpochs: 5,
    weightDecay: 2e-5,
    emaDecay: 0.99999,
    mixup: 0.2,
    cutmix: 1,
    out: 'runs/imagenet-f0',
  },
};

type Kind = 'string' | 'number' | 'boolean' | 'object';
const SCHEMA: Record<keyof TrainConfig, { kind: Kind; check?: (v: never) => string | undefined; choices?: readonly string[] }> = {
  model: { kind: 'string' },
  modelOverrides: { kind: 'object' },
  dataset: { kind: 'string', choices: ['fashion-mnist', 'cifar10', 'synthetic', 'folder'] },
  data: { kind: 'string' },
  valSplit: { kind: 'number', check: (v: number) => (v >= 0 && v < 1 ? undefined : 'must be in [0, 1) (0 = DIR has train/ and val/)') },
  dataWorkers: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 && v <= 64 ? undefined : 'must be an integer in [0, 64] (0 = the main thread)') },
  randAugmentLayers: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 && v <= 16 ? undefined : 'must be an integer in [0, 16] (0 = off)') },
  randAugmentMagnitude: { kind: 'number', check: (v: number) => (v >= 0 && v <= 30 ? undefined : 'must be in [0, 30] (the 0–10 scale; DeepMind uses 5–15)') },
  epochs: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be an integer >= 1') },
  batchSize: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be an integer >= 1') },
  accumulation: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be an integer >= 1') },
  lr: { kind: 'number', check: (v: number) => (v > 0 ? undefined : 'must be > 0') },
  warmupEpochs: { kind: 'number', check: (v: number) => (v >= 0 ? undefined : 'must be >= 0') },
  momentum: { kind: 'number', check: (v: number) => (v >= 0 && v < 1 ? undefined : 'must be in [0, 1)') },
  nesterov: { kind: 'boolean' },
  weightDecay: { kind: 'number', check: (v: number) => (v >= 0 ? undefined : 'must be >= 0') },
  clipping: { kind: 'number', check: (v: number) => (v >= 0 ? undefined : 'must be >= 0 (0 turns AGC off)') },
  labelSmoothing: { kind: 'number', check: (v: number) => (v >= 0 && v < 1 ? undefined : 'must be in [0, 1)') },
  emaDecay: { kind: 'number', check: (v: number) => (v >= 0 && v < 1 ? undefined : 'must be in [0, 1)') },
  seed: { kind: 'number', check: (v: number) => (Number.isInteger(v) ? undefined : 'must be an integer') },
  backend: { kind: 'string', choices: ['auto', 'tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] },
  workers: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be an integer >= 0 (0 = one per core)') },
  accelerator: { kind: 'string', choices: ['auto', 'onednn', 'none'] },
  out: { kind: 'string', check: (v: string) => (v.trim() === '' ? 'must name a folder, e.g. runs/my-run' : undefined) },
  checkpointEvery: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be an integer >= 1') },
  checkpointMinutes: { kind: 'number', check: (v: number) => (v >= 0 ? undefined : 'must be >= 0 (0 = off)') },
  checkpointSteps: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be an integer >= 0 (0 = off)') },
  keepCheckpoints: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 1 ? undefined : 'must be an integer >= 1') },
  onNan: { kind: 'string', choices: ['stop', 'skip'] },
  maxSteps: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be an integer >= 0') },
  evalLimit: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be an integer >= 0') },
  pretrained: { kind: 'string', check: (v: string) => (v.trim() === '' ? 'must name a weights file (.safetensors from timm, or a converted DeepMind .npz)' : undefined) },
  headOnlyEpochs: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be an integer >= 0 (0 = off)') },
  mixup: { kind: 'number', check: (v: number) => (v >= 0 ? undefined : 'must be >= 0 (0 turns MixUp off)') },
  cutmix: { kind: 'number', check: (v: number) => (v >= 0 ? undefined : 'must be >= 0 (0 turns CutMix off)') },
  randomShift: { kind: 'number', check: (v: number) => (Number.isInteger(v) && v >= 0 ? undefined : 'must be an integer >= 0 (0 = off)') },
  mixupProb: { kind: 'number', check: (v: number) => (v >= 0 && v <= 1 ? undefined : 'must be in [0, 1]') },
  mixupSwitchProb: { kind: 'number', check: (v: number) => (v >= 0 && v <= 1 ? undefined : 'must be in [0, 1]') },
};

/** Every config key (camelCase). */
export const CONFIG_KEYS: ReadonlySet<string> = new Set(Object.keys(SCHEMA));

const camelCase = (key: string) => key.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());

/** A bad config key, preset or file (code 'BAD_CONFIG'). */
export class ConfigError extends TrainerError {
  constructor(message: string) {
    super('BAD_CONFIG', message);
    this.name = 'ConfigError';
  }
}

/** Checks every key of a partial config; throws one line naming the first bad key. */
export function checkConfigKeys(partial: Record<string, unknown>, where: string): Partial<TrainConfig> {
  for (const [key, value] of Object.entries(partial)) {
    const rule = Object.hasOwn(SCHEMA, key) ? SCHEMA[key as keyof TrainConfig] : undefined;
    if (!rule) {
      const hint = Object.hasOwn(SCHEMA, camelCase(key)) ? ` (did you mean '${camelCase(key)}'? keys are camelCase)` : '';
      throw new ConfigError(`${where}: unknown key '${key}'${hint}; known keys: ${Object.keys(SCHEMA).join(', ')}.`);
    }
    const kind = value === null ? 'null' : Array.isArray(value) ? 'list' : typeof value;
    if (kind !== rule.kind) throw new ConfigError(`${where}: '${key}' must be ${rule.kind === 'object' ? 'a mapping' : `a ${rule.kind}`}, received ${JSON.stringify(value)}.`);
    if (kind === 'number' && !Number.isFinite(value)) throw new ConfigError(`${where}: '${key}' must be a finite number, received ${String(value)}.`);
    if (rule.choices && !rule.choices.includes(value as string)) {
      throw new ConfigError(`${where}: '${key}' must be one of ${rule.choices.join(', ')}, received ${JSON.stringify(value)}.`);
    }
    const why = rule.check?.(value as never);
    if (why) throw new ConfigError(`${where}: '${key}' ${why}, received ${JSON.stringify(value)}.`);
  }
  return partial as Partial<TrainConfig>;
}

/** Preset, then file, then flags; validated as a whole (cross-key rules too). */
export function resolveConfig(preset: string, ...layers: Array<[Record<string, unknown>, string]>): TrainConfig {
  const base = Object.hasOwn(PRESETS, preset) ? PRESETS[preset] : undefined;
  if (!base) throw new ConfigError(`unknown preset '${preset}'; presets: ${Object.keys(PRESETS).join(', ')}.`);
  let config: TrainConfig = { ...base };
  for (const [partial, where] of layers) config = { ...config, ...checkConfigKeys(partial, where) };
  if (config.dataset === 'folder' && !config.data) {
    throw new ConfigError(`config: dataset 'folder' needs --data <folder> (with train/ and val/ class folders, or one class-folder tree and --val-split 0.1).`);
  }
  if (config.batchSize % config.accumulation !== 0) {
    throw new ConfigError(`config: 'batchSize' ${config.batchSize} is not divisible by 'accumulation' ${config.accumulation}; choose a multiple.`);
  }
  return config;
}
