import { defineConfig } from 'vite';

/**
 * The playground as a static site. One copy of each tfjs package (the @nf packages peer-depend on
 * them); cross-origin isolation headers so the wasm backend may use threads; workers as ES modules.
 */
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  base: './',
  resolve: {
    dedupe: ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-converter', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgl', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'],
  },
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096, sourcemap: true },
  server: { headers: isolation, port: 5173 },
  preview: { headers: isolation, port: 4173 },
});
