/**
 * Command-line parsing for nf-train: a subcommand, then --flags (kebab-case) mapped to config keys,
 * plus the flags of one subcommand that are not config keys (train: --resume; spp: --checkpoint,
 * --batch; eval: --json, --limit; predict: --top-k, --json). Strict: an unknown command, flag or stray
 * argument is an error naming it, so a flag that was not understood never starts a run. `-h`/`--help`
 * anywhere asks for the command's usage, and `--version` for the version; neither ever trains.
 */
import { TrainerError, quote } from '../errors.js';
import { CONFIG_KEYS } from '../config/train-config.js';

export const COMMANDS = ['train', 'eval', 'spp', 'export', 'info', 'predict'] as const;
export type Command = (typeof COMMANDS)[number];

export interface ParsedArgs {
  /** The subcommand; 'help' when none was given or help was asked for without one. */
  command: Command | 'help';
  /** -h / --help was given: print the usage of `command` and stop. */
  help: boolean;
  /** --version was given: print the version and stop. */
  version: boolean;
  /** The preset (default fashion-mnist) and whether it was given on the command line. */
  preset: string;
  presetGiven: boolean;
  configFile?: string;
  /** train --resume: false, true (the run in --out), or a run or checkpoint folder. */
  resume: false | true | string;
  /** train --overwrite: start over in a folder that holds a run. */
  overwrite: boolean;
  overrides: Record<string, unknown>;
  positional: string[];
  /** Flags of this subcommand that are not config keys. */
  commandFlags: { checkpoint?: string; batch?: number; topK?: number; limit?: number; json?: boolean; format?: 'tfjs' | 'timm' };
}

const NUMERIC = new Set(['epochs', 'batchSize', 'accumulation', 'lr', 'warmupEpochs', 'momentum', 'weightDecay', 'clipping', 'labelSmoothing', 'emaDecay', 'seed', 'checkpointEvery', 'checkpointMinutes', 'checkpointSteps', 'keepCheckpoints', 'maxSteps', 'evalLimit', 'workers', 'randomShift', 'valSplit', 'dataWorkers', 'randAugmentLayers', 'randAugmentMagnitude', 'mixup', 'cutmix', 'mixupProb', 'mixupSwitchProb', 'headOnlyEpochs']);
const BOOLEAN = new Set(['nesterov']);
/** Config keys that are not flags (set them in a config file). */
const FILE_ONLY = new Set(['modelOverrides']);
/** Per subcommand: its own flags beyond the config keys, and how many positional arguments it takes. */
const COMMAND_SPEC: Readonly<Record<Command, { flags: readonly string[]; positional: [min: number, max: number]; usage: string }>> = {
  train: { flags: ['resume', 'overwrite'], positional: [0, 0], usage: 'nf-train train [options]' },
  eval: { flags: ['json', 'limit'], positional: [0, 1], usage: 'nf-train eval [<model dir>] [options]' },
  spp: { flags: ['checkpoint', 'batch'], positional: [0, 0], usage: 'nf-train spp [options]' },
  // --format tfjs (default): <model dir> <out dir>; --format timm: <run dir> (checked below).
  export: { flags: ['format'], positional: [1, 2], usage: 'nf-train export <model dir> <out dir>' },
  info: { flags: [], positional: [0, 0], usage: 'nf-train info [options]' },
  predict: { flags: ['topK', 'json'], positional: [2, Infinity], usage: 'nf-train predict <model dir> <image|dir>... [--top-k 5] [--json]' },
};
/** Flags that take no value. */
const SWITCHES = new Set(['overwrite', 'json']);
const isCommandFlag = (key: string) => Object.values(COMMAND_SPEC).some((s) => s.flags.includes(key));

const camel = (flag: string) => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const isCommand = (s: string | undefined): s is Command => (COMMANDS as readonly string[]).includes(s ?? '');
const argsError = (message: string) => new TrainerError('BAD_ARGS', message);

