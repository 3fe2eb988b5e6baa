/**
 * Backends and extra modules for the CLI. The package depends on tfjs-core and tfjs-layers only,
 * so a backend comes from the user's project: modules are resolved from the working directory
 * first, then from this package. `auto` takes wasm when it is installed, else cpu.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { SignalPropError } from './errors.js';

export type CliBackend = 'auto' | 'cpu' | 'wasm' | 'tensorflow';
export const CLI_BACKENDS: readonly CliBackend[] = ['auto', 'cpu', 'wasm', 'tensorflow'];

/** Modules that register each backend, tried in order. */
const BACKEND_MODULES: Record<Exclude<CliBackend, 'auto'>, readonly string[]> = {
  cpu: ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  tensorflow: ['@tensorflow/tfjs-node'],
};

const notFound = (e: unknown) => ['MODULE_NOT_FOUND', 'ERR_MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED'].includes((e as NodeJS.ErrnoException).code ?? '');

/** Imports `spec` as the user's project would (from `cwd`), else from this package; null when absent. */
export async function importFromProject(spec: string, cwd: string): Promise<unknown> {
  const bases = [path.join(path.resolve(cwd), 'package.json'), import.meta.url];
  for (const base of bases) {
    let resolved: string;
    try {
      resolved = createRequire(base).resolve(spec);
    } catch (e) {
      if (notFound(e)) continue;
      throw e;
    }
    return import(pathToFileURL(resolved).href);
  }
  try {
    return await import(spec);
  } catch (e) {
    if (notFound(e)) return null;
    throw e;
  }
}

async function tryBackend(name: Exclude<CliBackend, 'auto'>, cwd: string): Promise<boolean> {
  if (!tf.findBackendFactory(name)) {
    for (const spec of BACKEND_MODULES[name]) {
      try {
        if ((await importFromProject(spec, cwd)) !== null && tf.findBackendFactory(name)) break;
      } catch (e) {
        throw new SignalPropError('BAD_OPTION', `backend '${name}': importing ${spec} failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
      }
    }
  }
  if (!tf.findBackendFactory(name)) return false;
  return tf.setBackend(name);
}

/** Selects a backend; returns its name. */
export async function loadBackend(name: CliBackend, cwd: string): Promise<string> {
  if (name === 'auto') {
    if (await tryBackend('wasm', cwd).catch(() => false)) return 'wasm';
    name = 'cpu';
  }
  if (!(await tryBackend(name, cwd))) {
    throw new SignalPropError('BAD_OPTION', `backend '${name}' is not available: install ${BACKEND_MODULES[name][0]} in your project (npm install ${BACKEND_MODULES[name][0]}@4.22.0) or pick another --backend.`);
  }
  await tf.ready();
  return name;
}
