#!/usr/bin/env node
/**
 * nf-train — train | eval | spp | export | info. Configuration: a preset (default fashion-mnist),
 * then a YAML or JSON file (--config), then flags; every problem is one line naming the key.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { countMacs, countParams, configOf, loadModel } from '@nf/models';
import { parseArgs } from './cli-args.js';
import { resolveConfig, PRESETS } from './train-config.js';
import { readConfigFile } from './config-file.js';
import { loadBackend } from './load-backend.js';
import { train } from './train.js';
import { loadDatasets } from './dataset.js';
import { evaluateAsync } from './evaluate.js';
import { exportModel } from './export-model.js';
import { checkpointModel, runSpp, tableModel } from './spp.js';

const HELP = `nf-train <command> [--preset ${Object.keys(PRESETS).join('|')}] [--config file.yaml|file.yml|file.json] [--key value ...]
  train    train a model (default preset: fashion-mnist on the bundled subset); --resume continues from the last checkpoint
  eval     evaluate <model dir> on the preset's test set
  spp      signal-propagation plot: nf-train spp [--model <name>] [--checkpoint <run dir|checkpoint dir>] [--out <dir>] [--batch N]
           N(0,1) images (default 8) at the model's train size; a checkpoint's EMA weights when it has them;
           prints a table and terminal plots, writes spp.svg and spp.json to --out
           (default: <run dir>/spp for a checkpoint, runs/spp/<model> for a fresh model)
  export   fold weight standardization: nf-train export <model dir> <out dir>
  info     backend, device and model summary (parameters, MACs)
Keys (flags in kebab-case, config files in camelCase):
      model, epochs, batch-size, accumulation, lr, warmup-epochs, momentum, nesterov (true|false), weight-decay, clipping,
      label-smoothing, ema-decay, seed, backend (auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu),
      workers (data-parallel threads on cpu/wasm, 0 = one per core), out, data,
      checkpoint-every, keep-checkpoints, on-nan (stop|skip), max-steps, eval-limit,
      random-shift (pixels, 0 = off), mixup (Beta α, 0 = off), cutmix (Beta α, 0 = off), mixup-prob (default 1), mixup-switch-prob (CutMix share when both on, default 0.5)`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'help' || args.command === '--help') {
    console.log(HELP);
    return 0;
  }
  const file = args.configFile ? await readConfigFile(args.configFile) : {};
  const config = resolveConfig(args.preset, [file, args.configFile ?? 'config'], [args.overrides, 'flags']);
  const backend = await loadBackend(config.backend);
  for (const note of backend.notes) console.log(`note: ${note}`);
  console.log(`backend: ${backend.name} — ${backend.detail}`);
  if (args.command === 'train') {
    const result = await train(config, { resume: args.resume });
    if (result.interrupted) return 130;
    console.log(`test accuracy ${result.testAccuracy.toFixed(4)} after ${result.steps} steps in ${result.seconds.toFixed(0)} s; report: ${path.join(result.outDir, 'report.html')}`);
    return 0;
  }
  if (args.command === 'eval') {
    const dir = args.positional[0] ?? path.join(config.out, 'model');
    const model = await loadModel(dir);
    const { test } = await loadDatasets(config.dataset, config.data, config.seed);
    const r = await evaluateAsync(model, test, 256, config.evalLimit);
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
  if (args.command === 'export') {
    const [from, to] = args.positional;
    if (!from || !to) throw new Error('usage: nf-train export <model dir> <out dir>');
    await exportModel(from, to);
    console.log(`exported ${from} with weight standardization folded to ${to}`);
    return 0;
  }
  if (args.command === 'info') {
    const mc = configOf(config.model as never, config.modelOverrides);
    console.log(`tfjs ${tf.version.tfjs}; model ${config.model}: ${countParams(mc).toLocaleString('en')} parameters, ${(countMacs(mc) / 1e9).toFixed(3)} GMACs at ${mc.testSize}²`);
    return 0;
  }
  throw new Error(`unknown command '${args.command}'; commands: train, eval, spp, export, info (see nf-train help).`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`nf-train: ${error.message.split('\n')[0]}`);
    process.exit(1);
  },
);
