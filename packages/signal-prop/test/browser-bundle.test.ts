/** The main entry (`@nf/signal-prop`) bundles for a browser: no Node module, builtin or unguarded `process` is reached (scripts/browser-bundle.mjs). */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { browserBundle } from '../../../scripts/browser-bundle.mjs';

it('src/index.ts bundles with esbuild for platform browser without reaching Node', async () => {
  const { problems } = await browserBundle(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
  expect(problems).toEqual([]);
}, 60_000);

it('the check catches Node: src/node.ts (the CLI, fs model I/O, module lookup) is refused', async () => {
  const { problems } = await browserBundle(fileURLToPath(new URL('../src/node.ts', import.meta.url)));
  expect(problems.join('\n')).toMatch(/node:fs/);
}, 60_000);
