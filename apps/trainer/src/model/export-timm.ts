/**
 * `nf-train export RUN --format timm [--out DIR]`: a run's final model for PyTorch and timm. From the
 * run's newest checkpoint (or the checkpoint folder named): its EMA weights (the live ones when the
 * run had no EMA) as a timm state dict (`model.safetensors`, @nf/models saveTimmCheckpoint: timm's
 * names, PyTorch layouts), the recipe as timm train.py options (`args.yaml`, timm-args.ts),
 * `class_map.txt` (image-folder runs: the classifier's label order) and `README.txt` with the
 * command that continues in timm. Default DIR: `<run>/timm`.
 *
 * Weights only: timm's `--initial-checkpoint`. Its `--resume` wants a torch.save file (a pickle) with
 * timm's optimizer state_dict, epoch and EMA; nf-train writes no pickles and its momentum is laid
 * out for tf.train.momentum, so the optimizer state is not carried over, and the command says so.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { NORMALIZATION } from '@nf/data';
import type * as tf from '@tensorflow/tfjs';
import { saveTimmCheckpoint, type NfConfig } from '@nf/models';
import { findCheckpoint, readCheckpointState } from '../checkpoints/checkpoint.js';
import { TrainerError, quote } from '../errors.js';
import { datasetNormalization } from './model-metadata.js';
import { checkpointModel } from '../report/spp.js';
import { PRESETS, resolveConfig, type TrainConfig } from '../config/train-config.js';
import { renderYaml, timmModel, timmRecipe, TIMM_COMMIT, type RecipeContext } from './timm-args.js';

export interface TimmExport {
  outDir: string;
  /** Files written, relative to outDir. */
  files: string[];
  /** The checkpoint the weights came from, and which weights. */
  checkpoint: string;
  weights: 'ema' | 'model';
  timmName: string;
  /** The command that continues in timm (also in README.txt). */
  command: string;
}

/** The normalization the run's images had: recorded in its model/, else the dataset's (image folders: ImageNet's). */
async function runNormalization(runDir: string | undefined, config: TrainConfig): Promise<RecipeContext['normalization']> {
  const modelJson = runDir ? path.join(runDir, 'model', 'model.json') : undefined;
  if (modelJson && existsSync(modelJson)) {
    try {
      const meta = (JSON.parse(await readFile(modelJson, 'utf8')) as { userDefinedMetadata?: { nf?: { normalization?: { mean: number[]; std: number[] } } } }).userDefinedMetadata?.nf;
      if (meta?.normalization) return meta.normalization;
    } catch {
      // An unreadable model.json: fall back to the dataset's.
    }
  }
  return datasetNormalization(config.dataset) ?? (config.dataset === 'folder' ? NORMALIZATION.imagenet : undefined);
}

