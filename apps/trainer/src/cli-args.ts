/** Command-line parsing for nf-train: a subcommand, then --flags (kebab-case) mapped to config keys. */
import { ConfigError } from './train-config.js';

export interface ParsedArgs {
  command: string;
  preset: string;
  configFile?: string;
  resume: boolean;
  overrides: Record<string, unknown>;
  positional: string[];
}

const NUMERIC = new Set(['epochs', 'batchSize', 'accumulation', 'lr', 'warmupEpochs', 'momentum', 'weightDecay', 'clipping', 'labelSmoothing', 'emaDecay', 'seed', 'checkpointEvery', 'keepCheckpoints', 'maxSteps', 'evalLimit']);
const BOOLEAN = new Set(['nesterov']);

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export function parseArgs(argv: string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const out: ParsedArgs = { command, preset: 'fashion-mnist', resume: false, overrides: {}, positional: [] };
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
    else if (NUMERIC.has(key)) {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new ConfigError(`--${rawKey} must be a number, received '${value}'.`);
      out.overrides[key] = n;
    } else if (BOOLEAN.has(key)) out.overrides[key] = value === 'true';
    else out.overrides[key] = value;
  }
  return out;
}
