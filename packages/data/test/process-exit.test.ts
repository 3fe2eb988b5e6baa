/**
 * Built-package check: a process that breaks out of a worker-backed loop, or simply stops
 * iterating, exits on its own (from the ES-module and the CommonJS build). Skipped before `pnpm build`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = existsSync(path.join(root, 'dist', 'node.js')) && existsSync(path.join(root, 'dist', 'worker.cjs'));
const run = promisify(execFile);

const body = `
  const source = data.syntheticImages({ size: 64, height: 16, width: 16 });
  const p = data.createPipeline(source, { batchSize: 4, workers: 2, epochs: Infinity, output: 'arrays', augment: { randAugment: true } });
  for await (const b of p) { if (b.index >= 8) break; }
  if (p.activeWorkers !== 0) throw new Error('workers alive after break');
  const q = data.createPipeline(source, { batchSize: 4, workers: 2, epochs: Infinity, output: 'arrays' });
  const it = q[Symbol.asyncIterator]();
  await it.next(); // abandoned: no break, no close()
  console.log('done', q.activeWorkers);
`;

describe.skipIf(!built)('built package', () => {
  it('ESM: the process exits after break and after an abandoned iteration', async () => {
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', `import * as data from '@nf/data/node';\n${body}`], { cwd: root, timeout: 30_000 });
    expect(stdout.trim()).toBe('done 2');
  });

  it('a V8 flag of the parent that Node refuses in a worker (--experimental-wasm-relaxed-simd, as nf-train runs) is left out, not fatal', async () => {
    const { stdout } = await run(process.execPath, ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', `import * as data from '@nf/data/node';\n${body}`], { cwd: root, timeout: 30_000 });
    expect(stdout.trim()).toBe('done 2');
  });

  it('CommonJS: the same through require and dist/worker.cjs', async () => {
    const { stdout } = await run(process.execPath, ['-e', `const data = require('@nf/data/node');\n(async () => {${body}})();`], { cwd: root, timeout: 30_000 });
    expect(stdout.trim()).toBe('done 2');
  });
});
