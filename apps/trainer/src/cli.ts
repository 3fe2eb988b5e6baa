#!/usr/bin/env node
/**
 * nf-train — train | eval | spp | export | info | predict. Configuration: a preset (default fashion-mnist),
 * then a YAML or JSON file (--config), then flags; every problem is one line naming the key.
 */
import './relaxed-simd.js';
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { countMacs, countParams, configOf, loadModel } from '@nf/models/node';
import { relaxedSimdSupported, simdFlavour } from '@nf/wasm-kernels';
import { COMMANDS, parseArgs, usageOf, type Command, type ParsedArgs } from './cli/cli-args.js';
import { resolveConfig, PRESETS, type TrainConfig } from './config/train-config.js';
import { resumeTarget, resumedConfig } from './checkpoints/resume.js';
import { TrainerError, oneLine, quote } from './errors.js';
import { readConfigFile } from './config/config-file.js';
import { loadBackend } from './step/load-backend.js';
import { train } from './train.js';
import { loadTrainingData } from './data/dataset.js';
import { evaluateAsync } from './model/evaluate.js';
import { exportModel } from './model/export-model.js';
import { exportTimm } from './model/export-timm.js';
import { checkpointModel, runSpp, tableModel } from './report/spp.js';
import { loadInferenceModel } from './model/inference-model.js';
import { evalFolderCommand } from './cli/eval-command.js';
import { predictCommand } from './cli/predict.js';

/** The package version, set by the build (tsup `define`). */
declare const __NF_TRAIN_VERSION__: string | undefined;

const KEYS_HELP = `Keys (flags in kebab-case, config files in camelCase):
  model, epochs, batch-size, accumulation, lr, warmup-epochs, momentum, nesterov (true|false), weight-decay, clipping,
  label-smoothing, ema-decay, seed, backend (auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu),
  accelerator (auto|onednn|none: @nf/onednn's native convolutions on wasm),
  workers (data-parallel threads on cpu/wasm, 0 = one per core, or 1 with the accelerator on), out, data, dataset (fashion-mnist|cifar10|synthetic|folder),
  val-split (folders: share of each class held out, 0 = DIR has train/ and val/), data-workers (folders: decoding threads, default 1),
  rand-augment-layers (folders, 0 = off), rand-augment-magnitude (0–10 scale),
  checkpoint-every (epochs), checkpoint-minutes (within an epoch, default 10, 0 = off), checkpoint-steps (0 = off),
  keep-checkpoints, on-nan (stop|skip), max-steps, eval-limit,
  random-shift (pixels, 0 = off), mixup (Beta α, 0 = off), cutmix (Beta α, 0 = off), mixup-prob (default 1), mixup-switch-prob (CutMix share when both on, default 0.5)
  pretrained (timm .safetensors or DeepMind .npz to fine-tune from), head-only-epochs (epochs training only the classifier, 0 = off)
  modelOverrides only in a config file.
Common options: --preset ${Object.keys(PRESETS).join('|')}  --config file.yaml|file.yml|file.json  -h, --help`;

