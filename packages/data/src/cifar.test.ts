import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/files.js';
import { mulberry32 } from '../test/reference.js';
import { cifar, CIFAR10_CLASSES } from './cifar.js';

const tmp = tempDir();
afterAll(tmp.remove);

/** Records with labels `labels` (arrays of label bytes) and planes R, G, B of seeded bytes. */
function records(labels: number[][], seed: number): { bytes: Buffer; planes: Uint8Array[] } {
  const rand = mulberry32(seed);
  const parts: Buffer[] = [];
  const planes: Uint8Array[] = [];
  for (const l of labels) {
    const pixels = Uint8Array.from({ length: 3072 }, () => Math.floor(rand() * 256));
    planes.push(pixels);
    parts.push(Buffer.from(l), Buffer.from(pixels));
  }
  return { bytes: Buffer.concat(parts), planes };
}

describe('cifar', () => {
  const c10 = path.join(tmp.dir, 'cifar-10-batches-bin');
  const batches: { planes: Uint8Array[]; labels: number[] }[] = [];
  mkdirSync(c10);
  for (let b = 1; b <= 5; b++) {
    const labels = [b % 10, (b * 3) % 10];
    const r = records(labels.map((l) => [l]), b);
    writeFileSync(path.join(c10, `data_batch_${b}.bin`), r.bytes);
    batches.push({ planes: r.planes, labels });
  }
  writeFileSync(path.join(c10, 'test_batch.bin'), records([[9]], 99).bytes);

  it('CIFAR-10: finds the batches under the parent folder, labels in order, planes → HWC', async () => {
    const s = await cifar({ dir: tmp.dir, allowAnyRecordCount: true });
    expect(s.size).toBe(10);
    expect(s.classNames).toEqual(CIFAR10_CLASSES);
    expect([...s.labels]).toEqual(batches.flatMap((b) => b.labels));
    const data = s.spec.kind === 'raster' ? s.spec.data : new Uint8Array();
    // Example 3 = batch 2, record 1; pixel (x=5, y=7): index 7·32 + 5 in each plane.
    const planes = batches[1]!.planes[1]!;
    const p = 7 * 32 + 5;
    expect([...data.subarray(3 * 3072 + p * 3, 3 * 3072 + p * 3 + 3)]).toEqual([planes[p], planes[1024 + p], planes[2048 + p]]);
    expect(s.normalization.mean).toEqual([0.4914, 0.4822, 0.4465]);
    const test = await cifar({ dir: c10, split: 'test', allowAnyRecordCount: true });
    expect([...test.labels]).toEqual([9]);
  });

  it('CIFAR-100: fine and coarse labels, names from the label files', async () => {
    const dir = path.join(tmp.dir, 'cifar-100-binary');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'train.bin'), records([[3, 42], [19, 99]], 5).bytes);
    writeFileSync(path.join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n') + '\n');
    const fine = await cifar({ dir, allowAnyRecordCount: true });
    expect([...fine.labels]).toEqual([42, 99]);
    expect(fine.numClasses).toBe(100);
    expect(fine.classNames[42]).toBe('fine42');
    const coarse = await cifar({ dir, labels: 'coarse', allowAnyRecordCount: true });
    expect([...coarse.labels]).toEqual([3, 19]);
    expect(coarse.classNames).toHaveLength(20);
  });

  it('a truncated batch fails at once, naming the file', async () => {
    const dir = path.join(tmp.dir, 'truncated');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'train.bin'), records([[1, 2]], 1).bytes.subarray(0, 3000));
    await expect(cifar({ dir })).rejects.toMatchObject({ code: 'BAD_CIFAR', message: expect.stringContaining(path.join(dir, 'train.bin')) });
  });

  it('a missing batch or folder fails at once', async () => {
    const dir = path.join(tmp.dir, 'partial');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'data_batch_1.bin'), records([[1]], 1).bytes);
    await expect(cifar({ dir, allowAnyRecordCount: true })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('data_batch_2.bin') });
    await expect(cifar({ dir: path.join(tmp.dir, 'absent') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(cifar({ dir: path.join(tmp.dir, 'truncated', '..', 'cifar-10-batches-bin', 'x') })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
