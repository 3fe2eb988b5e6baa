/** Where test/global-setup.ts bundles the worker for the suites (inside the package so `sharp` resolves; .tmp/ is git-ignored). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.tmp', 'test-worker', 'worker.mjs');
