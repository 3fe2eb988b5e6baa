#!/usr/bin/env node
/**
 * Install script of @nf/onednn: builds the native addon (build/Release/nf_onednn.node) from source
 * with node-gyp against the system's oneDNN (Debian: libdnnl-dev). It never fails the install:
 * without a compiler, without oneDNN's headers, or when node-gyp fails, it prints ONE line saying
 * so and how to enable the accelerator, and exits 0 — @nf/onednn then reports itself inactive and
 * everything runs on the wasm backend's own kernels. The full node-gyp output is in build-log.txt.
 * NF_ONEDNN_SKIP_BUILD=1 skips the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIX = 'apt-get install libdnnl-dev g++ make, then pnpm rebuild @nf/onednn (or npm rebuild @nf/onednn)';
const say = (what) => console.log(`@nf/onednn: ${what}; the oneDNN accelerator is off (wasm kernels are used). To enable it: ${FIX}.`);

function onPath(cmd) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));
}

function nodeGyp() {
  // Our devDependency (in the workspace), npm's own (npm sets npm_config_node_gyp), else node-gyp on PATH.
  try {
    return [process.execPath, createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js')];
  } catch {}
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return [process.execPath, process.env.npm_config_node_gyp];
  if (onPath('node-gyp')) return ['node-gyp'];
  return null;
}

function main() {
  if (process.env.NF_ONEDNN_SKIP_BUILD === '1') return say('build skipped (NF_ONEDNN_SKIP_BUILD=1)');
  const cxx = process.env.CXX ?? 'g++';
  if (!onPath(cxx) && !existsSync(cxx)) return say(`no C++ compiler (${cxx}) found`);
  if (!onPath('make')) return say('make not found');
  const includes = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(delimiter).filter(Boolean)];
  if (!includes.some((d) => existsSync(join(d, 'oneapi', 'dnnl', 'dnnl.hpp')))) return say('oneDNN headers (oneapi/dnnl/dnnl.hpp) not found');
  const gyp = nodeGyp();
  if (!gyp) return say('node-gyp not found');
  // Node's headers: the install's own (<prefix>/include/node beside <prefix>/bin/node, as Debian's
  // nodejs and the official tarballs lay them out) unless nodedir is configured; node-gyp would
  // otherwise download them.
  const args = ['rebuild', '--loglevel=warn'];
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  const run = spawnSync(gyp[0], [...gyp.slice(1), ...args], { cwd: root, encoding: 'utf8', env: process.env, timeout: 600_000 });
  writeFileSync(join(root, 'build-log.txt'), `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`);
  if (run.status !== 0 || !existsSync(join(root, 'build', 'Release', 'nf_onednn.node'))) {
    const lastError = `${run.stderr ?? ''}`.split('\n').find((l) => /error/i.test(l))?.trim();
    return say(`the native build failed${lastError ? ` (${lastError.slice(0, 160)})` : ''}, see ${join(root, 'build-log.txt')}`);
  }
  console.log('@nf/onednn: native addon built (build/Release/nf_onednn.node); the oneDNN accelerator is available.');
}

try {
  main();
} catch (e) {
  say(`the build could not run (${String(e?.message ?? e).split('\n')[0]})`);
}
process.exit(0);
