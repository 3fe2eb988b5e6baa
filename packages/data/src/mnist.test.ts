import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, writeIdx } from '../test/files.js';
import { FASHION_MNIST_CLASSES } from './idx-dataset.js';
import { DEBIAN_FASHION_MNIST_DIR, fashionMnist, mnist } from './mnist.js';

const tmp = tempDir();
afterAll(tmp.remove);

function perClass(labels: Int32Array, k: number): number[] {
  const counts = new Array(k).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

describe('fashionMnist (bundled subset)', () => {
  it('has 10,000 training images, 1,000 per class, 28×28 gray', async () => {
    const s = await fashionMnist();
    expect(s.size).toBe(10000);
    expect(s.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(perClass(s.labels, 10)).toEqual(new Array(10).fill(1000));
    expect(s.imageSize).toEqual({ height: 28, width: 28 });
    expect(s.channels).toBe(1);
    expect(s.spec.kind === 'raster' && s.spec.data.length).toBe(10000 * 784);
    expect(s.spec.kind === 'raster' && s.spec.data.buffer instanceof SharedArrayBuffer).toBe(true);
  });

  it('has 2,000 test images, 200 per class', async () => {
    const s = await fashionMnist({ split: 'test' });
    expect(s.size).toBe(2000);
    expect(perClass(s.labels, 10)).toEqual(new Array(10).fill(200));
  });

  it('has pixel statistics close to the published full-set mean/std (0.2860, 0.3530)', async () => {
    const s = await fashionMnist();
    const data = s.spec.kind === 'raster' ? s.spec.data : new Uint8Array();
    let sum = 0;
    let sq = 0;
    for (const v of data) {
      sum += v / 255;
      sq += (v / 255) ** 2;
    }
    const mean = sum / data.length;
    expect(mean).toBeCloseTo(0.286, 2);
    expect(Math.sqrt(sq / data.length - mean * mean)).toBeCloseTo(0.353, 2);
    expect(s.normalization).toEqual({ mean: [0.286], std: [0.353] });
  });

  it.skipIf(!existsSync(DEBIAN_FASHION_MNIST_DIR))('reads the full set from the Debian package path', async () => {
    const s = await fashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR, split: 'test' });
    expect(s.size).toBe(10000);
    expect(perClass(s.labels, 10)).toEqual(new Array(10).fill(1000));
  });
});

describe('IDX dataset errors', () => {
  it('an image/label count mismatch fails at once, naming both files', async () => {
    const dir = path.join(tmp.dir, 'mismatch');
    mkdirSync(dir);
    writeIdx(path.join(dir, 'train-images-idx3-ubyte.gz'), 'uint8', [3, 2, 2], new Array(12).fill(0), true);
    writeIdx(path.join(dir, 'train-labels-idx1-ubyte'), 'uint8', [4], [0, 1, 2, 3]);
    await expect(mnist({ dir })).rejects.toMatchObject({
      code: 'COUNT_MISMATCH',
      message: expect.stringMatching(/train-images-idx3-ubyte\.gz" holds 3 images but ".*train-labels-idx1-ubyte" holds 4 labels/),
    });
  });

  it('a missing folder or file fails at once with the path and the fix', async () => {
    const missing = path.join(tmp.dir, 'absent');
    await expect(fashionMnist({ dir: missing })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(missing) });
    await expect(fashionMnist({ dir: tmp.dir, split: 'test' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringMatching(/t10k-images-idx3-ubyte\.gz.*apt-get install dataset-fashion-mnist/),
    });
  });

  it('a bad split is an option error', async () => {
    await expect(fashionMnist({ split: 'val' as 'test' })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  it('reads MNIST in the raw, dotted spelling', async () => {
    const dir = path.join(tmp.dir, 'mnist');
    mkdirSync(dir);
    writeIdx(path.join(dir, 't10k-images.idx3-ubyte'), 'uint8', [2, 3, 3], Array.from({ length: 18 }, (_, i) => i));
    writeIdx(path.join(dir, 't10k-labels.idx1-ubyte'), 'uint8', [2], [7, 1]);
    const s = await mnist({ dir, split: 'test' });
    expect(s.size).toBe(2);
    expect([...s.labels]).toEqual([7, 1]);
    expect(s.classNames[7]).toBe('7');
    expect(s.normalization.mean).toEqual([0.1307]);
  });
});
