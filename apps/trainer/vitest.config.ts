import { defineConfig } from 'vitest/config';

/**
 * Tests run as nf-train does (cli.ts turns relaxed SIMD on): with --experimental-wasm-relaxed-simd
 * where this Node (20) does not validate relaxed SIMD by itself, so the relaxed builds of our kernels
 * are the ones tested; host-kernels.test.ts and host-momentum.test.ts also test the plain builds.
 */
const RELAXED_PROBE = 'AGFzbQEAAAABCAFgA319fQF9AwIBAAoWARQAIAD9EyAB/RMgAv0T/YUC/R8ACw==';
const { validate } = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    execArgv: validate(Buffer.from(RELAXED_PROBE, 'base64')) ? [] : ['--experimental-wasm-relaxed-simd'],
  },
});
