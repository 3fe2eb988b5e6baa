import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/temp-dir.js';
import { findWorkspace, importModule, packageName, pnpmWorkspaceGlobs, workspacePackage } from './module-import.js';

const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Writes `files` (path → text) under `root`. */
function tree(root: string, files: Record<string, string | object>): void {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(root, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, typeof content === 'string' ? content : JSON.stringify(content));
  }
}

describe('where --import looks', () => {
  const tmp = makeTempDir('import');
  const root = tmp.dir;
  const ws = path.join(root, 'ws');
  const elsewhere = path.join(root, 'elsewhere');
  beforeAll(() => {
    tree(root, {
      'ws/pnpm-workspace.yaml': "# a workspace\npackages:\n  - 'libs/*'\n  - \"tools/**\"   # nested\n  - '!**/test/**'\nonlyBuiltDependencies:\n  - esbuild\n",
      'ws/libs/fake-layers/package.json': { name: 'fake-layers', main: 'index.cjs' },
      'ws/libs/fake-layers/index.cjs': "module.exports = { id: 'fake-layers' };\n",
      'ws/tools/deep/unbuilt/package.json': { name: '@fake/unbuilt', type: 'module', exports: { '.': { import: './dist/index.js', require: './dist/index.cjs' } } },
      'ws/tools/deep/built/package.json': { name: '@fake/built', exports: { '.': './index.cjs', './extra': './extra.cjs' } },
      'ws/tools/deep/built/index.cjs': "module.exports = { id: 'built' };\n",
      'ws/tools/deep/built/extra.cjs': "module.exports = { id: 'built/extra' };\n",
      'ws/app/models/m/model.json': '{}',
      'proj/node_modules/model-mod/package.json': { name: 'model-mod', main: 'main.cjs' },
      'proj/node_modules/model-mod/main.cjs': "module.exports = { id: 'model-mod' };\n",
      'proj/models/m/model.json': '{}',
      'npm-ws/package.json': { name: 'root', private: true, workspaces: ['pkgs/*'] },
      'npm-ws/pkgs/a/package.json': { name: 'npm-a', main: 'a.cjs' },
      'npm-ws/pkgs/a/a.cjs': "module.exports = { id: 'npm-a' };\n",
      'elsewhere/local.cjs': "module.exports = { id: 'local' };\n",
    });
  });
  afterAll(() => tmp.remove());

  const idOf = (r: Awaited<ReturnType<typeof importModule>>) => (r.found ? (r.module as { default: { id: string } }).default.id : null);

  it('reads package names and pnpm-workspace.yaml globs', () => {
    expect(['@nf/models', '@nf/models/sub', 'yaml', 'a/b', './x.js', '/abs/x.js', 'file:///x.js', '@broken'].map(packageName)).toEqual(['@nf/models', '@nf/models', 'yaml', 'a', null, null, null, null]);
    expect(pnpmWorkspaceGlobs("packages:\n  - 'libs/*'\n  - \"tools/**\"   # nested\n  - '!**/test/**'\nother:\n  - x\n")).toEqual(['libs/*', 'tools/**']);
    expect(findWorkspace(path.join(ws, 'app', 'models'))).toEqual({ root: ws, globs: ['libs/*', 'tools/**'] });
    expect(findWorkspace(path.join(root, 'npm-ws', 'pkgs', 'a'))).toEqual({ root: path.join(root, 'npm-ws'), globs: ['pkgs/*'] });
  });

  it('1. from the current directory: a file path, or node_modules from there up', async () => {
    expect(idOf(await importModule('./local.cjs', { cwd: elsewhere }))).toBe('local');
    expect(await importModule('./missing.cjs', { cwd: elsewhere })).toEqual({ found: false, looked: [`the file ${path.join(elsewhere, 'missing.cjs')}`] });
    expect(idOf(await importModule('model-mod', { cwd: path.join(root, 'proj', 'models') }))).toBe('model-mod');
  });

  it("2. from the model's folder (a model kept inside a project)", async () => {
    const r = await importModule('model-mod', { cwd: elsewhere, modelDir: path.join(root, 'proj', 'models', 'm') });
    expect(idOf(r)).toBe('model-mod');
    expect(r.found && r.resolved).toBe(path.join(root, 'proj', 'node_modules', 'model-mod', 'main.cjs'));
  });

  it('3. from the workspace of the current directory or of the model (pnpm and npm/yarn workspaces), subpaths through exports', async () => {
    expect(idOf(await importModule('fake-layers', { cwd: path.join(ws, 'app') }))).toBe('fake-layers');
    expect(idOf(await importModule('fake-layers', { cwd: elsewhere, modelDir: path.join(ws, 'app', 'models', 'm') }))).toBe('fake-layers');
    expect(idOf(await importModule('@fake/built', { cwd: ws }))).toBe('built');
    expect(idOf(await importModule('@fake/built/extra', { cwd: ws }))).toBe('built/extra');
    expect(idOf(await importModule('npm-a', { cwd: path.join(root, 'npm-ws') }))).toBe('npm-a');
    await expect(importModule('@fake/unbuilt', { cwd: ws })).rejects.toThrow(
      new RegExp(`^@fake/unbuilt is in the workspace at ${path.join(ws, 'tools', 'deep', 'unbuilt').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, but @fake/unbuilt does not resolve there \\(.*\\); is it built\\? Run its build \\(pnpm build\\)\\.$`),
    );
  });

  it("3. in this repository: the workspace nf-spp itself lives in holds the repository's packages (found from anywhere)", () => {
    const repo = findWorkspace(packageDir)!;
    expect(repo.globs).toContain('packages/*');
    expect(workspacePackage(repo, '@nf/models')).toBe(path.join(repo.root, 'packages', 'models'));
    expect(workspacePackage(repo, '@nf/no-such-package')).toBeNull();
  });

  it('a module found nowhere: every place looked in, in order', async () => {
    const modelDir = path.join(ws, 'app', 'models', 'm');
    const repo = findWorkspace(packageDir)!;
    const r = await importModule('no-such-module-xyz', { cwd: elsewhere, modelDir });
    expect(r).toEqual({
      found: false,
      looked: [
        `node_modules from ${elsewhere} (the current directory)`,
        `node_modules from ${modelDir} (the model's folder)`,
        `the workspace ${repo.root} (${repo.globs.join(', ')})`,
        `the workspace ${ws} (libs/*, tools/**)`,
        "nf-spp's own dependencies",
      ],
    });
  });
});
