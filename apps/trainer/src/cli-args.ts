/**
 * Command-line parsing for nf-train: a subcommand, then --flags (kebab-case) mapped to config keys,
 * plus the few flags of one subcommand that are not config keys (spp: --checkpoint, --batch).
 */
import { ConfigError } from './train-config.js';

export interface ParsedArgs {
  command: string;
  preset: string;
  configFile?: string;
  resume: boolean;
  overrides: Record<string, unknown>;
  positional: string[];
  /** Flags of this subcommand that are not config keys. */
  commandFlags: { checkpoint?: string; batch?: number };
}

const NUMERIC = new Set(['epochs', 'batchSize', 'accumulation', 'lr', 'warmupEpochs', 'momentum', 'weightDecay', 'clipping', 'labelSmoothing', 'emaDecay', 'seed', 'checkpointEvery', 'keepCheckpoints', 'maxSteps', 'evalLimit', 'workers', 'randomShift', 'mixup', 'cutmix', 'mixupProb', 'mixupSwitchProb']);
const BOOLEAN = new Set(['nesterov']);
/** Per subcommand: its own flags. */
const COMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = { spp: ['checkpoint', 'batch'] };

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseArgs(argv: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const out: ParsedArgs = { command, preset: 'fashion-mnist', resume: false, overrides: {}, positional: [], commandFlags: {} };
  const own = Object.hasOwn(COMMAND_FLAGS, command) ? COMMAND_FLAGS[command]! : [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      out.positional.push(arg);
      continue;
    }
    const [rawKey, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const key = camel(rawKey);
    if (key === 'resume') {
      out.resume = true;
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined) throw new ConfigError(`--${rawKey} needs a value.`);
    if (key === 'preset') out.preset = value;
    else if (key === 'config') out.configFile = value;
    else if (own.includes(key)) {
      if (key === 'batch') {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${rawKey} must be an integer >= 1, received '${value}'.`);
        out.commandFlags.batch = n;
      } else out.commandFlags.checkpoint = value;
    } else if (NUMERIC.has(key)) {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new ConfigError(`--${rawKey} must be a number, received '${value}'.`);
      out.overrides[key] = n;
    } else if (BOOLEAN.has(key)) {
      if (value !== 'true' && value !== 'false') throw new ConfigError(`--${rawKey} must be true or false, received '${value}'.`);
      out.overrides[key] = value === 'true';
    }
    else out.overrides[key] = value;
  }
  return out;
}
