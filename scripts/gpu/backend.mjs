/**
 * Shared by the GPU bench scripts: loads tfjs and the @nf packages from NF_APP_DIR (resolve.mjs),
 * sets the backend (webgpu the way apps/trainer/src/step/load-backend.ts does it: the Dawn GPU before
 * the backend's import), and collects WebGPU device errors, which tfjs otherwise only prints
 * (a rejected kernel or an allocation over the device's limits leaves garbage, not an exception).
 */
import { loadFrom } from './resolve.mjs';

export const tf = await loadFrom('@tensorflow/tfjs');

/** Sets `name` (webgpu | wasm | cpu); returns { describe(), errors[] }. */
export async function useBackend(name) {
  const errors = [];
  let adapterText = '';
  if (name === 'webgpu') {
    const dawn = await loadFrom('webgpu');
    Object.assign(globalThis, dawn.globals);
    globalThis.navigator = { gpu: dawn.create([]) };
    const adapter = await globalThis.navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) throw new Error('no WebGPU adapter (no Vulkan driver; see scripts/gpu/env.sh)');
    const i = adapter.info ?? {};
    adapterText = [i.vendor, i.architecture, i.description].filter(Boolean).join(' | ');
    await loadFrom('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'wasm') {
    await loadFrom('@tensorflow/tfjs-backend-wasm');
    const { registerWasmTrainingKernels } = await loadFrom('@nf/wasm-kernels');
    registerWasmTrainingKernels();
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  if (name === 'webgpu') {
    const device = tf.backend().device;
    device.onuncapturederror = (e) => errors.push(String(e.error?.message ?? e).split('\n')[0]);
    device.lost?.then((info) => errors.push(`device lost: ${info.message}`));
  }
  return { adapter: adapterText, errors };
}

/** Waits for queued device errors to be delivered. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

/** `--key value` pairs → object (numbers parsed). */
export function parseFlags(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const key = a.slice(2);
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) out[key] = true;
    else {
      out[key] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
      i++;
    }
  }
  return out;
}

export const emit = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);
