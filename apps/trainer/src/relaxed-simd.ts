/**
 * Turns relaxed SIMD on for this Node process where it is behind a flag (Node 20:
 * --experimental-wasm-relaxed-simd; on by default from Node 22), so that the relaxed-SIMD (FMA)
 * builds of our kernels validate: @nf/wasm-kernels' and the host update's (step/host-kernels.ts).
 * Imported first by nf-train's entry (cli.ts), before any module is compiled. V8 flags are per
 * process: the data-parallel worker threads started later validate it too (checked on Node 20.20).
 * NF_WASM_RELAXED=0 leaves the flag alone (and the kernels then take their plain builds).
 */
import v8 from 'node:v8';
import { relaxedSimdSupported } from '@nf/wasm-kernels';

if (process.env.NF_WASM_RELAXED !== '0' && !relaxedSimdSupported()) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
