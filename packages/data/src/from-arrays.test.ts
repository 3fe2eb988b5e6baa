import { describe, expect, it } from 'vitest';
import { fromArrays } from './from-arrays.js';
import { readImage } from './read-example.js';

describe('fromArrays', () => {
  it('wraps HWC bytes with labels and class names', async () => {
    const images = Uint8Array.from({ length: 2 * 2 * 3 * 1 }, (_, i) => i);
    const s = fromArrays({ images, shape: [2, 2, 3, 1], labels: [1, 0], classNames: ['no', 'yes'] });
    expect(s.size).toBe(2);
    expect((await readImage(s, 1)).data).toEqual(Uint8Array.from([6, 7, 8, 9, 10, 11]));
    expect(s.numClasses).toBe(2);
  });

  it('rejects mismatched sizes and labels', () => {
    const images = new Uint8Array(12);
    expect(() => fromArrays({ images, shape: [3, 2, 2, 1], labels: [0, 1] })).toThrow(/3 images but 2 labels/);
    expect(() => fromArrays({ images, shape: [2, 2, 2, 1], labels: [0, 1] })).toThrow(/needs 8 bytes, images has 12/);
    expect(() => fromArrays({ images, shape: [3, 2, 2, 1], labels: [0, 1, -1] })).toThrow(/label -1 at index 2/);
    expect(() => fromArrays({ images, shape: [3, 2, 2, 1], labels: [0, 1, 5], classNames: ['a', 'b'] })).toThrow(/label 5 is not below the 2 classNames/);
    expect(() => fromArrays({ images: new Float32Array(12) as unknown as Uint8Array, shape: [3, 2, 2, 1], labels: [0, 1, 1] })).toThrow(/Uint8Array/);
  });
});
