#!/usr/bin/env node
/**
 * nf-train — train | eval | export | info. Configuration: a preset (default fashion-mnist), then a
 * JSON file (--config), then flags; every problem is one line naming the key.
 */
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { countMacs, countParams, configOf, loadModel, saveModel } from '@nf/models';
import { foldWeightStandardization } from '@nf/ws-conv';
import { parseArgs } from './cli-args.js';
import { resolveConfig, PRESETS } from './train-config.js';
import { loadBackend } from './load-backend.js';
import { train } from './train.js';
import { loadDatasets } from './dataset.js';
import { evaluate } from './evaluate.js';

const HELP = `nf-train <command> [--preset ${Object.keys(PRESETS).join('|')}] [--config file.json] [--key value ...]
  train    train a model (default preset: fashion-mnist on the bundled subset); --resume continues from the last checkpoint
  eval     evaluate <model dir> on the preset's test set
  export   fold weight standardization: nf-train export <model dir> <out dir>
  info     backend, device and model summary (parameters, MACs)
Keys: model, epochs, batch-size, accumulation, lr, warmup-epochs, momentum, nesterov, weight-decay, clipping,
      label-smoothing, ema-decay, seed, backend (auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu), out, data,
      checkpoint-every, keep-checkpoints, on-nan (stop|skip), max-steps, eval-limit`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'help' || args.command === '--help') {
    console.log(HELP);
    return 0;
  }
  let file: Record<string, unknown> = {};
  if (args.configFile) {
    try {
      file = JSON.parse(await readFile(args.configFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`cannot read config file '${args.configFile}': ${(e as Error).message}`);
    }
  }
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
    const r = evaluate(model, test, 256, config.evalLimit);
    console.log(`${dir}: test loss ${r.loss.toFixed(4)}, top-1 ${r.accuracy.toFixed(4)}${r.top5 !== undefined ? `, top-5 ${r.top5.toFixed(4)}` : ''}`);
    return 0;
  }
  if (args.command === 'export') {
    const [from, to] = args.positional;
    if (!from || !to) throw new Error('usage: nf-train export <model dir> <out dir>');
    const folded = await foldWeightStandardization(await loadModel(from));
    await saveModel(folded, to);
    console.log(`exported ${from} with weight standardization folded to ${to}`);
    return 0;
  }
  if (args.command === 'info') {
    const mc = configOf(config.model as never, config.modelOverrides);
    console.log(`tfjs ${tf.version.tfjs}; model ${config.model}: ${countParams(mc).toLocaleString('en')} parameters, ${(countMacs(mc) / 1e9).toFixed(3)} GMACs at ${mc.testSize}²`);
    return 0;
  }
  throw new Error(`unknown command '${args.command}'; commands: train, eval, export, info (see nf-train help).`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`nf-train: ${error.message}`);
    process.exit(1);
  },
);
