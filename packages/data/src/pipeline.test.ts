import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { fixtureBytes, pixelDiff, readFixturePng } from '../test/eval-fixtures.js';
import { encode, snapshot, tempDir, writeFile } from '../test/files.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { fromArrays } from './from-arrays.js';
import { imageFolder } from './image-folder.js';
import { fashionMnist } from './mnist.js';
import { nfnetAugment } from './nfnet-augment.js';
import { type ArrayBatch } from './pipeline.js';
import { createPipeline } from './pipeline-node.js';
import type { PipelineOptions } from './pipeline-options.js';
import type { DataSource } from './source.js';
import { syntheticImages } from './synthetic.js';

const tmp = tempDir();
afterAll(tmp.remove);

async function collect(source: DataSource, options: PipelineOptions, limit = Infinity): Promise<ArrayBatch[]> {
  const pipeline = createPipeline(source, { ...options, output: 'arrays' });
  const out: ArrayBatch[] = [];
  for await (const batch of pipeline) {
    out.push(batch);
    if (out.length >= limit) break;
  }
  expect(pipeline.activeWorkers).toBe(0);
  return out;
}

const summary = (b: ArrayBatch) => ({ epoch: b.epoch, index: b.index, indices: [...b.indices], images: b.images, labels: b.labels });

const TRAIN: PipelineOptions = {
  batchSize: 6,
  seed: 11,
  augment: { ...nfnetAugment('F0'), randAugment: { layers: 2, magnitude: 9 } },
  labelSmoothing: 0.1,
};

describe('createPipeline: tensors', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();
  for (const backend of BACKENDS) {
    it(`yields NHWC float32 images and int32 labels on ${backend}, equal to the array output`, async () => {
      await useBackend(backend);
      const source = syntheticImages({ size: 10, height: 8, width: 6, numClasses: 3 });
      const pipeline = createPipeline(source, { batchSize: 4, workers: 0 });
      const arrays = await collect(source, { batchSize: 4, workers: 0 });
      let k = 0;
      for await (const batch of pipeline) {
        expect(batch.images.shape).toEqual([batch.size, 8, 6, 3]);
        expect(batch.images.dtype).toBe('float32');
        expect(batch.labels.dtype).toBe('int32');
        expect(await batch.images.data()).toEqual(arrays[k]!.images);
        expect(await batch.labels.data()).toEqual(arrays[k]!.labels);
        tf.dispose([batch.images, batch.labels]);
        k++;
      }
      expect(k).toBe(3);
    });
  }

  it('soft labels are [B, K] float32 rows summing to 1 when mixing', async () => {
    await useBackend('cpu');
    const source = syntheticImages({ size: 12, numClasses: 5, height: 16, width: 16 });
    for await (const batch of createPipeline(source, { ...TRAIN, workers: 0, output: 'tensors' })) {
      expect(batch.labels.shape).toEqual([6, 5]);
      const sums = tf.tidy(() => tf.sum(batch.labels, 1));
      for (const s of await sums.data()) expect(s).toBeCloseTo(1, 5);
      tf.dispose([batch.images, batch.labels, sums]);
    }
  });
});

