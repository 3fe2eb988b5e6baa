#!/usr/bin/env node
// The `nf-spp` command. A committed file, so that the bin exists when the package manager links it at
// install time, before the package is built; the command itself is dist/cli.js.
try {
  await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.js')) throw error;
  console.error('nf-spp: @nf/signal-prop is not built (dist/cli.js is missing); run `pnpm build` in the repository first');
  process.exitCode = 1;
}
