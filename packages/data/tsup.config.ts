import { defineConfig } from 'tsup';

// Three entries: the main one (any environment: no Node module reachable), `./node` (re-exports it,
// plus files, folders, sharp and worker threads) and the worker-thread script the Node pipeline starts
// (dist/worker.js for ESM callers, dist/worker.cjs for CommonJS ones). Shared code is split into chunks
// in both formats, so the entries share one copy of every class (DataError). `shims` gives the CJS
// build an `import.meta.url`, used to find the worker and the bundled data relative to the module file.
export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts', 'src/worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: ['src/index.ts', 'src/node.ts'] },
  splitting: true,
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: [/^@tensorflow\//, 'sharp'],
});
