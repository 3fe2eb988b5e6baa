/**
 * What `--resume` means: the run goes on with the configuration it was started with (read from its
 * checkpoint), not the preset's; only the keys in RESUMABLE_KEYS may change (extend the run, move it
 * to another backend or machine). Its metrics file is cut back to the resumed step, so the rows of
 * the interrupted session past the checkpoint are not counted twice.
 */
import { isDeepStrictEqual } from 'node:util';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TrainerError, quote } from '../errors.js';
import { PRESETS, resolveConfig, type TrainConfig } from '../config/train-config.js';
import { findCheckpoint, listCheckpoints, readCheckpointState, type CheckpointState } from './checkpoint.js';

/**
 * Keys a resumed run may change: its length (epochs, maxSteps; the cosine schedule then spans the
 * new length from the resumed step on), checkpointing and evaluation cadence, and where it runs
 * (backend, workers, the dataset's location, the output folder). Everything else is the run's recipe.
 */
export const RESUMABLE_KEYS: ReadonlySet<keyof TrainConfig> = new Set<keyof TrainConfig>([
  'epochs',
  'maxSteps',
  'evalLimit',
  'checkpointEvery',
  'checkpointMinutes',
  'checkpointSteps',
  'keepCheckpoints',
  'onNan',
  'backend',
  'workers',
  'accelerator',
  'data',
  'out',
]);

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/**
 * Throws RESUME_CONFLICT when `config` differs from the checkpoint's saved configuration in a key
 * that may not change; lists every such key in one line.
 */
export function checkResumeConfig(saved: unknown, config: TrainConfig, checkpoint: string): void {
  if (saved === null || typeof saved !== 'object') return;
  const before = saved as Record<string, unknown>;
  const conflicts: string[] = [];
  for (const key of Object.keys(config) as Array<keyof TrainConfig>) {
    if (RESUMABLE_KEYS.has(key) || !Object.hasOwn(before, key)) continue;
    if (!isDeepStrictEqual(before[key], config[key])) conflicts.push(`${key} (${flag(key)}) ${JSON.stringify(config[key])}, the run has ${JSON.stringify(before[key])}`);
  }
  if (conflicts.length === 0) return;
  throw new TrainerError(
    'RESUME_CONFLICT',
    `--resume: the configuration differs from the run's (checkpoint ${quote(checkpoint)}): ${conflicts.join('; ')}. A resumed run keeps its recipe; only ${[...RESUMABLE_KEYS].map(flag).join(', ')} may change. Drop those flags, or start a new run with another --out.`,
  );
}

/** Where a resumed run reads its checkpoint and writes its output. */
export interface ResumeTarget {
  /** The run folder (written to). */
  out: string;
  /** A checkpoint folder chosen by the user; absent = the newest intact one of `out`. */
  checkpoint?: string;
  /** The state of the checkpoint whose configuration the run takes. */
  state: CheckpointState;
  stateFile: string;
}

/**
 * Resolves `--resume [PATH]`: PATH is a run folder or one of its checkpoint folders; without PATH, the
 * run in `out`. An explicit `out` differing from PATH's run folder continues the run there (a fork).
 */
export async function resumeTarget(resume: true | string, out: string | undefined, fallbackOut: string): Promise<ResumeTarget> {
  let runDir = out ?? fallbackOut;
  let checkpoint: string | undefined;
  if (typeof resume === 'string') {
    const found = await findCheckpoint(resume, '--resume');
    checkpoint = found.folder;
    if (found.runDir && out === undefined) runDir = found.runDir;
    if (!found.folder && found.runDir) runDir = out ?? found.runDir;
    if (found.folder && !found.runDir && out === undefined) {
      throw new TrainerError('BAD_ARGS', `--resume ${quote(resume)} is a checkpoint outside a run folder; pass --out <folder> to continue the run there.`);
    }
  }
  const ckptDir = path.join(runDir, 'checkpoints');
  let folder = checkpoint;
  if (!folder) {
    // The configuration comes from the newest checkpoint whose state.json reads (the weights are
    // checked when training starts, falling back further if they are damaged).
    const names = (await listCheckpoints(ckptDir)).reverse();
    for (const name of names) {
      const candidate = path.join(ckptDir, name);
      if (await readCheckpointState(candidate).then(() => true, () => false)) {
        folder = candidate;
        break;
      }
    }
    if (!folder) {
      throw new TrainerError('BAD_CHECKPOINT', names.length ? `--resume: no checkpoint in ${quote(ckptDir)} has a readable state.json; start without --resume.` : `--resume: no checkpoint in ${quote(ckptDir)}; start without --resume (or pass --out <run folder>).`);
    }
  }
  const state = await readCheckpointState(folder);
  return { out: runDir, ...(checkpoint ? { checkpoint } : {}), state, stateFile: path.join(folder, 'state.json') };
}

/**
 * The configuration of a resumed run: the checkpoint's (keys added since it was written take their
 * preset's default), then the config file and flags. Keys that may not change are checked later, by
 * `checkResumeConfig`, against the checkpoint the run actually restores.
 */
export function resumedConfig(target: ResumeTarget, preset: string | undefined, layers: Array<[Record<string, unknown>, string]>): TrainConfig {
  const runPreset = target.state.preset;
  if (preset !== undefined && runPreset !== undefined && preset !== runPreset) {
    throw new TrainerError('RESUME_CONFLICT', `--resume: the run was started from preset '${runPreset}', not '${preset}'; drop --preset, or start a new run with another --out.`);
  }
  const base = runPreset ?? preset ?? 'fashion-mnist';
  const saved = { ...(target.state.config as Record<string, unknown>) };
  return resolveConfig(Object.hasOwn(PRESETS, base) ? base : 'fashion-mnist', [saved, `checkpoint ${quote(target.stateFile)}`], ...layers, [{ out: target.out }, 'resume']);
}

/**
 * Cuts `metrics.jsonl` back to the rows of steps ≤ `step` (and drops a line torn by a kill), so that
 * a resumed run continues the record instead of repeating it. Written atomically. Returns the number
 * of rows dropped.
 */
export async function truncateMetrics(file: string, step: number): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      await writeFile(file, '');
      return 0;
    }
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const kept = lines.filter((line) => {
    try {
      const row = JSON.parse(line) as { step?: unknown };
      return typeof row.step === 'number' && row.step <= step;
    } catch {
      return false;
    }
  });
  if (kept.length === lines.length) return 0;
  const temp = `${file}.tmp-${process.pid}`;
  await writeFile(temp, kept.map((l) => `${l}\n`).join(''));
  await rename(temp, file);
  return lines.length - kept.length;
}
