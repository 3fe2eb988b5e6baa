/**
 * `@nf/trainer/step` is for browsers too (the playground's worker takes nf-train's step from it):
 * bundled for the browser with the @nf packages it reaches, nothing Node-only may come along — no
 * Node module (esbuild refuses them under platform 'browser'), no use of Node's globals.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('the browser-safe step entry', () => {
  it('bundles for the browser with the @nf packages it reaches, without Node modules or globals', async () => {
    const result = await build({
      entryPoints: [path.join(here, 'step.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['@tensorflow/*'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((f) => f.includes('packages/agc/'))).toBe(true);
    expect(inputs.some((f) => f.includes('packages/data/'))).toBe(true);
    expect(inputs.filter((f) => /worker_threads|node:|sharp/.test(f))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    // Node's globals: a browser has neither (a guarded `typeof process` check is fine).
    expect(code.match(/\bBuffer\.(from|alloc)\b|\brequire\(|\bprocess\.(env|on|once|exit)\b/g) ?? []).toEqual([]);
  });
});
