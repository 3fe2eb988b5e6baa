/**
 * Importing @nf/wasm-kernels before @tensorflow/tfjs-backend-wasm (nf-train's entry did) must still
 * leave our kernels in place: no "already registered" warning from the backend's later import, the
 * faster Conv2DBackpropInput kept, and the wrapping kernels installed over the upstream ones.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('import order', () => {
  it.each([
    ['@nf/wasm-kernels first', "await import('@nf/wasm-kernels'); await import('@tensorflow/tfjs-backend-wasm');"],
    ['the backend first', "await import('@tensorflow/tfjs-backend-wasm'); await import('@nf/wasm-kernels');"],
  ])('%s: every kernel ours, nothing printed', (_, imports) => {
    const script = `${imports}
      const tf = await import('@tensorflow/tfjs-core');
      const replaced = ['Conv2DBackpropInput', 'BatchMatMul', 'Identity', 'Exp', 'Sum'].filter((k) => tf.getKernel(k, 'wasm')?.nfReplaced === true);
      console.log(JSON.stringify({ replaced, backprop: tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined }));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/already registered/);
    expect(JSON.parse(run.stdout.trim())).toEqual({ replaced: ['Conv2DBackpropInput', 'BatchMatMul', 'Identity', 'Exp', 'Sum'], backprop: true });
  });
});
