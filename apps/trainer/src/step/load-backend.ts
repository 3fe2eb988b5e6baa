/**
 * Backends: auto | tensorflow-gpu | tensorflow | webgpu | wasm | cpu. The tfjs-node packages and
 * WebGPU (Dawn through the `webgpu` package) are optional and loaded dynamically: when absent or
 * broken, one line says so and how to install them, and `auto` moves on to wasm (with our training
 * kernels), then cpu.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

/** The optional native accelerator of the wasm backend (@nf/onednn): auto = when built, onednn = required, none = off. */
export type AcceleratorName = 'auto' | 'onednn' | 'none';

export interface AcceleratorChoice {
  active: boolean;
  /** One line: what runs (oneDNN version, ISA, threads), or why not and how to enable it. */
  line: string;
  /** oneDNN threads of this thread (0 when inactive). */
  threads: number;
}

export interface BackendChoice {
  name: string;
  detail: string;
  notes: string[];
  /** Set on wasm: whether @nf/onednn's kernels are registered. */
  accelerator?: AcceleratorChoice;
}

export interface AcceleratorOptions {
  accelerator?: AcceleratorName;
  /** oneDNN threads for this thread (default: every core). */
  acceleratorThreads?: number;
}

const ONEDNN_FIX = 'apt-get install libdnnl-dev g++ make, then pnpm rebuild @nf/onednn';

interface OneDnnModule {
  registerOneDnnKernels(options?: { threads?: number }): { active: boolean; reason?: string; threads: number; version?: string; isa?: string };
  unregisterOneDnnKernels(): string[];
  oneDnnStatus(): { active: boolean; threads: number };
  setOneDnnThreads(threads: number): number;
}

async function oneDnnModule(): Promise<OneDnnModule | undefined> {
  try {
    return (await import(/* @vite-ignore */ '@nf/onednn' as string)) as OneDnnModule;
  } catch {
    return undefined;
  }
}

/** Whether @nf/onednn's kernels are registered in this thread, and its oneDNN threads. */
export async function acceleratorState(): Promise<{ active: boolean; threads: number }> {
  const mod = await oneDnnModule();
  if (!mod) return { active: false, threads: 0 };
  const { active, threads } = mod.oneDnnStatus();
  return { active, threads };
}

/** Sets this thread's oneDNN threads when the accelerator is active; returns the previous count (0 when inactive). */
export async function setAcceleratorThreads(threads: number): Promise<number> {
  const mod = await oneDnnModule();
  if (!mod || !mod.oneDnnStatus().active) return 0;
  return mod.setOneDnnThreads(threads);
}

/**
 * Registers (or, for 'none', removes) @nf/onednn's kernels on the wasm backend. `onednn` when the
 * addon is not there is an error naming the fix; `auto` then runs the wasm kernels.
 */
export async function loadAccelerator(mode: AcceleratorName, threads?: number): Promise<AcceleratorChoice> {
  let mod: OneDnnModule | undefined;
  try {
    mod = (await import(/* @vite-ignore */ '@nf/onednn' as string)) as OneDnnModule;
  } catch (e) {
    const reason = `@nf/onednn is not installed (${String((e as Error).message ?? e).split('\n')[0]})`;
    if (mode === 'onednn') throw new Error(`accelerator onednn unavailable: ${reason}; install it with the trainer's optional dependencies, and ${ONEDNN_FIX}.`);
    return { active: false, line: `off — ${reason}; to enable it: ${ONEDNN_FIX}`, threads: 0 };
  }
  if (mode === 'none') {
    mod.unregisterOneDnnKernels();
    return { active: false, line: 'off (--accelerator none)', threads: 0 };
  }
  const status = mod.registerOneDnnKernels(threads !== undefined ? { threads } : {});
  if (!status.active) {
    if (mode === 'onednn') throw new Error(`accelerator onednn unavailable: ${status.reason}.`);
    return { active: false, line: `off — ${status.reason}`, threads: 0 };
  }
  return { active: true, line: `oneDNN ${status.version} on the wasm heap (${status.isa}, ${status.threads} thread${status.threads === 1 ? '' : 's'}; --accelerator none turns it off)`, threads: status.threads };
}

async function tryOptional(name: 'tensorflow-gpu' | 'tensorflow' | 'webgpu'): Promise<string> {
  const pkg = { 'tensorflow-gpu': '@tensorflow/tfjs-node-gpu', tensorflow: '@tensorflow/tfjs-node', webgpu: '@tensorflow/tfjs-backend-webgpu' }[name];
  try {
    if (name === 'webgpu') {
      const dawn = (await import(/* @vite-ignore */ 'webgpu' as string)) as { create: (o: string[]) => unknown; globals: object };
      Object.assign(globalThis, dawn.globals);
      (globalThis as { navigator?: unknown }).navigator = { gpu: dawn.create([]) };
    }
    await import(/* @vite-ignore */ pkg as string);
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error('the backend failed to initialise (no adapter / device)');
    return `${name} (${pkg})`;
  } catch (e) {
    const message = String((e as Error).message ?? e).split('\n')[0]!;
    const missing = /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(message);
    const native = /tfjs_binding\.node|native addon/.test(message);
    const fix = name === 'webgpu' ? 'npm i webgpu @tensorflow/tfjs-backend-webgpu and a Vulkan driver (Mesa 25 lavapipe or a GPU)' : `npm i ${pkg} (needs its native libtensorflow${name === 'tensorflow-gpu' ? ', CUDA 11.2 and cuDNN 8.1' : ''})`;
    throw new Error(`backend ${name} unavailable: ${missing ? `${pkg} is not installed` : native ? `${pkg} has no native part` : message}; to use it: ${fix}.`);
  }
}

export async function loadBackend(requested: BackendName, options: AcceleratorOptions = {}): Promise<BackendChoice> {
  const notes: string[] = [];
  const order: BackendName[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    if (name === 'cpu') {
      if (options.accelerator === 'onednn') throw new Error('accelerator onednn runs on the wasm backend, not cpu; use --backend wasm (or auto).');
      await tf.setBackend('cpu');
      return { name: 'cpu', detail: 'pure JavaScript', notes };
    }
    if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      const { registerWasmTrainingKernels } = await import('@nf/wasm-kernels');
      registerWasmTrainingKernels();
      if (await tf.setBackend('wasm')) {
        const accelerator = await loadAccelerator(options.accelerator ?? 'auto', options.acceleratorThreads);
        const detail = `WebAssembly SIMD (XNNPACK) with @nf/wasm-kernels training kernels${accelerator.active ? ' and oneDNN convolutions (@nf/onednn)' : ''}`;
        return { name: 'wasm', detail, notes, accelerator };
      }
      notes.push('backend wasm failed to initialise');
      if (requested !== 'auto') throw new Error('backend wasm failed to initialise.');
      continue;
    }
    try {
      if (options.accelerator === 'onednn') {
        if (requested !== 'auto') throw new Error(`accelerator onednn runs on the wasm backend, not ${name}; use --backend wasm (or auto).`);
        continue;
      }
      const detail = await tryOptional(name as 'tensorflow-gpu' | 'tensorflow' | 'webgpu');
      return { name, detail, notes };
    } catch (e) {
      if (requested !== 'auto') throw e;
      notes.push((e as Error).message);
    }
  }
  throw new Error('no backend could be initialised.');
}