const shellQuote = (s: string) => (/^[\w./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Exports `target` (a run folder or one of its checkpoints) into `outDir` (default `<run>/timm`). */
export async function exportTimm(target: string, outDir?: string): Promise<TimmExport> {
  await findCheckpoint(target, 'nf-train export');
  const loaded = await checkpointModel(target);
  try {
    const folder = loaded.checkpoint!;
    const state = await readCheckpointState(folder);
    const preset = state.preset && Object.hasOwn(PRESETS, state.preset) ? state.preset : 'fashion-mnist';
    const config = resolveConfig(preset, [state.config as Record<string, unknown>, `checkpoint ${quote(path.join(folder, 'state.json'))}`]);
    const normalization = await runNormalization(loaded.runDir, config);
    return await writeTimmExport(loaded.model, config, loaded.modelConfig, {
      out: outDir ?? path.join(loaded.runDir ?? folder, 'timm'),
      source: loaded.runDir ?? folder,
      checkpoint: folder,
      step: state.step,
      epoch: state.epoch,
      index: state.index,
      weights: existsSync(path.join(folder, 'ema.safetensors')) ? 'ema' : 'model',
      classNames: state.classNames ?? [],
      ...(normalization ? { normalization } : {}),
    });
  } finally {
    loaded.model.dispose();
  }
}

/** Where a model to export came from, and where it goes. */
export interface ExportSource {
  out: string;
  /** The run (or checkpoint) folder, the checkpoint, its position, and which of its weights `model` holds. */
  source: string;
  checkpoint: string;
  step: number;
  epoch: number;
  /** Examples of the current epoch already consumed (0 at an epoch boundary). */
  index: number;
  weights: 'ema' | 'model';
  classNames: readonly string[];
  normalization?: RecipeContext['normalization'];
}

/** Writes model.safetensors, args.yaml, class_map.txt (image folders) and README.txt for `model` trained by `config`. */
export async function writeTimmExport(model: tf.LayersModel, config: TrainConfig, modelConfig: NfConfig, from: ExportSource): Promise<TimmExport> {
  const { out, source, checkpoint, weights, classNames } = from;
  const timm = timmModel(config.model, modelConfig);
  const classMap = config.dataset === 'folder' && classNames.length === modelConfig.numClasses && classNames.every((n) => !/[\r\n]/.test(n)) ? 'class_map.txt' : undefined;
  const context: RecipeContext = { source, step: from.step, epoch: from.epoch, ...(classMap ? { classMap } : {}), ...(from.normalization ? { normalization: from.normalization } : {}) };
  const yaml = renderYaml(timmRecipe(config, modelConfig, context));
  const bytes = saveTimmCheckpoint(model, {
    model: timm.name,
    num_classes: String(modelConfig.numClasses),
    ...(Object.keys(timm.kwargs).length ? { model_kwargs: JSON.stringify(timm.kwargs) } : {}),
    nf_train_checkpoint: checkpoint,
    nf_train_weights: weights,
  });
  await mkdir(out, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
    throw new TrainerError('OUT_DIR', `cannot create the export folder ${quote(out)} (${e.code ?? 'error'}); choose another --out.`);
  });
  const files = ['model.safetensors', 'args.yaml', ...(classMap ? [classMap] : []), 'README.txt'];
  // Continue the schedule only where the run stopped at an epoch boundary before its end.
  const resumeEpoch = from.index === 0 && from.epoch > 0 && from.epoch < config.epochs ? from.epoch : undefined;
  const command = `torchrun --nproc_per_node=1 /path/to/pytorch-image-models/train.py --config args.yaml --data-dir /path/to/data --initial-checkpoint model.safetensors${resumeEpoch ? ` --start-epoch ${resumeEpoch}` : ''}`;
  const stopped = from.epoch < config.epochs ? `stopped at step ${from.step}, epoch ${from.epoch} of ${config.epochs}` : `finished: step ${from.step}, ${config.epochs} epochs`;
  const readme = [
    `timm export of the nf-train run ${source} (${stopped}), from checkpoint ${checkpoint}.`,
    '',
    `model.safetensors  the run's ${weights === 'ema' ? 'final EMA weights (what nf-train evaluates and saves)' : 'final weights (the run kept no EMA)'} as a timm state dict of ${timm.name}: timm's tensor names and PyTorch layouts.`,
    `args.yaml          the recipe as timm train.py options (argparse dests, timm ${TIMM_COMMIT.slice(0, 10)}); its comments say where timm differs or has no equivalent.`,
    ...(classMap ? [`class_map.txt      the class names in the order of the classifier's outputs (train.py's class_map).`] : []),
    '',
    'Continue in PyTorch with timm (pip install timm safetensors), from this folder, with your data in place of /path/to/data:',
    '',
    `  ${command}`,
    '',
    '--initial-checkpoint, not --resume: the weights only. timm starts with zero momentum, its EMA from these weights and',
    `${resumeEpoch ? `its schedule at epoch ${resumeEpoch} (--start-epoch: where the run stopped)` : 'its schedule at epoch 0, warmup included (a new run of the recipe from these weights; add --start-epoch E to skip into it)'}. nf-train's optimizer`,
    "state is not carried over: its momentum is laid out for tf.train.momentum in nf-train's checkpoint, and timm's --resume expects",
    "a torch.save file (a pickle) holding timm's own optimizer state_dict, epoch and EMA, which nf-train does not write.",
    'On N GPUs: --nproc_per_node=N with batch_size in args.yaml divided by N (the lr there is for the global batch).',
    '',
    'Back to nf-train: a timm state dict (e.g. this file after training in timm, saved with safetensors.torch.save_file) loads with',
    "@nf/models' loadTimmCheckpoint(createModel(...), 'model.safetensors'), or as the starting point of a run:",
    `  nf-train train --pretrained model.safetensors --model ${config.model} ...  (the same model and overrides)`,
    '',
  ].join('\n');
  await writeFile(path.join(out, 'model.safetensors'), bytes);
  await writeFile(path.join(out, 'args.yaml'), yaml);
  if (classMap) await writeFile(path.join(out, classMap), `${classNames.join('\n')}\n`);
  await writeFile(path.join(out, 'README.txt'), readme);
  return { outDir: out, files, checkpoint, weights, timmName: timm.name, command: `cd ${shellQuote(out)} && ${command}` };
}
