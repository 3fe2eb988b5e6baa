/**
 * An nf-train recipe as timm's train.py configuration: the `args.yaml` that `train.py --config FILE`
 * reads (`parser.set_defaults(**yaml.safe_load(f))`), so its keys are train.py's argparse dests
 * (`clip_grad`, `model_ema_decay`, `warmup_epochs`, …), as the args.yaml timm writes itself
 * (`yaml.safe_dump(args.__dict__)`). Reference: pytorch-image-models train.py, timm/models/nfnet.py,
 * timm/scheduler/cosine_lr.py, timm/utils/agc.py at commit aa4b5850c1543fa488abf260f18390eda46cf85d
 * (the commit of fixtures/timm). Where the recipe has no timm equivalent, or timm's differs, a YAML
 * comment says so; nothing is dropped silently.
 *
 * Numbers are written as PyYAML (YAML 1.1) reads them: a float always has a '.', and an exponent a
 * sign (`0.00002`, `1.0e-7`; PyYAML reads `2e-5` as a string), so every value arrives with its type.
 */
import { isDeepStrictEqual } from 'node:util';
import { modelConfigs, type NfConfig } from '@nf/models';
import type { TrainConfig } from '../config/train-config.js';

/** The timm commit the option names and behaviours were read from. */
export const TIMM_COMMIT = 'aa4b5850c1543fa488abf260f18390eda46cf85d';

/** Our table's models that timm registers under the same name (timm/models/nfnet.py). */
export const TIMM_MODELS = [
  ...[0, 1, 2, 3, 4, 5, 6].map((i) => `dm_nfnet_f${i}`),
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `nfnet_f${i}`),
  'nf_resnet26',
  'nf_resnet50',
  'nf_resnet101',
  'nf_regnet_b0',
  'nf_regnet_b1',
] as const;

/** timm's activations with an NF gamma (nfnet.py `_nonlin_gamma`). */
const TIMM_ACTIVATIONS = new Set(['identity', 'celu', 'elu', 'gelu', 'leaky_relu', 'log_sigmoid', 'log_softmax', 'relu', 'relu6', 'selu', 'sigmoid', 'silu', 'softsign', 'softplus', 'tanh']);

/** NfConfig fields that are train.py options or data settings rather than architecture. */
const NOT_ARCHITECTURE = new Set<keyof NfConfig>(['numClasses', 'inChannels', 'dropRate', 'dropPathRate', 'trainSize', 'testSize']);

export type YamlValue = string | number | boolean | null | readonly YamlValue[] | { readonly [key: string]: YamlValue };

/** A line of args.yaml: `key: value  # comment`, or a comment alone (`key` absent; '' = a blank line). */
export interface YamlEntry {
  key?: string;
  value?: YamlValue;
  /** Write numbers as floats (`1.0`, `2.0e-05`): the option is a float in train.py. */
  float?: boolean;
  comment?: string;
}

/** How timm builds the run's network: by name, by name plus `model_kwargs` on its NfCfg, or not at all. */
export interface TimmModel {
  name: string;
  /** NfCfg overlay (timm field names) for train.py's `model_kwargs`; empty when the name is enough. */
  kwargs: Record<string, YamlValue>;
  /** Fields timm's NfCfg cannot express (our names and values). */
  unsupported: string[];
  /** The run's model name is not one of timm's (our own table entry). */
  renamed: boolean;
}

type Mapper = (value: unknown, base: NfConfig) => Record<string, YamlValue> | undefined;

/** Our NfConfig fields → timm NfCfg fields (timm/models/nfnet.py `NfCfg`); undefined = not expressible. */
const TO_NFCFG: Partial<Record<keyof NfConfig, Mapper>> = {
  depths: (v) => ({ depths: [...(v as number[])] }),
  channels: (v) => ({ channels: [...(v as number[])] }),
  alpha: (v) => ({ alpha: v as number }),
  stemType: (v) => ({ stem_type: v as string }),
  stemChannels: (v) => (v === undefined ? undefined : { stem_chs: v as number }),
  // create_model drops None-valued kwargs, so "no groups" cannot be written over a grouped base.
  groupSize: (v) => (v === undefined ? undefined : { group_size: v as number }),
  bottleRatio: (v) => ({ bottle_ratio: v as number }),
  widthFactor: (v) => ({ width_factor: v as number }),
  channelDivisor: (v) => ({ ch_div: v as number }),
  seRatio: (v, base) => (v === undefined ? undefined : { ...(base.seRatio === undefined ? { attn_layer: 'se' } : {}), attn_kwargs: { rd_ratio: v as number } }),
  attnGain: (v) => ({ attn_gain: v as number }),
  reg: (v) => ({ reg: v as boolean }),
  extraConv: (v) => ({ extra_conv: v as boolean }),
  numFeatures: (v) => ({ num_features: v as number }),
  activation: (v) => (TIMM_ACTIVATIONS.has(v as string) ? { act_layer: v as string } : undefined),
  gammaInAct: (v) => ({ gamma_in_act: v as boolean }),
  padding: (v) => ({ same_padding: v === 'same' }),
  skipInit: (v) => ({ skipinit: v as boolean }),
  zeroInitFc: (v) => ({ zero_init_fc: v as boolean }),
};