const HELP: Readonly<Record<Command | 'help', string>> = {
  help: `nf-train <command> [options]   (nf-train <command> --help for one command's options)
  train    train a model (default preset: fashion-mnist on the bundled subset)
  eval     evaluate a saved model on the preset's test set, or on an image folder (--data DIR)
  spp      signal-propagation plot of a fresh model or a checkpoint
  export   fold weight standardization into plain convolutions
  info     backend, device and model summary (parameters, MACs)
  predict  classify image files with a saved model (top-k classes and probabilities)
Options: -h, --help (this text), --version
${KEYS_HELP}`,
  train: `${usageOf('train')}
Trains the preset (default fashion-mnist), then the --config file, then the flags, into --out
(metrics.jsonl, checkpoints/, report.html, model/). One writer per --out (a lock file holds the pid).
  --resume [DIR]   continue a run: from the newest intact checkpoint in --out, or from DIR (a run
                   folder or one of its checkpoints/step-* folders). The run keeps its configuration;
                   only --epochs, --max-steps, --eval-limit, --checkpoint-every, --checkpoint-minutes,
                   --checkpoint-steps, --keep-checkpoints, --on-nan, --backend, --workers, --data and --out may change.
  --overwrite      start over in a folder that already holds a run (its checkpoints, metrics, report and
                   model are removed); without it such a folder is refused.
${KEYS_HELP}`,
  eval: `${usageOf('eval')}
Evaluates a saved model (default: <out>/model of the preset) on the preset's test set: loss, top-1, top-5.
  --data DIR    instead, a folder of class folders (DIR/val/ or DIR/validation/ when DIR has train/):
                the model folder (or a run folder, then its model/) at its recorded test size, resized
                keeping the aspect ratio and centre-cropped (timm), normalized as recorded; folders are
                matched to the model's class names by name. Prints top-1, top-5, loss, per-class
                accuracy and the confusion matrix; unreadable images are reported and left out.
                (With --preset fashion-mnist|cifar10|synthetic, or --val-split, --data is that
                dataset's folder and the preset's test set is evaluated, as without --data.)
  --limit N     evaluate a seeded sample of N images
  --json        print one JSON object instead of text
${KEYS_HELP}`,
  spp: `${usageOf('spp')}
  --model NAME        a fresh model of the table (default: the preset's)
  --checkpoint DIR    a run folder or checkpoint folder: its EMA weights when it has them
  --batch N           N(0,1) images at the model's train size (default 8)
  --out DIR           where spp.svg and spp.json go (default <run dir>/spp, or runs/spp/<model>)
Prints a table and terminal plots.
${KEYS_HELP}`,
  export: `${usageOf('export')}
       nf-train export <run dir> --format timm [--out <dir>]
--format tfjs (default): folds weight standardization into plain conv kernels; the exported model gives the same outputs.
--format timm: the run's final (EMA) weights as a timm state dict (model.safetensors), its recipe as timm
train.py options (args.yaml), class_map.txt and README.txt with the torchrun command that continues in
timm; into --out (default <run dir>/timm). A checkpoint folder may stand for the run.
Options: --backend NAME, -h, --help`,
  info: `${usageOf('info')}
Prints the backend, device, tfjs version and the model's parameters and MACs.
${KEYS_HELP}`,
  predict: `${usageOf('predict')}
Classifies each image (a folder is searched for images, sorted) with a saved model folder (or a run
folder, then its model/), prepared as eval --data prepares them; prints each file's top-k classes with
their softmax probabilities. Unreadable files are reported and skipped; exit code 1 when none was classified.
  --top-k N     classes per file (default 5)
  --json        one JSON object per line: { file, top: [{ class, probability }] } or { file, error }
Options: --backend NAME, -h, --help`,
};

const VERSION = typeof __NF_TRAIN_VERSION__ === 'string' ? __NF_TRAIN_VERSION__ : '0.0.0-dev';

