import { defineConfig } from 'tsup';

// Two entries: the library, and the worker-thread script the pipeline starts (dist/worker.js for
// ESM callers, dist/worker.cjs for CommonJS ones). `shims` gives the CJS build an `import.meta.url`,
// used to find the worker and the bundled data relative to the module file.
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  external: [/^@tensorflow\//, 'sharp'],
});
