/**
 * Starting a tfjs backend in the browser (page or worker): the requested one, else the next in
 * WebGPU → WebGL → wasm → cpu, saying why; and what it runs on (the GPU adapter or renderer).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { BACKEND_ORDER, type BackendInfo, type BackendName } from './protocol.js';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });
// tfjs's threaded wasm build starts its pthreads from a script it inlines, which fails inside a
// bundled module worker ("e is not defined", seen in Chromium 150): the page's wasm backend runs
// the SIMD build on this worker's one thread.
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);

/** Starts `wanted`, or the first of the others (in BACKEND_ORDER after it, then before it) that starts. */
export async function startBackend(wanted: BackendName): Promise<BackendInfo> {
  const order = [wanted, ...BACKEND_ORDER.filter((b) => b !== wanted)];
  let first: { name: BackendName; reason: string } | undefined;
  for (const name of order) {
    const reason = await trySetBackend(name);
    if (reason === undefined) {
      return { name, adapter: await adapterOf(name), ...(first ? { fellBackFrom: first } : {}) };
    }
    first ??= { name, reason };
  }
  throw new Error(`no tfjs backend could start here (${first?.name}: ${first?.reason}).`);
}

async function trySetBackend(name: BackendName): Promise<string | undefined> {
  if (name === 'webgpu' && !(globalThis.navigator && 'gpu' in globalThis.navigator)) return 'this browser exposes no WebGPU (navigator.gpu is missing)';
  try {
    const ok = await tf.setBackend(name);
    if (!ok) return `tf.setBackend('${name}') failed`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

async function adapterOf(name: BackendName): Promise<string> {
  try {
    if (name === 'webgpu') {
      const gpu = (navigator as unknown as { gpu: { requestAdapter(): Promise<{ info?: GpuAdapterInfoLike; requestAdapterInfo?: () => Promise<GpuAdapterInfoLike> } | null> } }).gpu;
      const adapter = await gpu.requestAdapter();
      const info = adapter?.info ?? (await adapter?.requestAdapterInfo?.());
      const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => s && s.length > 0);
      return parts.length ? [...new Set(parts)].join(' / ') : 'WebGPU adapter (no details exposed)';
    }
    if (name === 'webgl') {
      const backend = tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } };
      const gl = backend.gpgpu?.gl;
      if (!gl) return 'WebGL';
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
      return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}: ${String(renderer)}`;
    }
    if (name === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return `WebAssembly${simd ? ' SIMD' : ''}${threads ? ', threads' : ', one thread'}`;
    }
    return 'JavaScript on the CPU';
  } catch {
    return name;
  }
}