/** The configuration from the command line: the preset, the --config file, then the flags. */
async function commandConfig(args: ParsedArgs): Promise<{ config: TrainConfig; layers: Array<[Record<string, unknown>, string]> }> {
  const file = args.configFile ? await readConfigFile(args.configFile) : {};
  const layers: Array<[Record<string, unknown>, string]> = [
    [file, args.configFile ?? 'config'],
    [args.overrides, 'flags'],
  ];
  return { config: resolveConfig(args.preset, ...layers), layers };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.version) {
    console.log(`nf-train ${VERSION} (tfjs ${tf.version.tfjs}, node ${process.version})`);
    return 0;
  }
  if (args.help || args.command === 'help') {
    console.log(HELP[args.command]);
    return 0;
  }
  let { config, layers } = await commandConfig(args);
  let resume: boolean | string = false;
  let preset = args.preset;
  if (args.command === 'train' && args.resume !== false) {
    // A resumed run takes its configuration from its checkpoint, then the flags that may change.
    const explicitOut = [...layers].reverse().map(([l]) => l.out).find((o) => typeof o === 'string') as string | undefined;
    const target = await resumeTarget(args.resume, explicitOut, config.out);
    config = resumedConfig(target, args.presetGiven ? args.preset : undefined, layers);
    resume = target.checkpoint ?? true;
    preset = target.state.preset ?? preset;
  }
  const backend = await loadBackend(config.backend, { accelerator: config.accelerator });
  // With --json, stdout holds only the JSON.
  const info = args.commandFlags.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  for (const note of backend.notes) info(`note: ${note}`);
  info(`backend: ${backend.name} — ${backend.detail}`);
  if (args.command === 'train') {
    const result = await train(config, { resume, preset, overwrite: args.overwrite });
    if (result.interrupted) return 130;
    console.log(`test accuracy ${result.testAccuracy.toFixed(4)} after ${result.steps} steps in ${result.seconds.toFixed(0)} s; report: ${path.join(result.outDir, 'report.html')}`);
    return 0;
  }
  // eval --data DIR: an image folder at the model's recorded size, unless a preset dataset is named (on the
  // command line or in the config file; e.g. --preset cifar10 --data DIR) or --val-split holds out part
  // of DIR: then, as before, the preset's test set read from DIR.
  const namedDataset = (args.presetGiven || layers.some(([l]) => 'dataset' in l)) && config.dataset !== 'folder';
  if (args.command === 'eval' && typeof args.overrides.data === 'string' && !namedDataset && !('valSplit' in args.overrides)) {
    const m = await loadInferenceModel(args.positional[0] ?? config.out);
    try {
      await evalFolderCommand(m, args.overrides.data, { limit: args.commandFlags.limit ?? 0, workers: config.dataWorkers, json: args.commandFlags.json ?? false });
    } finally {
      m.model.dispose();
    }
    return 0;
  }
  if (args.command === 'eval') {
    const dir = args.positional[0] ?? path.join(config.out, 'model');
    const model = await loadModel(dir);
    const { test } = await loadTrainingData(config, info);
    const r = await evaluateAsync(model, test, 256, args.commandFlags.limit ?? config.evalLimit);
    if (args.commandFlags.json) {
      console.log(JSON.stringify({ model: dir, images: r.labels.length, top1: r.accuracy, ...(r.top5 !== undefined ? { top5: r.top5 } : {}), loss: r.loss, confusion: r.confusion }));
      return 0;
    }
    console.log(`${dir}: test loss ${r.loss.toFixed(4)}, top-1 ${r.accuracy.toFixed(4)}${r.top5 !== undefined ? `, top-5 ${r.top5.toFixed(4)}` : ''}`);
    return 0;
  }
  if (args.command === 'spp') {
    const { checkpoint, batch } = args.commandFlags;
    const explicitModel = typeof args.overrides.model === 'string' ? args.overrides.model : undefined;
    const target = checkpoint ? await checkpointModel(checkpoint, explicitModel) : tableModel(config);
    try {
      const out = typeof args.overrides.out === 'string' ? args.overrides.out : target.runDir ? path.join(target.runDir, 'spp') : path.join('runs', 'spp', path.basename(target.checkpoint ?? config.model));
      const run = await runSpp(target, out, { seed: config.seed, ...(batch ? { batchSize: batch } : {}) });
      console.log(`${run.report.label}: ${run.report.sites.length} sites, probe ${run.report.probe?.shapes[0]?.join('×') ?? '?'}${target.checkpoint ? ` from ${target.checkpoint}` : ''}`);
      console.log(run.text);
      console.log(`wrote ${run.svgFile} and ${run.jsonFile}`);
    } finally {
      target.model.dispose();
    }
    return 0;
  }
  if (args.command === 'export' && args.commandFlags.format === 'timm') {
    const explicitOut = typeof args.overrides.out === 'string' ? args.overrides.out : undefined;
    const done = await exportTimm(args.positional[0]!, explicitOut);
    console.log(`exported ${done.checkpoint} (${done.weights === 'ema' ? 'EMA weights' : 'weights'}) as timm ${done.timmName} to ${done.outDir}: ${done.files.join(', ')}`);
    console.log(`continue in timm (weights only, see README.txt): ${done.command}`);
    return 0;
  }
  if (args.command === 'export') {
    const [from, to] = args.positional;
    if (!from || !to) throw new TrainerError('BAD_ARGS', `usage: ${usageOf('export')}`);
    await exportModel(from, to);
    console.log(`exported ${from} with weight standardization folded to ${to}`);
    return 0;
  }
  if (args.command === 'predict') {
    const [target, ...inputs] = args.positional;
    const m = await loadInferenceModel(target!);
    try {
      return await predictCommand(m, inputs, { ...(args.commandFlags.topK ? { topK: args.commandFlags.topK } : {}), json: args.commandFlags.json ?? false });
    } finally {
      m.model.dispose();
    }
  }
  if (args.command === 'info') {
    const mc = configOf(config.model as never, config.modelOverrides);
    console.log(`tfjs ${tf.version.tfjs}; model ${config.model}: ${countParams(mc).toLocaleString('en')} parameters, ${(countMacs(mc) / 1e9).toFixed(3)} GMACs at ${mc.testSize}²`);
    console.log(`accelerator: ${backend.accelerator ? backend.accelerator.line : `none on ${backend.name} (@nf/onednn accelerates the wasm backend: --backend wasm)`}`);
    console.log(`wasm SIMD kernels: ${simdFlavour() === 'relaxed' ? 'relaxed SIMD (FMA)' : 'plain SIMD'}${relaxedSimdSupported() ? '' : ' (this engine does not validate relaxed SIMD)'}`);
    return 0;
  }
  throw new TrainerError('BAD_ARGS', `unknown command ${quote(args.command)}; commands: ${COMMANDS.join(', ')} (see nf-train --help).`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    // One line: an @nf error's message (control characters escaped), else the first line of another.
    const nf = typeof error === 'object' && error !== null && (error as unknown as Record<symbol, unknown>)[Symbol.for('@nf/error')] === true;
    const text = nf ? oneLine(error.message) : oneLine(String(error?.message ?? error).split('\n')[0]!);
    const code = (error as Error & { code?: unknown }).code;
    const tag = nf && typeof code === 'string' ? ` [${code}]` : '';
    console.error(`nf-train: ${text}${tag}`);
    process.exit(1);
  },
);
