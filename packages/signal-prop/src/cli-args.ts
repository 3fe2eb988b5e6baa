/** Command-line arguments of `nf-spp`, parsed and checked (a usage error is one line). */
import { CLI_BACKENDS, type CliBackend } from './cli-backend.js';
import { STAT_KEYS, type StatKey } from './report.js';

export interface CliArgs {
  readonly model: string;
  readonly batch: number;
  readonly size: number | number[] | undefined;
  readonly seed: number;
  readonly out: string | undefined;
  readonly json: string | undefined;
  readonly csv: string | undefined;
  readonly log: boolean;
  readonly stat: StatKey;
  readonly measure: RegExp | undefined;
  readonly all: boolean;
  readonly training: boolean;
  readonly alpha: number | undefined;
  readonly stages: number[] | undefined;
  readonly backend: CliBackend;
  readonly imports: string[];
  /** `--residual-class NAME[:BRANCH]`: residual merge classes that do not declare themselves. */
  readonly residualClasses: Record<string, { branch?: number }>;
  readonly label: string | undefined;
  readonly quiet: boolean;
}

export type ParsedArgs = { kind: 'run'; args: CliArgs } | { kind: 'help' } | { kind: 'version' } | { kind: 'error'; message: string };

export const USAGE = `Usage: nf-spp <model.json> [options]

Signal-propagation analysis of a tfjs Layers model: per residual block, the average channel
squared mean, the average channel variance and the residual-branch variance on a probe batch.

Options:
  --batch <n>          probe batch size (default 8)
  --size <n | HxW>     size of unknown input dimensions, e.g. 64 or 64x48 (default: the
                       training size recorded in the model's metadata)
  --seed <n>           seed of the Gaussian probe (default 0)
  --out <file.svg>     write the SVG plot, and the JSON and CSV beside it (same name)
  --json <file>        write the report as JSON
  --csv <file>         write the report as CSV
  --log                log-scale y axes
  --stat <name>        statistic of the terminal plot: avgVar (default), avgSqMean, resAvgVar
  --measure <regex>    also measure layers whose name matches
  --all                measure every layer
  --inference          run layers in inference mode (default: training mode, state restored)
  --alpha <a>          overlay the analytic NF-ResNet curve with this alpha ...
  --stages <3,4,6,3>   ... and these blocks per stage
  --backend <name>     auto (default: wasm if installed, else cpu), cpu, wasm, tensorflow
  --import <module>    import a module first, e.g. one that registers custom layers (repeatable);
                       looked up from the current directory, the model's folder, the workspace
  --residual-class <NAME[:BRANCH]>
                       layers of class NAME are residual merges, input BRANCH (default: the
                       deepest) their branch (repeatable); for classes that do not declare
                       static residualMerge
  --label <text>       legend label (default: the model's name)
  --quiet              print no table and no plot
  -h, --help           this text
  -v, --version        the version
`;

