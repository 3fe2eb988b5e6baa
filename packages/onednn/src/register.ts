/**
 * Registering the oneDNN kernels on the wasm backend, and putting the previous ones back. Nothing
 * happens on import: `registerOneDnnKernels()` loads the native addon (when built) and replaces
 * the wasm kernels listed in ONEDNN_KERNEL_FACTORIES, keeping each previous config both as the
 * fallback for calls oneDNN cannot take and for `unregisterOneDnnKernels()` (A/B tests).
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, ONEDNN_FIX, type OneDnnAddon } from './addon.js';
import { OneDnnError } from './errors.js';
import { ONEDNN_KERNEL_FACTORIES } from './kernels.js';

export interface OneDnnStatus {
  /** True while the oneDNN kernels are registered on the wasm backend. */
  active: boolean;
  /** Whether the native addon is built and loads. */
  available: boolean;
  /** Why it is not active (one line, naming the fix where there is one). */
  reason?: string;
  /** oneDNN threads for calls from this thread (OpenMP). 0 when unavailable. */
  threads: number;
  /** Calls of fewer FLOPs run on one thread. */
  parallelMinFlops?: number;
  /** oneDNN version, CPU runtime ('omp' on Debian) and the instruction set it runs. */
  version?: string;
  runtime?: string;
  isa?: string;
  /** The kernels registered (when active). */
  kernels: string[];
}

export interface RegisterOptions {
  /** oneDNN threads for calls from this thread (default: OpenMP's, i.e. every core or OMP_NUM_THREADS). */
  threads?: number;
  /**
   * Calls of fewer FLOPs run on one thread (default 32e6, ~0.15 ms at this machine's one-core GEMM
   * rate): an OpenMP fork and join costs more than it saves on small convolutions, and much more
   * while another process holds a core.
   */
  parallelMinFlops?: number;
}

/** Previous configs of the kernels we replaced (undefined: there was none). */
const replaced = new Map<string, tf.KernelConfig | undefined>();

function addonOrNull(): { addon: OneDnnAddon } | { error: string } {
  return loadAddon();
}

/** The accelerator's state in this thread, without changing anything. */
export function oneDnnStatus(): OneDnnStatus {
  const loaded = addonOrNull();
  if ('error' in loaded) return { active: false, available: false, reason: loaded.error, threads: 0, kernels: [] };
  const info = loaded.addon.info();
  const kernels = [...replaced.keys()];
  const active = kernels.length > 0;
  return {
    active,
    available: true,
    ...(active ? {} : { reason: 'available but not registered: call registerOneDnnKernels()' }),
    threads: info.threads,
    parallelMinFlops: info.parallelMinFlops,
    version: info.version,
    runtime: info.runtime,
    isa: info.isa,
    kernels,
  };
}

/**
 * Replaces the wasm backend's convolution and matrix-product kernels with oneDNN's when the native
 * addon is built; otherwise changes nothing and says why. Call it after importing
 * @tensorflow/tfjs-backend-wasm (and @nf/wasm-kernels, whose kernels become the fallbacks).
 * Calling it again only updates `threads`.
 */
export function registerOneDnnKernels(options: RegisterOptions = {}): OneDnnStatus {
  const loaded = addonOrNull();
  if ('error' in loaded) return oneDnnStatus();
  const { addon } = loaded;
  if (options.threads !== undefined || options.parallelMinFlops !== undefined) {
    const threads = options.threads ?? addon.info().threads;
    if (!Number.isInteger(threads) || threads < 1) throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: threads must be an integer >= 1, received ${String(options.threads)}.`);
    const min = options.parallelMinFlops;
    if (min !== undefined && !(min >= 0)) throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: parallelMinFlops must be a number >= 0, received ${String(min)}.`);
    if (min === undefined) addon.setThreads(threads);
    else addon.setThreads(threads, min);
  }
  if (replaced.size === 0) {
    for (const [name, factory] of ONEDNN_KERNEL_FACTORIES) {
      const previous = tf.getKernel(name, 'wasm');
      if (previous !== undefined) tf.unregisterKernel(name, 'wasm');
      replaced.set(name, previous);
      // nfReplaced: @nf/wasm-kernels' registerWasmTrainingKernels() leaves such kernels alone.
      tf.registerKernel({ ...factory(addon, previous), nfReplaced: true, nfOneDnn: true } as tf.KernelConfig);
    }
  }
  return oneDnnStatus();
}

/** Puts back the kernels registerOneDnnKernels() replaced (for A/B comparisons). Returns their names. */
export function unregisterOneDnnKernels(): string[] {
  const names = [...replaced.keys()];
  for (const [name, previous] of replaced) {
    if ((tf.getKernel(name, 'wasm') as { nfOneDnn?: boolean } | undefined)?.nfOneDnn) tf.unregisterKernel(name, 'wasm');
    if (previous !== undefined && tf.getKernel(name, 'wasm') === undefined) tf.registerKernel(previous);
  }
  replaced.clear();
  return names;
}

/** Sets oneDNN's threads for calls from this thread; returns the previous count. Throws when the addon is not built. */
export function setOneDnnThreads(threads: number): number {
  const loaded = addonOrNull();
  if ('error' in loaded) throw new OneDnnError('UNAVAILABLE', `@nf/onednn: ${loaded.error}.`);
  if (!Number.isInteger(threads) || threads < 1) throw new OneDnnError('BAD_ARGUMENT', `@nf/onednn: threads must be an integer >= 1, received ${String(threads)}.`);
  return loaded.addon.setThreads(threads);
}

/** oneDNN's sgemm rate on size × size matrices (GFLOP/s, fastest call within `ms`), on this thread's oneDNN threads: the machine's GEMM peak as oneDNN reaches it. */
export function oneDnnGemmGflops(size = 1024, ms = 1000): number {
  const loaded = addonOrNull();
  if ('error' in loaded) throw new OneDnnError('UNAVAILABLE', `@nf/onednn: ${loaded.error}.`);
  return loaded.addon.sgemmGflops(size, ms);
}

export { ONEDNN_FIX };
