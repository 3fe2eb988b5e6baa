/** Where test/global-setup.ts bundles the worker for the suites (inside the package so `sharp` resolves; .tmp/ is git-ignored). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.tmp', 'test-worker', 'worker.mjs');

/** The hostile-input suite's child-process entry (test/hostile-child.ts), bundled beside the worker. */
export const HOSTILE_CHILD = path.join(path.dirname(TEST_WORKER), 'hostile-child.mjs');
