/**
 * Loads packages the way the trainer sees them: from NF_APP_DIR (the unpacked bundle on the device;
 * default apps/trainer in the workspace), so that scripts under scripts/gpu/ need no node_modules
 * of their own. One copy of tfjs-core results: every @tensorflow package's Node entry is CommonJS.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const appDir = path.resolve(process.env.NF_APP_DIR ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../apps/trainer'));
const require = createRequire(path.join(appDir, 'package.json'));

/** Resolves `name` from the app; ESM-only packages (webgpu) through their package.json `main`. */
export async function loadFrom(name) {
  let file;
  try {
    file = require.resolve(name);
  } catch (e) {
    if (e.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && e.code !== 'MODULE_NOT_FOUND') throw e;
    const pj = require.resolve(`${name}/package.json`);
    const meta = JSON.parse(await (await import('node:fs/promises')).readFile(pj, 'utf8'));
    file = path.join(path.dirname(pj), meta.module ?? meta.main ?? 'index.js');
  }
  return import(pathToFileURL(file).href);
}
