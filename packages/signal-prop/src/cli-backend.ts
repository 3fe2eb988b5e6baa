/**
 * Backends and extra modules for the CLI. The package depends on tfjs-core and tfjs-layers only,
 * so a backend comes from the user's project: modules are resolved as `--import` resolves them
 * (module-import.ts: the working directory first, nf-spp's own dependencies last). `auto` takes wasm
 * when it is installed, else cpu.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SignalPropError } from './errors.js';
import { importModule, type ImportPlaces } from './module-import.js';

export type CliBackend = 'auto' | 'cpu' | 'wasm' | 'tensorflow';
export const CLI_BACKENDS: readonly CliBackend[] = ['auto', 'cpu', 'wasm', 'tensorflow'];

/** Modules that register each backend, tried in order. */
const BACKEND_MODULES: Record<Exclude<CliBackend, 'auto'>, readonly string[]> = {
  cpu: ['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs'],
  wasm: ['@tensorflow/tfjs-backend-wasm'],
  tensorflow: ['@tensorflow/tfjs-node'],
};

async function tryBackend(name: Exclude<CliBackend, 'auto'>, places: ImportPlaces): Promise<boolean> {
  if (!tf.findBackendFactory(name)) {
    for (const spec of BACKEND_MODULES[name]) {
      try {
        if ((await importModule(spec, places)).found && tf.findBackendFactory(name)) break;
      } catch (e) {
        throw new SignalPropError('BAD_OPTION', `backend '${name}': importing ${spec} failed: ${(e as Error).message.split('\n')[0]}`, { cause: e });
      }
    }
  }
  if (!tf.findBackendFactory(name)) return false;
  return tf.setBackend(name);
}

/** Selects a backend; returns its name. */
export async function loadBackend(name: CliBackend, places: ImportPlaces): Promise<string> {
  if (name === 'auto') {
    if (await tryBackend('wasm', places).catch(() => false)) return 'wasm';
    name = 'cpu';
  }
  if (!(await tryBackend(name, places))) {
    throw new SignalPropError('BAD_OPTION', `backend '${name}' is not available: install ${BACKEND_MODULES[name][0]} in your project (npm install ${BACKEND_MODULES[name][0]}@4.22.0) or pick another --backend.`);
  }
  await tf.ready();
  return name;
}
