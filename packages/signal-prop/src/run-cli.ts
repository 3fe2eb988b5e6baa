/**
 * `nf-spp`: load a model.json, analyze it, print the table and a terminal plot, write SVG / JSON /
 * CSV. Returns the exit code (0 done, 1 failed, 2 usage); every failure is one line on stderr.
 */
import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { analyzeSignalPropagation } from './analyze-signal-propagation.js';
import { parseArgs, USAGE, type CliArgs } from './cli-args.js';
import { importFromProject, loadBackend } from './cli-backend.js';
import { isNfError, SignalPropError } from './errors.js';
import { expectedVariance } from './expected-variance.js';
import { fileModel } from './fs-model-io.js';
import { toCsv, toJson, type SignalReport } from './report.js';
import { formatTable } from './report-table.js';
import { renderSvg } from './svg-plot.js';
import { renderTerminalPlot } from './terminal-plot.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!.trim();

/** tfjs' own load errors, turned into one line that names the fix. */
function loadError(e: unknown, file: string): SignalPropError {
  if (isNfError(e)) return e as SignalPropError;
  const msg = String((e as Error)?.message ?? e);
  const unknown = /Unknown (layer|initializer|constraint|regularizer|activation|loss|metric)[^:]*: ([A-Za-z_][\w-]*)/i.exec(msg);
  if (unknown) {
    return new SignalPropError('UNSUPPORTED_LAYER', `'${file}' uses the ${unknown[1]!.toLowerCase()} class '${unknown[2]}', which is not registered: pass --import <module that defines it> (NFNet layers: --import @nf/ws-conv).`, { cause: e });
  }
  return new SignalPropError('BAD_MODEL_FILE', `'${file}' could not be loaded as a tfjs Layers model: ${firstLine(e)}`, { cause: e });
}

async function writeOutputs(args: CliArgs, reports: SignalReport[], io: CliIo): Promise<string[]> {
  const resolve = (p: string) => path.resolve(io.cwd, p);
  const targets: Array<[string, string]> = [];
  if (args.out) {
    const base = args.out.replace(/\.svg$/i, '');
    targets.push([args.out, renderSvg(reports, { logY: args.log, title: `Signal propagation: ${reports[0]!.model}` })]);
    if (!args.json) targets.push([`${base}.json`, toJson(reports)]);
    if (!args.csv) targets.push([`${base}.csv`, toCsv(reports)]);
  }
  if (args.json) targets.push([args.json, toJson(reports)]);
  if (args.csv) targets.push([args.csv, toCsv(reports)]);
  for (const [file, text] of targets) {
    await mkdir(path.dirname(resolve(file)), { recursive: true });
    await writeFile(resolve(file), text);
  }
  return targets.map(([file]) => file);
}

async function run(args: CliArgs, io: CliIo): Promise<void> {
  for (const spec of args.imports) {
    const loaded = await importFromProject(spec, io.cwd).catch((e: unknown) => {
      throw new SignalPropError('BAD_OPTION', `--import ${spec} failed: ${firstLine(e)}`, { cause: e });
    });
    if (loaded === null) throw new SignalPropError('BAD_OPTION', `--import ${spec}: module not found from ${io.cwd}; install it in your project.`);
  }
  const backend = await loadBackend(args.backend, io.cwd);
  const file = path.resolve(io.cwd, args.model);
  const model = await tfl.loadLayersModel(fileModel(file)).catch((e: unknown) => {
    throw loadError(e, args.model);
  });
  try {
    const report = await analyzeSignalPropagation(model, {
      batchSize: args.batch,
      seed: args.seed,
      ...(args.size !== undefined ? { size: args.size } : {}),
      measure: args.all ? 'all' : args.measure ? { residual: true, names: [args.measure] } : 'residual',
      training: args.training,
      ...(args.label !== undefined ? { label: args.label } : {}),
    });
    const reports: SignalReport[] = [report];
    if (args.alpha !== undefined && args.stages) reports.push(expectedVariance({ alpha: args.alpha, blocksPerStage: args.stages }));
    if (!args.quiet) {
      io.stdout(`${report.model}: ${report.sites.length} sites, probe ${report.probe!.shapes.map((s) => s.join('x')).join(', ')} (${report.probe!.kind}), backend ${backend}, ${args.training ? 'training' : 'inference'} mode\n\n`);
      io.stdout(`${formatTable(report)}\n\n`);
      io.stdout(`${renderTerminalPlot(reports, { stat: args.stat, logY: args.log })}\n`);
    }
    const written = await writeOutputs(args, reports, io);
    if (written.length > 0) io.stdout(`${args.quiet ? '' : '\n'}wrote ${written.join(', ')}\n`);
  } finally {
    model.dispose();
  }
}

export function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/** Runs `nf-spp` with `argv` (without node and the script). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (parsed.kind === 'version') {
    io.stdout(`${version()}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    io.stderr(`nf-spp: ${parsed.message} (nf-spp --help for usage)\n`);
    return 2;
  }
  tf.env().set('PROD', true); // no "install tfjs-node" banner between the table lines
  try {
    await run(parsed.args, io);
    return 0;
  } catch (e) {
    io.stderr(`nf-spp: ${firstLine(e)}\n`);
    return 1;
  }
}
