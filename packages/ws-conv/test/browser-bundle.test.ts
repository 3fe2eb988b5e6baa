/** The package (`@nf/ws-conv`) bundles for a browser: no Node module, builtin or unguarded `process` is reached (scripts/browser-bundle.mjs). */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { browserBundle } from '../../../scripts/browser-bundle.mjs';

it('src/index.ts bundles with esbuild for platform browser without reaching Node', async () => {
  const { problems } = await browserBundle(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
  expect(problems).toEqual([]);
}, 60_000);

