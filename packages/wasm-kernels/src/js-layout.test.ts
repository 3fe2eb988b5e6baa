import { describe, expect, it } from 'vitest';
import { permuteInto, simplifyPermutation, transposeBlock } from './js-layout.js';

/** Index-by-index transpose: out[i₀…] = x[i_perm…]. */
function reference(src: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((a) => shape[a]!);
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((p, q) => p * q, 1));
  const out = new Float32Array(src.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let rest = o;
    for (let a = outShape.length - 1; a >= 0; a--) {
      idx[a] = rest % outShape[a]!;
      rest = Math.floor(rest / outShape[a]!);
    }
    let k = 0;
    perm.forEach((inAxis, a) => (k += idx[a]! * strides[inAxis]!));
    out[o] = src[k]!;
  }
  return out;
}

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

const SHAPES = [[5], [3, 7], [2, 1, 4], [8, 3, 3, 5], [2, 5, 1, 33], [1, 4, 6, 1], [3, 2, 4, 2, 3], [2, 1, 3, 1, 2, 2], [37, 45], [4, 40, 35]];

describe('permuteInto (the JS transpose of the wasm kernels)', () => {
  it.each(SHAPES.map((s) => [JSON.stringify(s), s] as const))('every permutation of %s equals the index-by-index transpose', (_, shape) => {
    const size = shape.reduce((p, q) => p * q, 1);
    const src = Float32Array.from({ length: size }, (_, i) => i * 0.5 - 3);
    for (const perm of permutations(shape.length)) {
      const got = new Float32Array(size);
      permuteInto(src, shape, perm, got);
      expect(Array.from(got), `perm [${perm.join(', ')}]`).toEqual(Array.from(reference(src, shape, perm)));
    }
  });

  it('merges axes that stay adjacent and drops unit axes', () => {
    expect(simplifyPermutation([8, 4, 4, 16], [3, 0, 1, 2])).toEqual({ shape: [128, 16], perm: [1, 0] });
    expect(simplifyPermutation([8, 4, 4, 16], [1, 2, 0, 3])).toEqual({ shape: [8, 16, 16], perm: [1, 0, 2] });
    expect(simplifyPermutation([8, 1, 4, 16], [0, 1, 2, 3])).toEqual({ shape: [512], perm: [0] });
    expect(simplifyPermutation([1, 1], [1, 0])).toEqual({ shape: [], perm: [] });
  });

  it('transposes blocks at offsets, across tile edges', () => {
    const src = Float32Array.from({ length: 3 + 37 * 45 }, (_, i) => i);
    const dst = new Float32Array(5 + 37 * 45).fill(-1);
    transposeBlock(src, 3, dst, 5, 37, 45);
    expect(Array.from(dst.subarray(0, 5))).toEqual([-1, -1, -1, -1, -1]);
    for (const [r, c] of [[0, 0], [36, 44], [31, 32], [32, 31], [5, 40]] as const) expect(dst[5 + c * 37 + r]).toBe(3 + r * 45 + c);
  });
});

describe('transposeBlock on the wasm heap (our SIMD kernel)', () => {
  it('equals the JavaScript transpose for sizes across 4 × 4 blocks and 32 × 32 tiles, at offsets', async () => {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    await import('./index.js');
    const { simdKernels, simdForBuffer } = await import('./simd-module.js');
    await tf.setBackend('wasm');
    try {
      const backend = tf.backend() as unknown as { typedArrayFromHeap(t: unknown): Float32Array };
      expect(simdKernels(tf.backend())).not.toBeNull();
      for (const [rows, cols] of [[4, 4], [5, 7], [8, 12], [33, 31], [37, 45], [64, 3 * 32], [128, 9], [3, 64]] as const) {
        const size = rows * cols;
        const x = tf.tensor1d(Float32Array.from({ length: size + 3 }, (_, i) => i * 0.25 - 7));
        const y = tf.fill([size + 6], -1);
        const src = backend.typedArrayFromHeap(x);
        const dst = backend.typedArrayFromHeap(y);
        expect(simdForBuffer(src.buffer)).not.toBeNull();
        transposeBlock(src, 3, dst, 5, rows, cols);
        const want = new Float32Array(size + 6).fill(-1);
        transposeBlock(Float32Array.from(src), 3, want, 5, rows, cols);
        expect(Array.from(dst), `${rows} × ${cols}`).toEqual(Array.from(want));
        tf.dispose([x, y]);
      }
      // [A, M, B] → [B, M, A] by strided blocks and [B, R, C] → [B, C, R] batched, one SIMD call each on the heap, against the index-by-index transpose.
      for (const [shape, perm] of [[[8, 9, 12], [2, 1, 0]], [[5, 3, 7], [2, 1, 0]], [[32, 16, 8], [2, 1, 0]], [[4, 2, 64], [2, 1, 0]], [[6, 9, 13], [0, 2, 1]], [[3, 40, 36], [0, 2, 1]]] as const) {
        const size = shape.reduce((p, q) => p * q, 1);
        const x = tf.tensor1d(Float32Array.from({ length: size }, (_, i) => i * 0.5 - 3));
        const y = tf.zeros([size]);
        const src = backend.typedArrayFromHeap(x);
        permuteInto(src, [...shape], [...perm], backend.typedArrayFromHeap(y));
        expect(Array.from(backend.typedArrayFromHeap(y)), `[${shape}] by [${perm}]`).toEqual(Array.from(reference(Float32Array.from(src), [...shape], [...perm])));
        tf.dispose([x, y]);
      }
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
