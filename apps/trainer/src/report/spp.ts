/**
 * Signal-propagation plots (SPPs, nfnet-facts.md §7) for the trainer: @nf/signal-prop's analysis of
 * our NFNets on a unit-Gaussian probe batch at the model's train size, in training mode (as the NF
 * papers' SPPs), with the stochastic-depth masks drawn from a seeded generator so that a report is
 * reproducible. `nf-train spp` runs it on a model from the table or on a checkpoint's weights;
 * train.ts runs it at the end of a run for report.html (the model at initialization and the final
 * EMA weights).
 */
import * as tf from '@tensorflow/tfjs';
import { configOf, createModel, type NfConfig } from '@nf/models';
import { analyzeSignalPropagation, formatTable, renderSvg, renderTerminalPlot, toJson, type ResidualOptions, type SignalReport } from '@nf/signal-prop';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TrainConfig } from '../config/train-config.js';
import { findCheckpoint, latestCheckpoint, readCheckpointState, readCheckpointWeights, type CheckpointWeights } from '../checkpoints/checkpoint.js';
import { TrainerError, quote } from '../errors.js';
import { namedWeights } from '../step/train-step.js';
import { DATASET_GEOMETRY } from '../data/dataset.js';
import { withSeed, withSeedAsync } from '../data/seeded-random.js';
import type { ReportSpp } from './report.js';

/**
 * @deprecated Nothing to pass any more: our blocks end in an `NfResidual` layer (branch·skip_gain·α +
 * shortcut), which declares itself a residual merge with input 0 as the branch (`static
 * residualMerge`), so @nf/signal-prop finds it in any NFNet, built or loaded, by itself (and measures
 * the branch before skip_gain and α, as DeepMind does); the BN/GN baselines too. Kept for the
 * trainer's index.
 */
export const NF_RESIDUAL: ResidualOptions = {};

export interface SppOptions {
  /** Probe images (default 8, as timm's `extract_spp_stats` and @nf/signal-prop). */
  batchSize?: number;
  /** Seeds the probe and the stochastic-depth masks. */
  seed?: number;
  label?: string;
}

/** The SPP statistics of `model` on N(0, 1) images of `size`×`size`. Leaves no tensors behind. */
export async function analyzeNfModel(model: tf.LayersModel, size: number, options: SppOptions = {}): Promise<SignalReport> {
  const seed = options.seed ?? 0;
  return withSeedAsync(seed, () =>
    analyzeSignalPropagation(model, { batchSize: options.batchSize ?? 8, seed, size, ...(options.label ? { label: options.label } : {}) }),
  );
}

/** A model to analyze: built (and for a checkpoint, loaded), with its configuration and a label. */
export interface SppModel {
  model: tf.LayersModel;
  modelConfig: NfConfig;
  label: string;
  /** The checkpoint folder the weights came from, and the run it belongs to. */
  checkpoint?: string;
  runDir?: string;
}

/** A checkpoint folder, or the latest one of a run directory. */
export async function resolveCheckpointFolder(dir: string): Promise<{ folder: string; runDir?: string }> {
  const found = await findCheckpoint(dir);
  if (found.folder) return { folder: found.folder, ...(found.runDir ? { runDir: found.runDir } : {}) };
  const folder = await latestCheckpoint(path.join(dir, 'checkpoints'));
  if (!folder) throw new TrainerError('BAD_CHECKPOINT', `run directory ${quote(dir)} has no completed checkpoint in ${quote(path.join(dir, 'checkpoints'))}.`);
  return { folder, runDir: dir };
}

/** The model of `config` (preset/--model and modelOverrides) with fresh weights, seeded by config.seed. */
export function tableModel(config: TrainConfig): SppModel {
  const modelConfig = configOf(config.model as never, config.modelOverrides);
  const model = withSeed(config.seed, () => createModel(modelConfig));
  return { model, modelConfig, label: `${config.model} (initialization)` };
}

