/**
 * The run's output folder: created one level at a time (Node's recursive mkdir spins forever under
 * /proc), checked writable before any training starts, and held with a lock file naming the owner's
 * pid so that two processes never write the same run. A run that fails before writing anything
 * leaves no empty folders behind.
 */
import { constants, readFileSync } from 'node:fs';
import { access, lstat, mkdir, open, readFile, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { TrainerError, quote } from '../errors.js';

export const LOCK_FILE = '.nf-train.lock';
/** Deeper than any real output path; bounds the walk up to an existing folder. */
const MAX_DEPTH = 256;

export interface OutDir {
  /** Absolute path of the folder. */
  dir: string;
  /** Folders this call created, outermost first. */
  created: readonly string[];
  /** Removes the lock; when `failed`, also the folders this call created if nothing else was left in them. */
  release(options?: { failed?: boolean }): Promise<void>;
}

const why = (e: unknown): string => {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'the folder cannot be created there';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return code ?? String((e as Error).message ?? e).split('\n')[0]!;
  }
};

const outError = (dir: string, reason: string) =>
  new TrainerError('OUT_DIR', `cannot write the output folder ${quote(dir)}: ${reason}; choose another --out.`);

/** The deepest existing ancestor of `dir` (or `dir` itself), and the missing levels below it. */
async function existingAncestor(dir: string): Promise<{ base: string; missing: string[] }> {
  const missing: string[] = [];
  let current = dir;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    try {
      const info = await lstat(current);
      if (info.isSymbolicLink()) {
        // Follow a link to a folder (a common way to put runs on another disk).
        const target = await stat(current).catch(() => undefined);
        if (!target?.isDirectory()) throw outError(dir, `${quote(current)} is a link to something that is not a folder`);
      } else if (!info.isDirectory()) throw outError(dir, `${quote(current)} exists and is not a folder`);
      return { base: current, missing: missing.reverse() };
    } catch (e) {
      if (e instanceof TrainerError) throw e;
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw outError(dir, why(e));
    }
    const parent = path.dirname(current);
    if (parent === current) break;
    missing.push(current);
    current = parent;
  }
  throw outError(dir, `no existing folder within ${MAX_DEPTH} levels above it`);
}

/**
 * Whether a process with this pid is alive on this machine (EPERM: alive, not ours). A zombie (killed,
 * not yet reaped by its parent: common in containers whose init does not reap) is not alive.
 */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; the state follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

async function takeLock(dir: string, log: (line: string) => void): Promise<string> {
  const file = path.join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`);
      } finally {
        await handle.close();
      }
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw outError(dir, why(e));
    }
    // A lock exists: refuse while its owner runs; take over a stale one (a killed run).
    let held: Partial<LockOwner> = {};
    try {
      held = JSON.parse(await readFile(file, 'utf8')) as Partial<LockOwner>;
    } catch {
      /* unreadable or half-written: treated as stale */
    }
    const pid = Number(held.pid);
    if ((held.host === undefined || held.host === owner.host) && alive(pid) && pid !== process.pid) {
      throw new TrainerError(
        'LOCKED',
        `the output folder ${quote(dir)} is in use by another nf-train (pid ${pid}, started ${held.started ?? 'at an unknown time'}); wait for it, stop it, or choose another --out.`,
      );
    }
    if (held.host !== undefined && held.host !== owner.host) {
      throw new TrainerError('LOCKED', `the output folder ${quote(dir)} is locked by nf-train on host ${quote(String(held.host))} (pid ${pid}); if that run is over, delete ${quote(file)}.`);
    }
    log(`note: removing a stale lock in ${dir} (pid ${Number.isFinite(pid) ? pid : '?'} is no longer running)`);
    await unlink(file).catch(() => undefined);
  }
  throw new TrainerError('LOCKED', `cannot take the lock ${quote(file)}; another process keeps creating it.`);
}

/**
 * Creates (as needed) and locks the output folder. Fails fast, before any training, when the path is
 * empty, cannot be created, is not writable, or is held by a live run.
 */
export async function prepareOutDir(out: string, log: (line: string) => void = () => undefined): Promise<OutDir> {
  if (typeof out !== 'string' || out.trim() === '') {
    throw new TrainerError('OUT_DIR', `the output folder is empty (--out ${JSON.stringify(out)}); give a folder, e.g. --out runs/my-run.`);
  }
  const dir = path.resolve(out);
  const { base, missing } = await existingAncestor(dir);
  try {
    await access(base, constants.W_OK);
  } catch (e) {
    throw outError(dir, `${quote(base)}: ${why(e)}`);
  }
  const created: string[] = [];
  for (const level of missing) {
    try {
      await mkdir(level);
      created.push(level);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      await removeEmpty(created);
      throw outError(dir, `${quote(level)}: ${why(e)}`);
    }
  }
  let lock: string;
  try {
    lock = await takeLock(dir, log);
  } catch (e) {
    await removeEmpty(created);
    throw e;
  }
  let released = false;
  return {
    dir,
    created,
    async release({ failed = false } = {}) {
      if (released) return;
      released = true;
      await rm(lock, { force: true }).catch(() => undefined);
      if (failed) await removeEmpty(created);
    },
  };
}

/** Removes these folders, innermost first, where they are empty. */
async function removeEmpty(folders: readonly string[]): Promise<void> {
  for (const folder of [...folders].reverse()) {
    try {
      await rmdir(folder);
    } catch {
      return;
    }
  }
}

/** What a run writes into its folder (and `--overwrite` removes). */
const RUN_OUTPUTS = ['checkpoints', 'metrics.jsonl', 'model', 'report.html', 'spp'] as const;

/**
 * Before a fresh (not resumed) run: a folder that already holds a run is refused, so that nothing of
 * it is lost (its metrics overwritten, its checkpoints rotated away); with `overwrite` the previous
 * run's outputs (and only those) are removed first.
 */
export async function claimForFreshRun(dir: string, overwrite: boolean, log: (line: string) => void = () => undefined): Promise<void> {
  const present: string[] = [];
  for (const name of RUN_OUTPUTS) {
    const info = await lstat(path.join(dir, name)).catch(() => undefined);
    if (!info) continue;
    if (name === 'metrics.jsonl' && info.isFile() && info.size === 0) continue;
    present.push(name);
  }
  if (present.length === 0) return;
  if (!overwrite) {
    throw new TrainerError(
      'OUT_DIR',
      `the output folder ${quote(dir)} already holds a run (${present.join(', ')}); continue it with --resume, start over with --overwrite (removes those), or choose another --out.`,
    );
  }
  for (const name of present) await rm(path.join(dir, name), { recursive: true, force: true });
  log(`--overwrite: removed the previous run's ${present.join(', ')} from ${dir}`);
}
