import { defineConfig } from 'tsup';

// Two entries: the main one (any environment: no Node module reachable) and `./node` (re-exports it,
// plus folders, paths and .npz). Shared code is split into chunks in both formats, so both entries use
// one copy of every class (ModelsError, the registered layers) when a program imports both.
export default defineConfig({
  entry: ['src/index.ts', 'src/node.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  splitting: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  external: [/^@tensorflow\//, /^@nf\//],
});
