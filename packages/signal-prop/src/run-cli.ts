/**
 * `nf-spp`: load a model.json, analyze it, print the table and a terminal plot, write SVG / JSON /
 * CSV. Returns the exit code (0 done, 1 failed, 2 usage); every failure is one line on stderr.
 */
import { createRequire } from 'node:module';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { stat } from 'node:fs/promises';
import { analyzeWorded } from './analyze-signal-propagation.js';
import { parseArgs, USAGE, type CliArgs } from './cli-args.js';
import { loadBackend } from './cli-backend.js';
import { isNfError, SignalPropError } from './errors.js';
import { expectedVariance } from './expected-variance.js';
import { fileModel } from './fs-model-io.js';
import { importModule, packageName, type ImportPlaces } from './module-import.js';
import { nfMetadata } from './recorded-size.js';
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

/** Modules that register @nf's layer classes, for models saved without metadata naming them. */
const KNOWN_LAYER_MODULES: Readonly<Record<string, string>> = {
  WSConv2D: '@nf/ws-conv',
  GroupedConv2D: '@nf/ws-conv',
  GroupNormalization: '@nf/ws-conv',
  FanInNormal: '@nf/ws-conv',
  NfScaledActivation: '@nf/models',
  NfSqueezeExcite: '@nf/models',
  NfResidual: '@nf/models',
  NfPaddedMaxPool: '@nf/models',
};

const MODULE_NAME = /^(?:@[\w.-]+\/)?[\w.-]+(?:\/[\w.-]+)*$/;

/** Every `class_name` in a model topology that tfjs has not registered (layers, initializers, …), in order. */
function unregisteredClasses(topology: unknown): string[] {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap;
  const found = new Set<string>();
  const stack: Array<{ v: unknown; depth: number }> = [{ v: topology, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== 'object' || v === null || depth > 100) continue;
    const name = (v as { class_name?: unknown }).class_name;
    if (typeof name === 'string' && depth > 0 && !Object.prototype.hasOwnProperty.call(registered, name)) found.add(name);
    const children = Array.isArray(v) ? v : Object.values(v);
    for (let i = children.length - 1; i >= 0; i--) stack.push({ v: children[i], depth: depth + 1 });
  }
  return [...found];
}

/** The modules to `--import` for `classes`: those the model's metadata names, else known ones. */
function importAdvice(classes: readonly string[], metadata: unknown): string {
  const recorded = nfMetadata(metadata)?.imports;
  if (Array.isArray(recorded) && recorded.length > 0 && recorded.every((m) => typeof m === 'string' && MODULE_NAME.test(m))) {
    return `pass ${(recorded as string[]).map((m) => `--import ${m}`).join(' ')} (the module${recorded.length > 1 ? 's' : ''} its metadata names)`;
  }
  const modules = new Set(classes.map((c) => KNOWN_LAYER_MODULES[c]).filter((m): m is string => m !== undefined));
  if (modules.has('@nf/models')) modules.delete('@nf/ws-conv'); // @nf/models registers @nf/ws-conv's layers too
  if (modules.size > 0) {
    const others = classes.filter((c) => !KNOWN_LAYER_MODULES[c]);
    return `pass ${[...modules].map((m) => `--import ${m}`).join(' ')}${others.length > 0 ? ` and --import <the module that defines ${others.join(', ')}>` : ''}`;
  }
  return 'pass --import <the module that defines it> (a package name or a file that registers the class)';
}

/** tfjs' own load errors, turned into one line that names the fix. */
function loadError(e: unknown, file: string, artifacts: tf.io.ModelArtifacts): SignalPropError {
  if (isNfError(e)) return e as SignalPropError;
  const msg = String((e as Error)?.message ?? e);
  const unknown = /Unknown (layer|initializer|constraint|regularizer|activation|loss|metric)[^:]*: ([A-Za-z_][\w-]*)/i.exec(msg);
  if (unknown) {
    const kind = unknown[1]!.toLowerCase();
    const classes = [...new Set([unknown[2]!, ...unregisteredClasses(artifacts.modelTopology)])];
    const what = classes.length > 1 ? `the ${kind === 'layer' ? 'layer ' : ''}classes ${classes.map((c) => `'${c}'`).join(', ')}, which are` : `the ${kind} class '${classes[0]}', which is`;
    return new SignalPropError('UNSUPPORTED_LAYER', `'${file}' uses ${what} not registered: ${importAdvice(classes, artifacts.userDefinedMetadata)}.`, { cause: e });
  }
  return new SignalPropError('BAD_MODEL_FILE', `'${file}' could not be loaded as a tfjs Layers model: ${firstLine(e)}`, { cause: e });
}

/** The folder of the model (the path itself when it is a folder); the load reports a bad path later. */
async function modelFolder(file: string): Promise<string> {
  const info = await stat(file).catch(() => null);
  return info?.isDirectory() ? file : path.dirname(file);
}

async function importAll(specs: readonly string[], places: ImportPlaces): Promise<void> {
  for (const spec of specs) {
    const result = await importModule(spec, places).catch((e: unknown) => {
      throw new SignalPropError('BAD_OPTION', `--import ${spec} failed: ${firstLine(e)}`, { cause: e });
    });
    if (!result.found) {
      const name = packageName(spec);
      const fix = name === null ? 'check the path (it is relative to the current directory)' : `install it in your project (npm install ${name}) or pass the path of a file`;
      throw new SignalPropError('BAD_OPTION', `--import ${spec}: module not found; looked in ${result.looked.join('; ')}. ${fix[0]!.toUpperCase()}${fix.slice(1)}.`);
    }
  }
}

/** How the probe's unknown dimensions were filled, for the header line. */
function sizeNote(report: SignalReport): string {
  const from = report.probe?.sizeFrom;
  return from === 'trainSize' || from === 'testSize' ? `, size from the model's metadata: ${from}` : '';
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
  const file = path.resolve(io.cwd, args.model);
  const places: ImportPlaces = { cwd: io.cwd, modelDir: await modelFolder(file) };
  await importAll(args.imports, places);
  const backend = await loadBackend(args.backend, places);
  const artifacts = await fileModel(file).load!();
  const model = await tfl.loadLayersModel({ load: async () => artifacts }).catch((e: unknown) => {
    throw loadError(e, args.model, artifacts);
  });
  try {
    const report = await analyzeWorded(
      model,
      {
        batchSize: args.batch,
        seed: args.seed,
        ...(args.size !== undefined ? { size: args.size } : {}),
        measure: args.all ? 'all' : args.measure ? { residual: true, names: [args.measure] } : 'residual',
        ...(Object.keys(args.residualClasses).length > 0 ? { residual: { residualClasses: args.residualClasses } } : {}),
        training: args.training,
        ...(args.label !== undefined ? { label: args.label } : {}),
      },
      'cli',
    );
    const reports: SignalReport[] = [report];
    if (args.alpha !== undefined && args.stages) reports.push(expectedVariance({ alpha: args.alpha, blocksPerStage: args.stages }));
    if (!args.quiet) {
      io.stdout(`${report.model}: ${report.sites.length} sites, probe ${report.probe!.shapes.map((s) => s.join('x')).join(', ')} (${report.probe!.kind}${sizeNote(report)}), backend ${backend}, ${args.training ? 'training' : 'inference'} mode\n\n`);
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
