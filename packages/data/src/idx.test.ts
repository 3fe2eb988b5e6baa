import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { idxBytes, tempDir, writeIdx } from '../test/files.js';
import { loadIdx } from './idx-file.js';
import { parseIdx } from './idx.js';
import { isNfError } from './errors.js';

const tmp = tempDir();
afterAll(tmp.remove);

describe('IDX', () => {
  it.each([
    ['uint8', [2, 3], [0, 1, 2, 253, 254, 255]],
    ['int8', [4], [-128, -1, 0, 127]],
    ['int16', [2, 2], [-32768, -2, 300, 32767]],
    ['int32', [3], [-2147483648, 65536, 2147483647]],
    ['float32', [2], [1.5, -0.25]],
    ['float64', [1, 1, 2], [Math.PI, -1e-300]],
  ] as const)('parses %s of shape %j, big-endian', (dtype, shape, values) => {
    const parsed = parseIdx(idxBytes(dtype, [...shape], values));
    expect(parsed.dtype).toBe(dtype);
    expect(parsed.shape).toEqual(shape);
    expect(Array.from(parsed.data)).toEqual(values);
  });

  it('loads gzip and raw files alike (detected by content)', async () => {
    const values = Array.from({ length: 24 }, (_, i) => i * 10);
    writeIdx(path.join(tmp.dir, 'a.gz'), 'uint8', [2, 3, 4], values, true);
    writeIdx(path.join(tmp.dir, 'a.raw'), 'uint8', [2, 3, 4], values, false);
    writeIdx(path.join(tmp.dir, 'gzip-without-extension'), 'uint8', [2, 3, 4], values, true);
    for (const f of ['a.gz', 'a.raw', 'gzip-without-extension']) {
      const { shape, data } = await loadIdx(path.join(tmp.dir, f));
      expect(shape).toEqual([2, 3, 4]);
      expect(Array.from(data)).toEqual(values);
    }
  });

  it('rejects a wrong magic number, naming the file', async () => {
    const file = path.join(tmp.dir, 'not-idx.bin');
    writeFileSync(file, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    const error = await loadIdx(file).catch((e: unknown) => e);
    expect(isNfError(error) && error.code).toBe('BAD_IDX');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('wrong magic number 0x89504e47');
  });

  it('rejects truncated data and trailing bytes, with the sizes', () => {
    const full = idxBytes('uint8', [10, 2], new Array(20).fill(1));
    expect(() => parseIdx(full.subarray(0, full.length - 3), 'x.idx')).toThrow(/"x\.idx": shape \[10, 2\] of uint8 needs 32 bytes, file has 29 \(truncated\)/);
    expect(() => parseIdx(Buffer.concat([full, Buffer.from([1])]), 'x.idx')).toThrow(/trailing data/);
    expect(() => parseIdx(Buffer.from([0, 0, 8]), 'x.idx')).toThrow(/too short/);
  });

  it('rejects corrupt gzip data', async () => {
    const file = path.join(tmp.dir, 'broken.gz');
    writeFileSync(file, Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await expect(loadIdx(file)).rejects.toThrow(/broken\.gz": corrupt or truncated gzip data/);
  });

  it('fails at once on a missing path, naming it', async () => {
    const file = path.join(tmp.dir, 'nope', 'train-images-idx3-ubyte.gz');
    await expect(loadIdx(file)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(file) });
  });
});
