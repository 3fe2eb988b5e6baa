import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { useWasmBackend } from './test-support/use-wasm-backend.js';
import './index.js';
import { heapOffset, simdKernels } from './simd-module.js';

describe('our SIMD module on the wasm backend', () => {
  useWasmBackend();

  it('works in place on tensors by heap offset: a strided (transposed) A, tails in K and N', () => {
    const kernels = simdKernels(tf.backend())!;
    const [m, k, n] = [3, 6, 7];
    const at = tf.tensor2d(Array.from({ length: k * m }, (_, i) => (i % 5) - 2), [k, m]);
    const b = tf.tensor2d(Array.from({ length: k * n }, (_, i) => ((i * 7) % 11) / 4), [k, n]);
    const out = tf.zeros([m, n]);
    const backend = tf.backend();
    kernels.matmul_rows(heapOffset(backend, at), 1, m, heapOffset(backend, b), heapOffset(backend, out), m, k, n, 0);
    // Small integers and quarters: every sum is exact, whatever the order.
    const [av, bv] = [at.dataSync(), b.dataSync()];
    const want = Array.from({ length: m * n }, (_, o) => {
      let s = 0;
      for (let i = 0; i < k; i++) s += av[i * m + Math.floor(o / n)]! * bv[i * n + (o % n)]!;
      return s;
    });
    expect(Array.from(out.dataSync())).toEqual(want);
    tf.dispose([at, b, out]);
  });

  it('simd-kernels-wasm.ts holds the bytes compiled from simd-kernels.wat (run build:wasm after editing the .wat)', async () => {
    // @ts-expect-error: a plain .mjs script without types
    const { renderWat } = (await import('../../../scripts/wat-to-ts.mjs')) as { renderWat(input: string, exportName: string): Promise<string> };
    const committed = readFileSync(new URL('./simd-kernels-wasm.ts', import.meta.url), 'utf8');
    expect(committed).toBe(await renderWat(fileURLToPath(new URL('./simd-kernels.wat', import.meta.url)), 'SIMD_KERNELS_WASM_BASE64'));
  });
});