/** Architecture fields in which `config` differs from `base`. */
function architectureDiff(config: NfConfig, base: NfConfig): Array<keyof NfConfig> {
  const keys = new Set([...Object.keys(base), ...Object.keys(config)] as Array<keyof NfConfig>);
  return [...keys].filter((k) => !NOT_ARCHITECTURE.has(k) && !isDeepStrictEqual(config[k], base[k]));
}

/** The overlay of `config` on timm's `base`, and what cannot be expressed. */
function overlay(config: NfConfig, base: NfConfig): { kwargs: Record<string, YamlValue>; unsupported: string[] } {
  const kwargs: Record<string, YamlValue> = {};
  const unsupported: string[] = [];
  for (const key of architectureDiff(config, base)) {
    // timm's weight standardization is ours with the 'timm' convention; its eps is std_conv_eps.
    const mapped = key === 'wsEps' && config.wsConvention === 'timm' ? { std_conv_eps: config.wsEps } : TO_NFCFG[key]?.(config[key], base);
    if (mapped) Object.assign(kwargs, mapped);
    else unsupported.push(`${key} ${JSON.stringify(config[key]) ?? 'unset'}`);
  }
  return { kwargs, unsupported };
}

/**
 * timm's name for the run's network: its own when timm has it (plus `model_kwargs` for an overlay),
 * else the timm model it differs least from.
 */
export function timmModel(modelName: string, config: NfConfig): TimmModel {
  const table = modelConfigs as Record<string, NfConfig>;
  const own = (TIMM_MODELS as readonly string[]).includes(modelName);
  const candidates = own ? [modelName] : [...TIMM_MODELS];
  let best: TimmModel | undefined;
  for (const name of candidates) {
    const { kwargs, unsupported } = overlay(config, table[name]!);
    const score = unsupported.length * 1000 + Object.keys(kwargs).length;
    const bestScore = best ? best.unsupported.length * 1000 + Object.keys(best.kwargs).length : Number.POSITIVE_INFINITY;
    if (score < bestScore) best = { name, kwargs, unsupported, renamed: !own };
  }
  return best!;
}

