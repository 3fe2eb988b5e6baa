/**
 * Where the package's own files are at run time: this module sits one folder below the package
 * root both as TypeScript source (src/) and when built (dist/; tsup's shim gives the CommonJS
 * build an `import.meta.url`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const moduleFile = fileURLToPath(import.meta.url);
const moduleDir = path.dirname(moduleFile);

/** The package folder (holding package.json, dist/ and data/). */
export const packageRoot = path.resolve(moduleDir, '..');

/** The folder of the bundled Fashion-MNIST subset. */
export const bundledFashionMnistDir = path.join(packageRoot, 'data', 'fashion-mnist');

/**
 * The worker-thread script: dist/worker.js beside an ES-module build, dist/worker.cjs beside a
 * CommonJS one. When running the TypeScript sources (the test suite), the bundle test/global-setup.ts
 * writes, else dist/worker.js.
 */
export function workerScriptPath(): string {
  const ext = path.extname(moduleFile);
  if (ext === '.cjs') return path.join(moduleDir, 'worker.cjs');
  if (ext === '.js' || ext === '.mjs') return path.join(moduleDir, 'worker.js');
  const fromTests = process.env.NF_DATA_TEST_WORKER;
  if (fromTests && existsSync(fromTests)) return fromTests;
  return path.join(packageRoot, 'dist', 'worker.js');
}