/** The model of a checkpoint, rebuilt from its state.json and loaded with its EMA (else live) weights. */
export async function checkpointModel(dir: string, expectModel?: string, prefer: CheckpointWeights = 'ema'): Promise<SppModel> {
  const { folder, runDir } = await resolveCheckpointFolder(dir);
  const state = (await readCheckpointState(folder)) as { step?: number; config?: Partial<TrainConfig>; modelConfig?: NfConfig };
  const trained = state.config ?? {};
  if (typeof trained.model !== 'string') throw new Error(`checkpoint ${folder}: state.json names no model.`);
  if (expectModel !== undefined && expectModel !== trained.model) {
    throw new Error(`checkpoint ${folder} holds a ${trained.model}, not a ${expectModel}; drop --model or pass --model ${trained.model}.`);
  }
  const geometry = DATASET_GEOMETRY[trained.dataset ?? 'fashion-mnist'] ?? DATASET_GEOMETRY['fashion-mnist'];
  const modelConfig =
    state.modelConfig ?? configOf(trained.model as never, { numClasses: geometry.numClasses, inChannels: geometry.channels, ...(trained.modelOverrides ?? {}) });
  const model = createModel(modelConfig);
  try {
    const { loaded } = await readCheckpointWeights(folder, namedWeights(model), prefer);
    const label = `${trained.model} step ${state.step ?? '?'}${loaded === 'ema' ? ' (EMA weights)' : ''}`;
    return { model, modelConfig, label, checkpoint: folder, ...(runDir ? { runDir } : {}) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

export interface SppRun {
  report: SignalReport;
  /** Table and terminal plot, for the console. */
  text: string;
  svgFile: string;
  jsonFile: string;
}

/** `nf-train spp`: analyzes, writes `spp.svg` and `spp.json` under `outDir`, returns the text to print. */
export async function runSpp(target: SppModel, outDir: string, options: SppOptions = {}): Promise<SppRun> {
  const size = target.modelConfig.trainSize;
  const report = await analyzeNfModel(target.model, size, { ...options, label: options.label ?? target.label });
  await mkdir(outDir, { recursive: true });
  const svgFile = path.join(outDir, 'spp.svg');
  const jsonFile = path.join(outDir, 'spp.json');
  await writeFile(svgFile, renderSvg([report], { title: `Signal propagation: ${report.label}, N(0, 1) probe ${options.batchSize ?? 8}×${size}×${size}` }));
  await writeFile(jsonFile, toJson([report]));
  const text = `${formatTable(report)}\n\n${renderTerminalPlot([report], { stat: 'avgVar' })}\n\n${renderTerminalPlot([report], { stat: 'resAvgVar' })}`;
  return { report, text, svgFile, jsonFile };
}

/** The SPP section of report.html: the run's model at initialization (rebuilt from the run's seed)
 * overlaid with `model`'s current weights. A failure becomes the caption; it never fails the run. */
export async function reportSpp(model: tf.LayersModel, modelConfig: NfConfig, seed: number, label: string, log: (line: string) => void): Promise<ReportSpp> {
  const size = modelConfig.trainSize;
  const batchSize = 8;
  const caption = `Per residual block (x: depth; dotted: stage transitions): average channel squared mean, average channel variance, and the residual branch's variance before its skip gain and α, on ${batchSize} N(0, 1) images of ${size}×${size} in training mode (Brock et al. 2021, §4).${
    modelConfig.skipInit ? " SkipInit: the skip gains start at 0, so at initialization each block's output equals its input (flat variance) until training moves the gains; the branch variance is measured before the gain." : ''
  }`;
  try {
    const init = withSeed(seed, () => createModel(modelConfig));
    try {
      const reports = [await analyzeNfModel(init, size, { batchSize, seed, label: 'initialization' }), await analyzeNfModel(model, size, { batchSize, seed, label })];
      return { svg: renderSvg(reports, { title: `Signal propagation: initialization vs ${label}` }), caption };
    } finally {
      init.dispose();
    }
  } catch (e) {
    log(`note: no signal-propagation plot in the report: ${(e as Error).message}`);
    return { caption: `Signal-propagation plot unavailable: ${(e as Error).message}` };
  }
}