const VALUE_FLAGS = new Set(['--batch', '--size', '--seed', '--out', '--json', '--csv', '--stat', '--measure', '--alpha', '--stages', '--backend', '--import', '--label', '--residual-class']);
const BOOL_FLAGS = new Set(['--log', '--all', '--inference', '--quiet']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    if (raw === '-h' || raw === '--help') return { kind: 'help' };
    if (raw === '-v' || raw === '--version') return { kind: 'version' };
    const eq = raw.startsWith('--') ? raw.indexOf('=') : -1;
    const flag = eq > 0 ? raw.slice(0, eq) : raw;
    if (VALUE_FLAGS.has(flag)) {
      const v = eq > 0 ? raw.slice(eq + 1) : argv[++i];
      if (v === undefined) return { kind: 'error', message: `${flag} needs a value` };
      values.set(flag, [...(values.get(flag) ?? []), v]);
    } else if (BOOL_FLAGS.has(flag)) flags.add(flag);
    else if (raw.startsWith('-') && raw !== '-') return { kind: 'error', message: `unknown option ${raw}` };
    else positional.push(raw);
  }
  if (positional.length !== 1) return { kind: 'error', message: positional.length === 0 ? 'missing the path of a model.json' : `expected one model path, received ${positional.length}: ${positional.join(' ')}` };
  const last = (f: string) => values.get(f)?.at(-1);
  const int = (f: string, dflt: number, min: number): number | string => {
    const v = last(f);
    if (v === undefined) return dflt;
    const x = Number(v);
    return Number.isInteger(x) && x >= min ? x : `${f} must be an integer >= ${min}, received '${v}'`;
  };
  const batch = int('--batch', 8, 1);
  const seed = int('--seed', 0, 0);
  if (typeof batch === 'string') return { kind: 'error', message: batch };
  if (typeof seed === 'string') return { kind: 'error', message: seed };
  let size: number | number[] | undefined;
  const sizeText = last('--size');
  if (sizeText !== undefined) {
    const parts = sizeText.split(/[x,]/).map(Number);
    if (!parts.every((p) => Number.isInteger(p) && p > 0)) return { kind: 'error', message: `--size must be a positive integer or HxW, received '${sizeText}'` };
    size = parts.length === 1 ? parts[0]! : parts;
  }
  const stat = (last('--stat') ?? 'avgVar') as StatKey;
  if (!STAT_KEYS.includes(stat)) return { kind: 'error', message: `--stat must be one of ${STAT_KEYS.join(', ')}, received '${stat}'` };
  const backend = (last('--backend') ?? 'auto') as CliBackend;
  if (!CLI_BACKENDS.includes(backend)) return { kind: 'error', message: `--backend must be one of ${CLI_BACKENDS.join(', ')}, received '${backend}'` };
  let measure: RegExp | undefined;
  const measureText = last('--measure');
  if (measureText !== undefined) {
    try {
      measure = new RegExp(measureText);
    } catch (e) {
      return { kind: 'error', message: `--measure is not a valid regular expression: ${(e as Error).message}` };
    }
  }
  const alphaText = last('--alpha');
  const stagesText = last('--stages');
  if ((alphaText === undefined) !== (stagesText === undefined)) return { kind: 'error', message: '--alpha and --stages go together (e.g. --alpha 0.2 --stages 3,4,6,3)' };
  const alpha = alphaText === undefined ? undefined : Number(alphaText);
  if (alpha !== undefined && !(Number.isFinite(alpha) && alpha >= 0)) return { kind: 'error', message: `--alpha must be a number >= 0, received '${alphaText}'` };
  const stages = stagesText?.split(',').map(Number);
  if (stages && !stages.every((s) => Number.isInteger(s) && s > 0)) return { kind: 'error', message: `--stages must list positive integers, e.g. 3,4,6,3; received '${stagesText}'` };
  const residualClasses = Object.create(null) as Record<string, { branch?: number }>; // a class may be called __proto__
  for (const text of values.get('--residual-class') ?? []) {
    const m = /^([A-Za-z_$][\w$.>-]*)(?::(\d+))?$/.exec(text);
    if (!m) return { kind: 'error', message: `--residual-class must be a layer class name with an optional branch input, e.g. MyResidual or MyResidual:0; received '${text}'` };
    residualClasses[m[1]!] = m[2] === undefined ? {} : { branch: Number(m[2]) };
  }
  return {
    kind: 'run',
    args: {
      model: positional[0]!,
      batch,
      size,
      seed,
      out: last('--out'),
      json: last('--json'),
      csv: last('--csv'),
      log: flags.has('--log'),
      stat,
      measure,
      all: flags.has('--all'),
      training: !flags.has('--inference'),
      alpha,
      stages,
      backend,
      imports: values.get('--import') ?? [],
      residualClasses,
      label: last('--label'),
      quiet: flags.has('--quiet'),
    },
  };
}
