/**
 * Bundles the worker entry from the current sources before the suites run, so pipeline tests with
 * workers > 0 exercise the same code as the rest of the suite (no stale dist/); and, beside it, the
 * child-process entry of the hostile-input suite (test/hostile-child.ts).
 */
import path from 'node:path';
import { build } from 'tsup';
import { TEST_WORKER } from './test-worker-path.js';

export default async function setup(): Promise<void> {
  const out = TEST_WORKER;
  await build({
    entry: { worker: 'src/worker.ts', 'hostile-child': 'test/hostile-child.ts' },
    outDir: path.dirname(out),
    outExtension: () => ({ js: '.mjs' }),
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    external: ['sharp'],
    config: false,
    silent: true,
    clean: true,
    sourcemap: false,
    dts: false,
  });
}