export function parseArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { command: 'help', help: false, version: false, preset: 'fashion-mnist', presetGiven: false, resume: false, overwrite: false, overrides: {}, positional: [], commandFlags: {} };
  const [first, ...rest] = argv;
  if (first === undefined) return { ...out, help: true };
  if (first === 'help' || first === '-h' || first === '--help') {
    const topic = rest.find((a) => !a.startsWith('-'));
    if (topic !== undefined && !isCommand(topic)) throw argsError(`unknown command ${quote(topic)}; commands: ${COMMANDS.join(', ')}.`);
    return { ...out, command: topic ?? 'help', help: true };
  }
  if (first === '--version' || first === '-V' || first === 'version') return { ...out, version: true };
  if (!isCommand(first)) {
    throw argsError(`unknown command ${quote(first)}; commands: ${COMMANDS.join(', ')} (nf-train --help lists them).`);
  }
  out.command = first;
  const spec = COMMAND_SPEC[first];
  const hint = `see nf-train ${first} --help`;
  // Help and version win over everything else on the line, whatever its other errors.
  const options = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (options.some((a) => a === '-h' || a === '--help')) return { ...out, help: true };
  if (options.includes('--version')) return { ...out, version: true };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--') {
      out.positional.push(...rest.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      out.positional.push(arg);
      continue;
    }
    if (!arg.startsWith('--')) throw argsError(`unknown option ${quote(arg)} for '${first}'; options are --long-names (${hint}).`);
    const eq = arg.indexOf('=');
    const rawKey = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    const key = camel(rawKey);
    if (rawKey === '' || rawKey !== kebab(key)) throw argsError(`unknown option ${quote(arg)} for '${first}'; options are kebab-case, e.g. --batch-size (${hint}).`);
    const own = spec.flags.includes(key);
    if (key === 'resume' && own) {
      // --resume takes an optional folder: --resume=DIR, or a following argument that is not an option.
      if (inline !== undefined) {
        if (inline === '') throw argsError(`--resume= needs a run or checkpoint folder after '=' (or use --resume alone).`);
        out.resume = inline;
      } else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('-')) out.resume = rest[++i]!;
      else out.resume = true;
      continue;
    }
    if (SWITCHES.has(key) && own) {
      if (inline !== undefined) throw argsError(`--${rawKey} takes no value (received ${quote(inline)}).`);
      if (key === 'overwrite') out.overwrite = true;
      else out.commandFlags.json = true;
      continue;
    }
    const known = own || key === 'preset' || key === 'config' || (CONFIG_KEYS.has(key) && !FILE_ONLY.has(key));
    if (!known) {
      const why = FILE_ONLY.has(key) ? ` ('${key}' is set in a --config file)` : CONFIG_KEYS.has(key) || isCommandFlag(key) ? ` (not an option of '${first}')` : '';
      throw argsError(`unknown option ${quote(`--${rawKey}`)} for '${first}'${why}; ${hint}.`);
    }
    const value = inline ?? (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--') ? rest[++i] : undefined);
    if (value === undefined) throw argsError(`--${rawKey} needs a value (${hint}).`);
    if (key === 'preset') {
      out.preset = value;
      out.presetGiven = true;
    } else if (key === 'config') out.configFile = value;
    else if (key === 'batch' || key === 'topK' || key === 'limit') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw argsError(`--${rawKey} must be an integer >= 1, received ${quote(value)}.`);
      out.commandFlags[key] = n;
    } else if (key === 'checkpoint') out.commandFlags.checkpoint = value;
    else if (key === 'format') {
      if (value !== 'tfjs' && value !== 'timm') throw argsError(`--format must be tfjs or timm, received ${quote(value)}.`);
      out.commandFlags.format = value;
    }
    else if (NUMERIC.has(key)) {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n)) throw argsError(`--${rawKey} must be a number, received ${quote(value)}.`);
      out.overrides[key] = n;
    } else if (BOOLEAN.has(key)) {
      if (value !== 'true' && value !== 'false') throw argsError(`--${rawKey} must be true or false, received ${quote(value)}.`);
      out.overrides[key] = value === 'true';
    } else out.overrides[key] = value;
  }
  if (out.resume !== false && out.overwrite) throw argsError(`--resume continues a run and --overwrite starts over: give one of them.`);
  const [min, max] = spec.positional;
  if (out.positional.length > max) {
    const extra = out.positional[max]!;
    throw argsError(`unexpected argument ${quote(extra)} for '${first}' (usage: ${spec.usage}); ${hint}.`);
  }
  if (first === 'export' && out.commandFlags.format === 'timm' && out.positional.length !== 1) {
    const timmUsage = 'usage: nf-train export <run dir> --format timm [--out <dir>]';
    throw argsError(out.positional.length ? `unexpected argument ${quote(out.positional[1]!)} for 'export --format timm' (${timmUsage}); ${hint}.` : `'export --format timm' needs the run folder (${timmUsage}).`);
  }
  if (first === 'export' && out.commandFlags.format !== 'timm' && out.positional.length < 2) throw argsError(`'export' needs 2 arguments (usage: ${spec.usage}), or --format timm and a run folder.`);
  if (out.positional.length < min) throw argsError(`'${first}' needs ${max === Infinity ? 'at least ' : ''}${min} argument${min > 1 ? 's' : ''} (usage: ${spec.usage}).`);
  return out;
}

/** The command's usage line. */
export function usageOf(command: Command): string {
  return COMMAND_SPEC[command].usage;
}