describe('createPipeline: determinism and resuming', () => {
  it('gives the same bytes with 0, 1 and 2 workers (full NFNet augmentation)', async () => {
    const source = syntheticImages({ size: 30, numClasses: 4, height: 24, width: 24 });
    const options = { ...TRAIN, epochs: 2 };
    const inline = (await collect(source, { ...options, workers: 0 })).map(summary);
    expect(inline).toHaveLength(10);
    expect((await collect(source, { ...options, workers: 1 })).map(summary)).toEqual(inline);
    expect((await collect(source, { ...options, workers: 2, prefetch: 3 })).map(summary)).toEqual(inline);
  });

  it('covers every example once per epoch, in a different order each epoch', async () => {
    const source = syntheticImages({ size: 23, height: 4, width: 4 });
    const batches = await collect(source, { batchSize: 5, epochs: 2, workers: 0 });
    for (const epoch of [0, 1]) {
      const seen = batches.filter((b) => b.epoch === epoch).flatMap((b) => [...b.indices]);
      expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    }
    const order = (e: number) => batches.filter((b) => b.epoch === e).flatMap((b) => [...b.indices]);
    expect(order(0)).not.toEqual(order(1));
    expect(batches.map((b) => b.size)).toEqual([5, 5, 5, 5, 3, 5, 5, 5, 5, 3]);
    expect(batches.map((b) => b.lastInEpoch)).toEqual([false, false, false, false, true, false, false, false, false, true]);
    const dropped = await collect(source, { batchSize: 5, epochs: 1, workers: 0, dropRemainder: true });
    expect(dropped.map((b) => b.size)).toEqual([5, 5, 5, 5]);
  });

  it('resumes exactly from position(), across an epoch boundary, with any worker count', async () => {
    const source = syntheticImages({ size: 20, numClasses: 4, height: 16, width: 16 });
    const options = { ...TRAIN, epochs: 3 };
    const full = (await collect(source, { ...options, workers: 0 })).map(summary);
    expect(full).toHaveLength(12); // 4 batches (6, 6, 6, 2) per epoch
    const pipeline = createPipeline(source, { ...options, workers: 2, output: 'arrays' });
    let seen = 0;
    for await (const _ of pipeline) if (++seen === 3) break;
    const position = pipeline.position();
    expect(position).toEqual({ epoch: 0, index: 18, seed: 11 });
    const resumed = (await collect(source, { ...options, workers: 0, start: position })).map(summary);
    expect(resumed).toEqual(full.slice(3));
    const later = full[5]!; // epoch 1, index 6
    const fromMiddle = (await collect(source, { ...options, workers: 1, start: { epoch: 1, index: 6 } }, 2)).map(summary);
    expect(fromMiddle).toEqual([later, full[6]]);
  });

  it('batch positions chain: each batch.position is where the next one starts', async () => {
    const source = syntheticImages({ size: 9, height: 4, width: 4 });
    const batches = await collect(source, { batchSize: 4, epochs: 2, workers: 0 });
    for (let i = 0; i + 1 < batches.length; i++) {
      expect({ epoch: batches[i + 1]!.epoch, index: batches[i + 1]!.index }).toEqual({ epoch: batches[i]!.position.epoch, index: batches[i]!.position.index });
    }
    expect(batches.at(-1)!.position).toEqual({ epoch: 2, index: 0, seed: 0 });
  });
});

describe('createPipeline: outputs', () => {
  it('without augmentation, images are exactly (x/255 − mean)/std of the source pixels', async () => {
    const source = await fashionMnist({ split: 'test' });
    const [batch] = await collect(source, { batchSize: 3, shuffle: false, workers: 0 }, 1);
    const pixels = source.spec.kind === 'raster' ? source.spec.data : new Uint8Array();
    for (let i = 0; i < 3 * 784; i += 97) expect(batch!.images[i]).toBeCloseTo((pixels[i]! / 255 - 0.286) / 0.353, 5);
    expect([...batch!.labels]).toEqual([...source.labels.slice(0, 3)]);
    expect(batch!.imageShape).toEqual([3, 28, 28, 1]);
  });

  it('converts channels, resizes, and applies eval preprocessing', async () => {
    const source = await fashionMnist({ split: 'test' });
    const [rgb] = await collect(source, { batchSize: 2, workers: 0, channels: 3, imageSize: 32, augment: 'eval' }, 1);
    expect(rgb!.imageShape).toEqual([2, 32, 32, 3]);
    for (let i = 0; i < rgb!.images.length; i += 3) expect(rgb!.images[i]).toBe(rgb!.images[i + 2]);
    const [raw] = await collect(source, { batchSize: 1, workers: 0, normalization: false, shuffle: false }, 1);
    expect(Math.max(...raw!.images)).toBe(255);
  });

  it("'eval' keeps the aspect ratio: photos from a folder match timm's and DeepMind's reference pixels, with 0 or 1 workers", async () => {
    const root = path.join(tmp.dir, 'eval-photos');
    for (const name of ['landscape', 'portrait']) writeFile(path.join(root, 'photos', `${name}.png`), fixtureBytes(`input-${name}.png`));
    const source = await imageFolder(root);
    const expected = {
      timm: await Promise.all(['timm-landscape-64.png', 'timm-portrait-64.png'].map((f) => readFixturePng(f, 3))),
      deepmind: await Promise.all(['deepmind-landscape-64.png', 'deepmind-portrait-64.png'].map((f) => readFixturePng(f, 3))),
    };
    for (const workers of [0, 1]) {
      for (const convention of ['timm', 'deepmind'] as const) {
        const options: PipelineOptions = { batchSize: 2, shuffle: false, workers, imageSize: 64, augment: 'eval', normalization: false };
        const [batch] = await collect(source, convention === 'timm' ? options : { ...options, evalConvention: 'deepmind' });
        expect(batch!.imageShape).toEqual([2, 64, 64, 3]);
        for (const [i, reference] of expected[convention].entries()) {
          const got = Uint8Array.from(batch!.images.subarray(i * 64 * 64 * 3, (i + 1) * 64 * 64 * 3), (v) => Math.round(v));
          const d = pixelDiff(got, reference.data);
          expect(d.max).toBeLessThanOrEqual(convention === 'timm' ? 0 : 1);
        }
      }
    }
    const squashed = await collect(source, { batchSize: 2, shuffle: false, workers: 0, imageSize: 64, augment: 'eval', evalConvention: 'deepmind', evalCropMode: 'squash', normalization: false });
    const got = Uint8Array.from(squashed[0]!.images.subarray(0, 64 * 64 * 3), (v) => Math.round(v));
    expect(pixelDiff(got, (await readFixturePng('deepmind-landscape-64-squash.png', 3)).data).max).toBeLessThanOrEqual(1);
    expect(pixelDiff(got, expected.timm[0]!.data).mean).toBeGreaterThan(15);
  });

  it('one-hot labels with smoothing', async () => {
    const source = syntheticImages({ size: 4, numClasses: 4, height: 4, width: 4 });
    const [b] = await collect(source, { batchSize: 4, workers: 0, shuffle: false, labels: 'one-hot', labelSmoothing: 0.2 });
    expect([...b!.labels.slice(0, 4)].map((v) => Number(v.toFixed(6)))).toEqual([0.85, 0.05, 0.05, 0.05]);
    expect(b!.labelShape).toEqual([4, 4]);
  });
});

