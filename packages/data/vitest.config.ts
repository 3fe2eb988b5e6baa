import { defineConfig } from 'vitest/config';
import { TEST_WORKER } from './test/test-worker-path.js';

// Tests run the TypeScript sources, but a worker thread needs JavaScript: test/global-setup.ts
// bundles src/worker.ts to TEST_WORKER before the suites start, and the sources find it through
// NF_DATA_TEST_WORKER (read only when running from .ts files).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
    env: { NF_DATA_TEST_WORKER: TEST_WORKER },
  },
});
