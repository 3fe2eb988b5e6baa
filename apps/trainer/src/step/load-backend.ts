/**
 * Backends: auto | tensorflow-gpu | tensorflow | webgpu | wasm | cpu. The tfjs-node packages and
 * WebGPU (Dawn through the `webgpu` package) are optional and loaded dynamically: when absent or
 * broken, one line says so and how to install them, and `auto` moves on to wasm (with our training
 * kernels), then cpu.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'auto' | 'tensorflow-gpu' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';

export interface BackendChoice {
  name: string;
  detail: string;
  notes: string[];
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

export async function loadBackend(requested: BackendName): Promise<BackendChoice> {
  const notes: string[] = [];
  const order: BackendName[] = requested === 'auto' ? ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] : [requested];
  for (const name of order) {
    if (name === 'cpu') {
      await tf.setBackend('cpu');
      return { name: 'cpu', detail: 'pure JavaScript', notes };
    }
    if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      const { registerWasmTrainingKernels } = await import('@nf/wasm-kernels');
      registerWasmTrainingKernels();
      if (await tf.setBackend('wasm')) return { name: 'wasm', detail: 'WebAssembly SIMD (XNNPACK) with @nf/wasm-kernels training kernels', notes };
      notes.push('backend wasm failed to initialise');
      if (requested !== 'auto') throw new Error('backend wasm failed to initialise.');
      continue;
    }
    try {
      const detail = await tryOptional(name as 'tensorflow-gpu' | 'tensorflow' | 'webgpu');
      return { name, detail, notes };
    } catch (e) {
      if (requested !== 'auto') throw e;
      notes.push((e as Error).message);
    }
  }
  throw new Error('no backend could be initialised.');
}
