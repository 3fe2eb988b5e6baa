/**
 * `@nf/signal-prop/node`: everything the main entry exports (the analyzer, statistics, plots, callback:
 * any environment), plus what needs Node — the `nf-spp` command as a function (`runCli`), the `fs`
 * tf.io handler for a model.json on disk (`fileModel`, since tfjs has no `file://` without tfjs-node)
 * and the module lookup behind `--import` (`importModule`).
 */
export * from './index.js';
export { runCli, type CliIo } from './run-cli.js';
export { fileModel, parseModelJson } from './fs-model-io.js';
export { importModule, type ImportPlaces, type ImportResult } from './module-import.js';
export { parseArgs, USAGE, type CliArgs, type ParsedArgs } from './cli-args.js';
