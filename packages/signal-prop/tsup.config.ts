import { defineConfig } from 'tsup';

// Two builds into one dist/: the library (ESM + CJS + d.ts) and the `nf-spp` bin (ESM, shebang).
// Each one cleans dist/ except the other's files, so they may run in parallel.
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: ['!cli.*'],
    target: 'node20',
    external: [/^@tensorflow\//],
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    clean: ['!index.*'],
    target: 'node20',
    external: [/^@tensorflow\//],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