/** A float as PyYAML reads one: '1.0', '0.00125', '1.0e-7'. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (!Number.isFinite(x)) return x > 0 ? '.inf' : '-.inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const s = String(x);
  if (!s.includes('e')) return s;
  const [mantissa, exponent] = s.split('e') as [string, string];
  const sign = exponent.startsWith('-') || exponent.startsWith('+') ? '' : '+';
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}e${sign}${exponent}`;
}

/** A value in YAML flow style (JSON-compatible strings; numbers as PyYAML types them). */
export function yamlValue(value: YamlValue, float = false): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return float || !Number.isInteger(value) ? pyFloat(value) : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => yamlValue(v, float)).join(', ')}]`;
  return `{${Object.entries(value as Record<string, YamlValue>).map(([k, v]) => `${k}: ${yamlValue(v, float)}`).join(', ')}}`;
}

/** args.yaml's text. Comments are kept to one line each. */
export function renderYaml(entries: readonly YamlEntry[]): string {
  const comment = (c: string) => c.replace(/[\r\n]+/g, ' ');
  return `${entries
    .map((e) => {
      if (e.key === undefined) return e.comment ? `# ${comment(e.comment)}` : '';
      const line = `${e.key}: ${yamlValue(e.value ?? null, e.float)}`;
      return e.comment ? `${line}  # ${comment(e.comment)}` : line;
    })
    .join('\n')}\n`;
}

/** What the export knows besides the recipe. */
export interface RecipeContext {
  /** The run (or checkpoint) folder it came from, and the checkpoint's step and epoch. */
  source: string;
  step: number;
  epoch: number;
  /** Class names in label order: written to class_map.txt when the dataset is an image folder. */
  classMap?: string;
  /** Input normalization of the training images (x/255 − mean)/std, when known. */
  normalization?: { mean: readonly number[]; std: readonly number[] };
}

/** The entries of args.yaml for `config` (the run's recipe) and `modelConfig` (its resolved network). */
export function timmRecipe(config: TrainConfig, modelConfig: NfConfig, context: RecipeContext): YamlEntry[] {
  const model = timmModel(config.model, modelConfig);
  const e: YamlEntry[] = [];
  const note = (comment: string) => e.push({ comment });
  const put = (key: string, value: YamlValue, comment?: string, float = false) => e.push({ key, value, ...(float ? { float } : {}), ...(comment ? { comment } : {}) });
  const putF = (key: string, value: YamlValue, comment?: string) => put(key, value, comment, true);
  const timmBatch = config.batchSize / config.accumulation;

  note(`timm train.py configuration for the recipe of nf-train run ${JSON.stringify(context.source)} (step ${context.step}, epoch ${context.epoch} of ${config.epochs}).`);
  note(`Written by nf-train export --format timm. Keys are train.py's argparse dests (timm ${TIMM_COMMIT.slice(0, 10)}); see README.txt for the command.`);
  note('');
  note('Model');
  if (model.unsupported.length > 0) {
    note(`timm cannot build this network: ${model.unsupported.join(', ')} ha${model.unsupported.length > 1 ? 've' : 's'} no timm NfCfg field. model.safetensors still uses timm's tensor names;`);
    note(`the nearest timm model is ${model.name}${Object.keys(model.kwargs).length ? ' with the model_kwargs below' : ''}, which differs in those fields (and so in some shapes).`);
  } else if (model.renamed || Object.keys(model.kwargs).length > 0) {
    note(
      `${model.renamed ? `nf-train's ${config.model} is not a timm model name: it is` : `a custom overlay: timm cannot build it by the name ${model.name} alone, but builds it as`} ${model.name} with model_kwargs overlaid on its NfCfg (NormFreeNet: cfg = replace(cfg, **kwargs)).`,
    );
  }
  put('model', model.name);
  if (Object.keys(model.kwargs).length > 0) put('model_kwargs', model.kwargs, 'timm NfCfg field names');
  put('num_classes', modelConfig.numClasses);
  put('in_chans', modelConfig.inChannels);
  put('img_size', modelConfig.trainSize);
  put('input_size', [modelConfig.inChannels, modelConfig.trainSize, modelConfig.trainSize], modelConfig.testSize !== modelConfig.trainSize ? `nf-train evaluated at ${modelConfig.testSize}×${modelConfig.testSize}; train.py validates at input_size (validate.py --img-size ${modelConfig.testSize} for the test size)` : undefined);
  if (context.normalization) {
    putF('mean', [...context.normalization.mean]);
    putF('std', [...context.normalization.std]);
  }
  putF('drop', modelConfig.dropRate, 'dropout before the classifier');
  if (modelConfig.dropPathRate > 0) putF('drop_path', modelConfig.dropPathRate, "nf-train's stochastic depth is DeepMind's (rate·i/n, no 1/keep rescaling); timm's DropPath rescales");
  else put('drop_path', null, 'stochastic depth off');
  note('');
  note('Data');
  if (config.dataset === 'folder') {
    put('data_dir', '/path/to/data', `placeholder: a folder with train/ and val/ (or validation/) class folders; nf-train read ${JSON.stringify(config.data ?? '')}`);
    put('dataset', '', "timm's ImageFolder");
    put('train_split', 'train');
    put('val_split', 'validation', `timm also finds val/ (its split synonyms)${config.valSplit > 0 ? `; nf-train held out ${config.valSplit} of one class-folder tree (seeded, stratified), timm needs the split as folders` : ''}`);
    if (context.classMap) put('class_map', context.classMap, "nf-train's label order (the classifier's rows); a path relative to where train.py runs, else to data_dir");
  } else if (config.dataset === 'fashion-mnist' || config.dataset === 'cifar10') {
    put('data_dir', '/path/to/data', 'placeholder: where torchvision keeps (or downloads) the dataset');
    put('dataset', config.dataset === 'cifar10' ? 'torch/cifar10' : 'torch/fashion_mnist', "torchvision's; nf-train read the dataset's own files");
    put('dataset_download', true);
    put('train_split', 'train');
    put('val_split', 'test');
  } else {
    put('data_dir', '/path/to/data', `placeholder: nf-train's '${config.dataset}' dataset has no timm equivalent`);
  }
  put('batch_size', timmBatch, config.accumulation > 1 ? `nf-train's batch ${config.batchSize} in ${config.accumulation} micro-batches` : 'per process: with --nproc_per_node=N, divide by N to keep the global batch');
  if (config.accumulation > 1) put('grad_accum_steps', config.accumulation);
  put('seed', config.seed, 'timm seeds its own generators: the same seed does not give the same draws');
  note('');
  note('Optimizer: SGD with Nesterov momentum, AGC, coupled weight decay');
  put('opt', config.nesterov ? 'sgd' : 'momentum', config.nesterov ? "timm's 'sgd' is SGD with nesterov=True" : "timm's 'momentum' is SGD without Nesterov");
  putF('momentum', config.momentum);
  putF('lr', config.lr, `the peak rate for the global batch of ${config.batchSize}; used as given (lr_base is ignored when lr is set)`);
  putF(
    'weight_decay',
    config.weightDecay,
    "timm decays every parameter but biases and 1-D ones, so also its 4-D conv gains [out,1,1,1]; nf-train (DeepMind) decays no gain, bias or skip gain",
  );
  if (config.clipping > 0) {
    putF('clip_grad', config.clipping, 'AGC λ (eps 1e-3 in both)');
    put('clip_mode', 'agc', "timm leaves the head's weight and bias out of AGC (its last 2 parameters); nf-train (DeepMind) only the weight");
  } else put('clip_grad', null, 'AGC off');
  note('');
  note('Schedule: linear warmup from 0, then cosine to 0, per step');
  put('sched', 'cosine');
  put('sched_on_updates', true, 'per step, as nf-train');
  put(
    'warmup_epochs',
    config.warmupEpochs,
    `${Number.isInteger(config.warmupEpochs) ? '' : 'a fraction: declared int in train.py, but a config value is used as given (× steps per epoch with sched_on_updates); '}after the warmup timm's cosine runs over all epochs (cos(π·t/T)), nf-train's over the steps after it (cos(π·(t−w)/(T−w)))`,
  );
  putF('warmup_lr', 0, 'nf-train warms up from 0');
  putF('min_lr', 0);
  put('warmup_prefix', false);
  put('epochs', config.epochs, config.maxSteps > 0 ? `nf-train stopped at --max-steps ${config.maxSteps}, inside this schedule` : undefined);
  put('cooldown_epochs', 0);
  note('');
  note('Regularization and augmentation');
  putF('smoothing', config.labelSmoothing, 'label smoothing');
  put('model_ema', config.emaDecay > 0, config.emaDecay > 0 ? 'nf-train evaluates and saves the EMA weights (model.safetensors holds them)' : undefined);
  if (config.emaDecay > 0) {
    putF('model_ema_decay', config.emaDecay);
    put('model_ema_warmup', true, "nf-train's EMA warmup is DeepMind's decay min(d, (1+t)/(10+t)); timm's is min(d, 1 − (1+t)^(−2/3))");
  }
  putF('mixup', config.mixup, 'MixUp Beta(α, α); 0 = off');
  putF('cutmix', config.cutmix, 'CutMix Beta(α, α); 0 = off');
  putF('mixup_prob', config.mixupProb);
  putF('mixup_switch_prob', config.mixupSwitchProb);
  put('mixup_mode', 'batch', 'as nf-train: one λ and one method per batch');
  putF('hflip', 0.5);
  if (config.dataset === 'folder') {
    putF('scale', [0.08, 1], 'random resized crop: area and aspect ratio as nf-train (torchvision RandomResizedCrop)');
    putF('ratio', [3 / 4, 4 / 3]);
    if (config.randAugmentLayers > 0) {
      put('aa', `rand-m${config.randAugmentMagnitude}-n${config.randAugmentLayers}`, `RandAugment, ${config.randAugmentLayers} ops at magnitude ${config.randAugmentMagnitude}; timm's op list and magnitude ranges are its own (auto_augment.py), nf-train's follow DeepMind's / PIL's — close, not identical`);
    } else put('aa', null, 'RandAugment off');
    putF('color_jitter', 0, 'nf-train applies no colour jitter (timm turns it off with aa anyway)');
  } else {
    putF('scale', [1, 1], `nf-train crops nothing: it flips${config.randomShift > 0 ? ` and shifts by up to ${config.randomShift} px (RandomCrop with zero padding), which timm has no option for` : ''}; scale and ratio 1 make timm's random resized crop a plain resize`);
    putF('ratio', [1, 1]);
    put('aa', null);
    putF('color_jitter', 0);
  }
  putF('reprob', 0, 'no random erasing');
  put('checkpoint_hist', config.keepCheckpoints);
  note('');
  const without: string[] = [];
  if (config.pretrained) without.push(`pretrained ${JSON.stringify(config.pretrained)} (the run's starting weights; model.safetensors now holds its final ones)`);
  if (config.headOnlyEpochs > 0) without.push(`headOnlyEpochs ${config.headOnlyEpochs} (the first epochs trained head.fc alone; timm trains every parameter from the start)`);
  if (config.dataset !== 'folder' && config.randomShift > 0) without.push(`randomShift ${config.randomShift}`);
  if (config.dataset === 'folder' && config.valSplit > 0) without.push(`valSplit ${config.valSplit}`);
  without.push(`onNan '${config.onNan}'`, `evalLimit ${config.evalLimit}`);
  note(`No timm equivalent (nf-train keys): ${without.join('; ')}.`);
  return e;
}
