#!/usr/bin/env node
/**
 * The repository must stand alone: a user's clone has nothing beside it (no ../shared).
 *
 *   node scripts/check-standalone.mjs                 static check only
 *   node scripts/check-standalone.mjs -- CMD ARGS…    static check, then CMD under the runtime guard
 *
 * Static check: every tracked source, script and config file (not Markdown) is searched for relative
 * paths that climb out of the repository from the file's own folder (`../../../../<sibling>/x`), for
 * paths into a sibling `shared/` folder, and for absolute paths under /work. Runtime check: CMD runs
 * with scripts/standalone-guard.cjs preloaded into every Node process (NODE_OPTIONS), which fails and
 * records any file-system access to the repository's parent folder outside the repository; the check
 * fails when anything was recorded, even if the caller swallowed the error. Exit status: CMD's, or 1.
 * A line that builds a path relative to something else (a staged bundle) says `standalone-ok: why`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CODE = /\.(?:[cm]?[jt]sx?|json|ya?ml|sh|py|wat|toml|html)$|(?:^|\/)\.ci\/run$/;
const SKIP = /(?:^|\/)(?:pnpm-lock\.yaml|node_modules\/)/;

/** Tracked files (the clone a user gets); untracked files are not part of it. */
function trackedFiles() {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\0').filter(Boolean);
  } catch {
    console.error('check-standalone: not a git checkout; the static check needs `git ls-files`');
    process.exit(1);
  }
}

/** Lines of `text` that reach outside the repository, as "file:line: why". */
export function outsideReferences(file, text) {
  const found = [];
  const dir = path.dirname(path.join(root, file));
  text.split('\n').forEach((line, i) => {
    const where = `${file}:${i + 1}`;
    if (line.includes('standalone-ok')) return; // a path relative to something other than the file (say what)
    for (const match of line.matchAll(/(?:\.\.\/)+[\w.@-][^\s'"`)]*/g)) {
      const target = path.resolve(dir, match[0]);
      if (target !== root && !target.startsWith(root + path.sep)) found.push(`${where}: ${match[0]} leaves the repository (from ${path.dirname(file) || '.'})`);
    }
    if (/(?:^|[^\w-])shared\/(?:fixtures|reference|guides)\b/.test(line)) found.push(`${where}: names a shared/ folder that a clone does not have`);
    if (/['"`]\/work\//.test(line)) found.push(`${where}: an absolute path under /work`);
  });
  return found;
}

function staticCheck() {
  const self = path.relative(root, fileURLToPath(import.meta.url));
  const problems = [];
  for (const file of trackedFiles()) {
    if (!CODE.test(file) || SKIP.test(file) || file === self) continue;
    const full = path.join(root, file);
    if (!existsSync(full)) continue;
    problems.push(...outsideReferences(file, readFileSync(full, 'utf8')));
  }
  return problems;
}

const problems = staticCheck();
if (problems.length > 0) {
  console.error(`check-standalone: ${problems.length} reference(s) outside the repository (a user's clone has nothing beside it; copy what is needed into the repository):`);
  for (const p of problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log('check-standalone: no tracked file refers outside the repository');

const dash = process.argv.indexOf('--');
if (dash < 0) process.exit(0);
const [cmd, ...args] = process.argv.slice(dash + 1);
if (!cmd) {
  console.error('check-standalone: nothing to run after --');
  process.exit(1);
}
const logDir = mkdtempSync(path.join(tmpdir(), 'nf-guard-'));
const log = path.join(logDir, 'outside.log');
const guard = path.join(root, 'scripts', 'standalone-guard.cjs');
const env = {
  ...process.env,
  NF_GUARD_ROOT: root,
  NF_GUARD_LOG: log,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${JSON.stringify(guard)}`.trim(),
};
const run = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit', shell: process.platform === 'win32' });
const outside = existsSync(log) ? [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))] : [];
rmSync(logDir, { recursive: true, force: true });
if (outside.length > 0) {
  console.error(`check-standalone: the run touched ${outside.length} path(s) outside the repository (a user's clone has nothing beside it):`);
  for (const line of outside.slice(0, 20)) console.error(`  ${line}`);
  process.exit(1);
}
console.log('check-standalone: the run read nothing outside the repository');
process.exit(run.status ?? 1);
