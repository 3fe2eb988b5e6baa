/**
 * Loading the native addon (build/Release/nf_onednn.node, built at install time by
 * scripts/install.mjs) dynamically: when it is missing or fails to load, `loadAddon` says why and
 * how to build it, and nothing else in this package runs native code.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the native addon exports (native/onednn.cc). */
export interface OneDnnAddon {
  /** A convolution on the heap: params as in native/onednn.cc (22 int32 values). */
  conv(heap: ArrayBuffer | ArrayBufferView, params: Int32Array): void;
  /** A (batched) matrix product on the heap: params as in native/onednn.cc (10 int32 values). */
  matMul(heap: ArrayBuffer | ArrayBufferView, params: Int32Array): void;
  info(): { version: string; runtime: string; threads: number; parallelMinFlops: number; cores: number; cacheSize: number; cacheLimit: number; hits: number; misses: number; isa: string };
  /**
   * OpenMP threads for oneDNN calls from the calling thread, and the FLOPs below which a call runs
   * on one thread (default 32e6); returns the previous thread count.
   */
  setThreads(n: number, parallelMinFlops?: number): number;
  /** The oneDNN implementation a conv or matmul gets (e.g. 'brgconv:avx512_core'). */
  implOf(params: Int32Array): string;
  /** oneDNN's sgemm on size × size matrices in native memory, GFLOP/s of the fastest call within `ms`. */
  sgemmGflops(size: number, ms: number): number;
  clearCache(): void;
}

/** How to build the addon, for messages. */
export const ONEDNN_FIX = 'apt-get install libdnnl-dev g++ make, then pnpm rebuild @nf/onednn (or npm rebuild @nf/onednn)';

let loaded: { addon: OneDnnAddon; path: string } | { error: string } | undefined;

/** The package root: dist/ (built) and src/ (tests) both sit one level below it. */
function packageRoot(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  return join(here, '..');
}

/** The addon, or why it is not there (one line naming the fix). Loaded once per thread. */
export function loadAddon(): { addon: OneDnnAddon; path: string } | { error: string } {
  if (loaded) return loaded;
  const path = process.env.NF_ONEDNN_ADDON ?? join(packageRoot(), 'build', 'Release', 'nf_onednn.node');
  if (process.env.NF_ONEDNN === '0') {
    loaded = { error: 'turned off by NF_ONEDNN=0' };
  } else if (!existsSync(path)) {
    loaded = { error: `the native addon is not built (${path} missing); to build it: ${ONEDNN_FIX}` };
  } else {
    try {
      // OpenMP threads sleep between oneDNN calls instead of spinning, unless the user chose: with
      // spinning (libgomp's default) a 3×3 128→128 conv on 2 threads took 28 ms instead of 5 while
      // other processes held the cores (1 thread: 3 ms). libgomp reads this once, when it loads with
      // the addon (from the main thread; a worker thread's process.env is its own copy).
      if (process.env.OMP_WAIT_POLICY === undefined && process.env.GOMP_SPINCOUNT === undefined) process.env.OMP_WAIT_POLICY = 'passive';
      const require = createRequire(join(packageRoot(), 'package.json'));
      loaded = { addon: require(path) as OneDnnAddon, path };
    } catch (e) {
      loaded = { error: `the native addon failed to load (${String((e as Error).message ?? e).split('\n')[0]}); to rebuild it: ${ONEDNN_FIX}` };
    }
  }
  return loaded;
}
