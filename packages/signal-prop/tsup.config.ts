import { defineConfig } from 'tsup';

// Two builds into one dist/: the library — the main entry (any environment: no Node module reachable)
// and `./node` (re-exports it, plus the CLI as a function, the fs model handler and module lookup), ESM
// + CJS + d.ts, shared code split into chunks so both entries use one copy of every class (`shims` gives
// the CJS build the `import.meta.url` the CLI code resolves package files with) — and the
// `nf-spp` bin (ESM, shebang). The library build cleans dist/ except the bin's files; the bin build
// cleans nothing, so they may run in parallel.
export default defineConfig([
  {
    entry: ['src/index.ts', 'src/node.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    splitting: true,
    shims: true,
    sourcemap: true,
    clean: ['!cli.*'],
    target: 'node20',
    external: [/^@tensorflow\//],
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    sourcemap: true,
    clean: false,
    target: 'node20',
    external: [/^@tensorflow\//],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