describe('createPipeline: bad files', () => {
  const root = path.join(tmp.dir, 'folder');
  beforeAll(async () => {
    const variants = ['jpeg', 'png', 'webp', 'gray-png', 'rgba-png', 'palette-png', 'png16', 'cmyk-jpeg'] as const;
    for (const [i, v] of variants.entries()) writeFile(path.join(root, i % 2 ? 'b' : 'a', `${i}-${v}.${v.includes('jpeg') ? 'jpg' : v === 'webp' ? 'webp' : 'png'}`), await encode(v, 40 + i, 30, i));
    const jpeg = await encode('jpeg', 64, 64, 9);
    writeFile(path.join(root, 'a', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
    writeFile(path.join(root, 'b', 'corrupt.png'), Buffer.from('\x89PNG\r\n\x1a\n garbage'));
    writeFile(path.join(root, 'b', 'unsupported.jpg'), Buffer.from('BM' + '\0'.repeat(100)));
  });

  it('skips, counts and reports them with their paths; the run continues; nothing is modified', async () => {
    const source = await imageFolder(root);
    expect(source.size).toBe(11);
    const before = snapshot(root);
    for (const workers of [0, 2]) {
      const pipeline = createPipeline(source, { batchSize: 4, imageSize: 24, workers, augment: { randomResizedCrop: true, flip: true, randAugment: true }, output: 'arrays' });
      let examples = 0;
      let skippedInBatches = 0;
      for await (const batch of pipeline) {
        examples += batch.size;
        skippedInBatches += batch.skipped;
        expect(batch.imageShape.slice(1)).toEqual([24, 24, 3]);
        expect(batch.images.every(Number.isFinite)).toBe(true);
      }
      expect(examples).toBe(8);
      expect(skippedInBatches).toBe(3);
      expect(pipeline.skippedCount).toBe(3);
      const names = pipeline.skipped.map((s) => path.basename(s.path)).sort();
      expect(names).toEqual(['corrupt.png', 'truncated.jpg', 'unsupported.jpg']);
      for (const s of pipeline.skipped) expect(s.reason).toMatch(/cannot decode/);
    }
    expect(snapshot(root)).toEqual(before);
  });

  it('a file removed after listing is skipped as unreadable', async () => {
    const dir = path.join(tmp.dir, 'vanishing');
    writeFile(path.join(dir, 'c', 'a.png'), await encode('png', 8, 8));
    writeFile(path.join(dir, 'c', 'b.png'), await encode('png', 8, 8));
    const source = await imageFolder(dir);
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'c', 'b.png')); // our own temporary file
    const pipeline = createPipeline(source, { batchSize: 2, imageSize: 8, workers: 0, output: 'arrays' });
    for await (const b of pipeline) expect(b.size).toBe(1);
    expect(pipeline.skipped[0]!.reason).toMatch(/cannot read \(ENOENT/);
  });
});

describe('createPipeline: lifecycle and options', () => {
  it('terminates workers when the loop breaks or close() is called', async () => {
    const source = syntheticImages({ size: 64, height: 8, width: 8 });
    const pipeline = createPipeline(source, { batchSize: 4, workers: 2, epochs: Infinity, output: 'arrays' });
    const iterator = pipeline[Symbol.asyncIterator]();
    await iterator.next();
    expect(pipeline.activeWorkers).toBe(2);
    expect(() => pipeline[Symbol.asyncIterator]()).toThrow(/already being iterated/);
    await pipeline.close();
    expect(pipeline.activeWorkers).toBe(0);
    expect((await iterator.next()).done).toBe(true);
    // A new iteration continues from where the last one stopped.
    const next = await pipeline[Symbol.asyncIterator]().next();
    expect(next.value?.index).toBe(4);
    await pipeline.close();
  });

  it('rejects bad options with the name, the value and the fix', async () => {
    const synthetic = syntheticImages({ size: 8 });
    const folder = await imageFolder(path.join(tmp.dir, 'folder'));
    const cases: [DataSource, PipelineOptions, RegExp][] = [
      [synthetic, { batchSize: 0 }, /batchSize must be an integer ≥ 1, received 0/],
      [folder, { batchSize: 2 }, /pass imageSize/],
      [synthetic, { batchSize: 2, augment: { mixup: true }, labels: 'int' }, /labels must be 'one-hot' when MixUp or CutMix is on/],
      [synthetic, { batchSize: 2, labelSmoothing: 0.1 }, /labelSmoothing must be 0 with labels: 'int'/],
      [synthetic, { batchSize: 2, augment: { randAugment: { ops: ['Blur' as 'Invert'] } } }, /augment\.randAugment\.ops/],
      [synthetic, { batchSize: 2, augment: { randomResizedCrop: { scale: [0.5, 0.1] } } }, /augment\.randomResizedCrop\.scale/],
      [synthetic, { batchSize: 2, augment: 'train' as 'eval' }, /augment must be 'none', 'eval' or an object/],
      [synthetic, { batchSize: 2, augment: 'eval', evalConvention: 'tf' as 'timm' }, /createPipeline: evalConvention must be 'timm' or 'deepmind', received tf/],
      [synthetic, { batchSize: 2, augment: 'eval', evalCropPct: 0.9, evalPadding: 32 }, /createPipeline: give evalCropPct or evalPadding, not both/],
      [synthetic, { batchSize: 2, augment: 'eval', evalCropPct: 87.5 }, /evalCropPct must be a number in \(0, 1\], received 87\.5/],
      [synthetic, { batchSize: 2, augment: 'eval', evalInterpolation: 'nearest' as 'bilinear' }, /evalInterpolation must be 'bilinear' or 'bicubic'/],
      [synthetic, { batchSize: 2, normalization: { mean: [0.5], std: [0] } }, /normalization\.std/],
      [synthetic, { batchSize: 2, seed: 1, start: { epoch: 0, index: 0, seed: 2 } }, /recorded with seed 2, this pipeline has seed 1/],
      [synthetic, { batchSize: 2, start: { epoch: 0, index: 9 } }, /start\.index 9 is past the 8 examples/],
    ];
    for (const [source, options, message] of cases) expect(() => createPipeline(source, options)).toThrow(message);
    expect(() => createPipeline({} as DataSource, { batchSize: 1 })).toThrow(/source must come from/);
  });

  it('shares in-memory arrays with workers through shared memory without changing them', async () => {
    const images = Uint8Array.from({ length: 6 * 4 * 4 * 3 }, (_, i) => i % 251);
    const copy = images.slice();
    const source = fromArrays({ images, shape: [6, 4, 4, 3], labels: [0, 1, 2, 0, 1, 2] });
    const a = (await collect(source, { batchSize: 3, workers: 2, augment: { flip: true, randAugment: true } })).map(summary);
    const b = (await collect(source, { batchSize: 3, workers: 0, augment: { flip: true, randAugment: true } })).map(summary);
    expect(a).toEqual(b);
    expect(images).toEqual(copy);
  });
});
