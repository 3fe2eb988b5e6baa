import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, prepareOutDir } from './out-dir.js';
import { TrainerError } from '../errors.js';

const root = mkdtempSync(path.join(tmpdir(), 'nf-out-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `case-${n++}`);

async function failure(out: string): Promise<TrainerError> {
  const started = performance.now();
  const error = await prepareOutDir(out).then(
    () => undefined,
    (e: unknown) => e,
  );
  // Fails fast: never a loop (Node's recursive mkdir spins forever under /proc).
  expect(performance.now() - started).toBeLessThan(5_000);
  expect(error).toBeInstanceOf(TrainerError);
  expect((error as Error).message).not.toMatch(/\n/);
  return error as TrainerError;
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('the output folder', () => {
  it('creates missing levels, takes a lock with the pid, and releases it', async () => {
    const out = path.join(fresh(), 'a', 'b');
    const dir = await prepareOutDir(out);
    expect(dir.dir).toBe(out);
    expect(dir.created).toHaveLength(3);
    const lock = JSON.parse(readFileSync(path.join(out, LOCK_FILE), 'utf8')) as { pid: number; host: string };
    expect(lock).toMatchObject({ pid: process.pid, host: hostname() });
    await dir.release();
    expect(existsSync(path.join(out, LOCK_FILE))).toBe(false);
    expect(existsSync(out)).toBe(true);
  });

  it('a failed run removes the folders it created when they are empty, and only those', async () => {
    const parent = fresh();
    mkdirSync(parent);
    const out = path.join(parent, 'x', 'y');
    const dir = await prepareOutDir(out);
    await dir.release({ failed: true });
    expect(readdirSync(parent)).toEqual([]);
    // A folder that already existed, or holds something, stays.
    const kept = path.join(parent, 'kept');
    const again = await prepareOutDir(kept);
    writeFileSync(path.join(kept, 'metrics.jsonl'), '{}\n');
    await again.release({ failed: true });
    expect(readdirSync(kept)).toEqual(['metrics.jsonl']);
  });

  it('refuses a second writer while the first runs; takes over a stale lock of a dead process', async () => {
    const out = fresh();
    const first = await prepareOutDir(out);
    // Another live process holds it (our parent here): refused, naming the pid.
    writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: process.ppid, host: hostname(), started: 'earlier' }));
    const e = await failure(out);
    expect(e.code).toBe('LOCKED');
    expect(e.message).toMatch(new RegExp(`in use by another nf-train \\(pid ${process.ppid}, started earlier\\); wait for it, stop it, or choose another --out\\.$`));
    // The holder was killed (kill -9 leaves its lock): the next run takes over, saying so.
    writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: deadPid(), host: hostname() }));
    const lines: string[] = [];
    const second = await prepareOutDir(out, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/removing a stale lock/);
    // A half-written lock file is stale too.
    await second.release();
    writeFileSync(path.join(out, LOCK_FILE), '{"pid": 12');
    await (await prepareOutDir(out)).release();
    await first.release();
  });

  it('a lock from another host is not taken over silently', async () => {
    const out = fresh();
    mkdirSync(out);
    writeFileSync(path.join(out, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere' }));
    const e = await failure(out);
    expect(e.code).toBe('LOCKED');
    expect(e.message).toMatch(/locked by nf-train on host 'elsewhere' \(pid 1\); if that run is over, delete/);
  });

  it.each([
    ['an empty path', () => '', /^the output folder is empty \(--out ""\); give a folder, e\.g\. --out runs\/my-run\.$/],
    ['blank', () => '   ', /^the output folder is empty/],
    ['a path under /proc', () => '/proc/nf-train-test/run', /^cannot write the output folder '\/proc\/nf-train-test\/run': '\/proc\/nf-train-test': .*; choose another --out\.$/],
    [
      'a path through a file',
      () => {
        const file = path.join(fresh());
        writeFileSync(file, 'x');
        return path.join(file, 'run');
      },
      /: a part of the path is a file, not a folder; choose another --out\.$/,
    ],
    [
      'a file where the folder should be',
      () => {
        const file = fresh();
        writeFileSync(file, 'x');
        return file;
      },
      /exists and is not a folder/,
    ],
    [
      'a dangling link',
      () => {
        const link = fresh();
        symlinkSync(path.join(root, 'nowhere'), link);
        return link;
      },
      /is a link to something that is not a folder/,
    ],
    [
      'a name with a newline (one line)',
      () => {
        const file = `${fresh()}\nx`;
        writeFileSync(file, 'x');
        return path.join(file, 'run');
      },
      /^cannot write the output folder ".*\\nx\/run": a part of the path is a file, not a folder/,
    ],
  ])('fails at once with one line: %s', async (_, make, message) => {
    const e = await failure(make());
    expect(e.code).toBe('OUT_DIR');
    expect(e.message).toMatch(message);
  });

  it.skipIf(!existsSync('/sys/kernel') || process.getuid?.() !== 0)('a read-only file system says so (not ENOENT)', async () => {
    // /sys is mounted read-only in containers, or refuses new folders: either way one clear line.
    const e = await failure('/sys/kernel/nf-train-test');
    expect(e.message).toMatch(/^cannot write the output folder '\/sys\/kernel\/nf-train-test': .*(read-only|permission denied|cannot be created)/);
  });
});
