/**
 * The install script never fails an install, the package says why it is inactive and how to fix
 * it, and the addon itself: a SharedArrayBuffer heap (threaded wasm) through a typed array, offset
 * checks, threads and the GEMM peak.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { loadAddon } from '../src/index.js';
import { describeOneDnn } from './support.js';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('install script and status without the addon', () => {
  it('prints one line naming the fix and exits 0 when there is no compiler', () => {
    const run = spawnSync(process.execPath, ['scripts/install.mjs'], { cwd: root, encoding: 'utf8', env: { ...process.env, CXX: '/nonexistent/g++' } });
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^@nf\/onednn: no C\+\+ compiler .*apt-get install libdnnl-dev g\+\+ make, then pnpm rebuild @nf\/onednn/);
  });

  it('oneDnnStatus and registerOneDnnKernels report the missing addon and change nothing', async () => {
    vi.resetModules();
    const off = process.env.NF_ONEDNN;
    delete process.env.NF_ONEDNN;
    process.env.NF_ONEDNN_ADDON = '/nonexistent/nf_onednn.node';
    try {
      const tf = await import('@tensorflow/tfjs-core');
      const fresh = await import('../src/index.js');
      const before = tf.getKernel('Conv2D', 'wasm');
      const status = fresh.registerOneDnnKernels();
      expect(status).toMatchObject({ active: false, available: false, threads: 0, kernels: [] });
      expect(status.reason).toMatch(/not built .*apt-get install libdnnl-dev g\+\+ make, then pnpm rebuild @nf\/onednn/);
      expect(tf.getKernel('Conv2D', 'wasm')).toBe(before);
      expect(() => fresh.setOneDnnThreads(1)).toThrow(/apt-get install libdnnl-dev/);
    } finally {
      delete process.env.NF_ONEDNN_ADDON;
      if (off !== undefined) process.env.NF_ONEDNN = off;
      vi.resetModules();
    }
  });
});

describeOneDnn('the native addon', () => {
  const addon = () => {
    const loaded = loadAddon();
    if ('error' in loaded) throw new Error(loaded.error);
    return loaded.addon;
  };

  it('reads a heap that is a SharedArrayBuffer through a typed array (threaded wasm)', () => {
    const heap = new Float32Array(new SharedArrayBuffer(4 * 64));
    heap.set([1, 2, 3, 4, 5, 6], 0); // A [2, 3]
    heap.set([1, 0, -1, 2, 0.5, 1], 8); // B [3, 2]
    addon().matMul(heap, Int32Array.from([1, 1, 2, 3, 2, 0, 0, 0, 32, 64]));
    expect(Array.from(heap.subarray(16, 20))).toEqual([1 * 1 + 2 * -1 + 3 * 0.5, 1 * 0 + 2 * 2 + 3 * 1, 4 * 1 + 5 * -1 + 6 * 0.5, 4 * 0 + 5 * 2 + 6 * 1]);
    // A plain ArrayBuffer (Node's non-threaded wasm memory) and a typed array at an offset into it.
    const plain = new ArrayBuffer(4 * 64);
    new Float32Array(plain).set(heap.subarray(0, 16));
    addon().matMul(plain, Int32Array.from([1, 1, 2, 3, 2, 0, 0, 0, 32, 64]));
    expect(Array.from(new Float32Array(plain, 64, 4))).toEqual(Array.from(heap.subarray(16, 20)));
  });

  it('refuses offsets outside the memory passed, naming the fix', () => {
    const heap = new ArrayBuffer(64);
    expect(() => addon().matMul(heap, Int32Array.from([1, 1, 4, 4, 4, 0, 0, 0, 0, 64]))).toThrow(/outside the wasm memory passed \(pass the memory's current buffer on every call\)/);
    expect(() => addon().conv(heap, new Int32Array(3))).toThrow(/22 values/);
  });

  it('reports the runtime, sets threads per thread, and measures its GEMM peak', () => {
    const info = addon().info();
    expect(info.runtime).toMatch(/omp|tbb|seq/);
    const previous = addon().setThreads(1);
    expect(addon().info().threads).toBe(1);
    const one = addon().sgemmGflops(256, 50);
    addon().setThreads(previous);
    expect(addon().info().threads).toBe(previous);
    expect(one).toBeGreaterThan(1);
  });
});
