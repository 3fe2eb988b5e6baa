import { defineConfig } from 'vitest/config';

/**
 * Every test runs twice: on the relaxed-SIMD build of our kernels (Node 20 validates it only with
 * --experimental-wasm-relaxed-simd, given to the forks here; later Nodes have it on) and on the plain
 * SIMD build (NF_WASM_RELAXED=0). simd-flavour.test.ts fails when a project is not on its build.
 */
const RELAXED_PROBE = 'AGFzbQEAAAABCAFgA319fQF9AwIBAAoWARQAIAD9EyAB/RMgAv0T/YUC/R8ACw==';
const { validate } = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
const relaxedFlag = validate(Buffer.from(RELAXED_PROBE, 'base64')) ? [] : ['--experimental-wasm-relaxed-simd'];

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'relaxed', execArgv: relaxedFlag, env: { NF_WASM_RELAXED: '1' } } },
      { extends: true, test: { name: 'simd', env: { NF_WASM_RELAXED: '0' } } },
    ],
  },
});
