/**
 * Where nf-spp finds a module named by `--import` (and a backend): as the user expects, from
 * 1. the current directory's packages (node_modules from there up, or a file path relative to it),
 * 2. the model's folder (node_modules from there up: a model kept inside a project),
 * 3. the workspace (pnpm `pnpm-workspace.yaml`, or npm/yarn `workspaces`) that holds the current
 *    directory, the model or nf-spp itself: a package of that name in it — so in a monorepo such as
 *    the one nf-spp is developed in, `--import @nf/models` works from the repository root,
 * 4. nf-spp's own dependencies.
 * A module that is found nowhere is an error listing every place looked in.
 *
 * Modules are resolved with Node's require resolution (`createRequire(...).resolve`) and loaded with
 * `import()`; tfjs' packages have no `exports` map, so both module systems share one tfjs-core.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where to look: the current directory, and the model's folder when known. */
export interface ImportPlaces {
  readonly cwd: string;
  readonly modelDir?: string;
}

export type ImportResult = { readonly found: true; readonly module: unknown; readonly resolved: string } | { readonly found: false; readonly looked: string[] };

const NOT_FOUND = new Set(['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
const notFound = (e: unknown) => NOT_FOUND.has((e as NodeJS.ErrnoException)?.code ?? '');

/** A package name's part of a bare specifier (`@scope/name/sub` → `@scope/name`); null for paths. */
export function packageName(spec: string): string | null {
  if (spec.startsWith('.') || path.isAbsolute(spec) || spec.startsWith('file:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? (parts.length >= 2 ? `${parts[0]}/${parts[1]}` : null) : parts[0]!;
}

function resolveFrom(spec: string, dir: string): string | null {
  try {
    return createRequire(path.join(path.resolve(dir), 'package.json')).resolve(spec);
  } catch (e) {
    if (notFound(e)) return null;
    throw e;
  }
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The `packages:` globs of a pnpm-workspace.yaml (a list of strings; negations dropped). */
export function pnpmWorkspaceGlobs(text: string): string[] {
  const globs: string[] = [];
  let inPackages = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\S/.test(line)) {
      inPackages = /^packages\s*:\s*$/.test(line);
      continue;
    }
    const item = inPackages ? /^\s+-\s*(['"]?)(.*?)\1\s*$/.exec(line) : null;
    if (item && item[2] && !item[2].startsWith('!')) globs.push(item[2]);
  }
  return globs;
}

/** The workspace root at or above `dir` (exists checks only until one is found), and its package globs. */
export function findWorkspace(dir: string): { root: string; globs: string[] } | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const yaml = path.join(d, 'pnpm-workspace.yaml');
    if (existsSync(yaml)) return { root: d, globs: pnpmWorkspaceGlobs(readFileSync(yaml, 'utf8')) };
    const pkg = path.join(d, 'package.json');
    if (existsSync(pkg)) {
      const ws = readJson(pkg)?.workspaces;
      const globs = Array.isArray(ws) ? ws : Array.isArray((ws as { packages?: unknown })?.packages) ? (ws as { packages: unknown[] }).packages : null;
      if (globs) return { root: d, globs: globs.filter((g): g is string => typeof g === 'string' && !g.startsWith('!')) };
    }
    if (path.dirname(d) === d) return null;
  }
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** Folders a workspace glob names: `a/b`, `a/*`, `a/**` (recursive, node_modules skipped, 4 levels). */
function expandGlob(root: string, glob: string): string[] {
  const clean = glob.replace(/\/+$/, '');
  const star = clean.indexOf('*');
  if (star < 0) return [path.join(root, clean)];
  const base = path.join(root, clean.slice(0, star).replace(/\/$/, ''));
  const recursive = clean.slice(star).startsWith('**');
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (!isDir(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const sub = path.join(dir, entry.name);
      out.push(sub);
      if (recursive && depth < 4) walk(sub, depth + 1);
    }
  };
  walk(base, 1);
  return out;
}

/** The folder of the workspace package called `name`, or null. */
export function workspacePackage(workspace: { root: string; globs: string[] }, name: string): string | null {
  for (const glob of workspace.globs) {
    for (const dir of expandGlob(workspace.root, glob)) {
      const file = path.join(dir, 'package.json');
      if (existsSync(file) && readJson(file)?.name === name) return dir;
    }
  }
  return null;
}

/** Resolves `spec` inside the workspace package at `dir` (its own `exports`, else its `main`). */
function resolveInPackage(spec: string, name: string, dir: string): string {
  const require = createRequire(path.join(dir, 'package.json'));
  let failure: unknown;
  try {
    return require.resolve(spec); // self-reference through the package's own exports map
  } catch (e) {
    if (!notFound(e)) throw e;
    failure = e;
  }
  if (spec === name) {
    try {
      return require.resolve(dir); // a package without exports: its main
    } catch {
      /* report the first failure, which names the missing entry */
    }
  }
  throw new Error(`${name} is in the workspace at ${dir}, but ${spec} does not resolve there (${firstLine(failure)}); is it built? Run its build (pnpm build).`);
}

const firstLine = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!.trim();

const SELF_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Finds and imports `spec`, looking in the places above in order. */
export async function importModule(spec: string, places: ImportPlaces): Promise<ImportResult> {
  const cwd = path.resolve(places.cwd);
  const looked: string[] = [];
  const load = async (resolved: string): Promise<ImportResult> => ({ found: true, module: await import(pathToFileURL(resolved).href), resolved });

  const name = packageName(spec);
  if (name === null) {
    // A file: relative to the current directory, as the shell user typed it.
    const resolved = resolveFrom(spec, cwd);
    if (resolved) return load(resolved);
    return { found: false, looked: [`the file ${path.resolve(cwd, spec)}`] };
  }

  const dirs = [cwd, ...(places.modelDir ? [path.resolve(places.modelDir)] : [])];
  for (const [i, dir] of dirs.entries()) {
    if (i > 0 && dir === cwd) continue;
    const resolved = resolveFrom(spec, dir);
    if (resolved) return load(resolved);
    looked.push(`node_modules from ${dir}${i === 0 ? ' (the current directory)' : " (the model's folder)"}`);
  }

  const roots = new Set<string>();
  for (const dir of [...dirs, SELF_DIR]) {
    const ws = findWorkspace(dir);
    if (!ws || roots.has(ws.root)) continue;
    roots.add(ws.root);
    const pkg = workspacePackage(ws, name);
    if (pkg) return load(resolveInPackage(spec, name, pkg));
    looked.push(`the workspace ${ws.root} (${ws.globs.join(', ')})`);
  }

  const own = resolveFrom(spec, path.dirname(SELF_DIR));
  if (own) return load(own);
  looked.push("nf-spp's own dependencies");
  return { found: false, looked };
}
