/**
 * The page prepares an image for classification exactly as `nf-train predict` does: here the same
 * PNG goes through @nf/data's Node pipeline (sharp decode, augment 'eval', the model's size, channels
 * and normalization, as predict.ts builds it) and through the page's `prepareImage` from its raw RGB
 * pixels; the inputs must be identical, float for float.
 */
import * as tf from '@tensorflow/tfjs';
import { createPipeline, NORMALIZATION, type DataSource } from '@nf/data/node';
import { encodePng } from '@nf/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { prepareImage, rgbaToRgb, topK } from '../src/classify.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nf-playground-classify-'));
beforeAll(() => tf.setBackend('cpu'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function viaPipeline(file: string, size: number, channels: 1 | 3, normalization: { mean: number[]; std: number[] }): Promise<Float32Array> {
  const source: DataSource = { name: 'predict', size: 1, classNames: ['a'], numClasses: 1, labels: new Int32Array(1), channels: 3, imageSize: undefined, normalization, spec: { kind: 'files', paths: [file] } };
  const pipeline = createPipeline(source, { batchSize: 1, shuffle: false, epochs: 1, imageSize: size, channels, augment: 'eval', workers: 0 });
  try {
    for await (const b of pipeline) {
      const values = (await b.images.data()) as Float32Array;
      tf.dispose([b.images, b.labels]);
      return values;
    }
  } finally {
    await pipeline.close();
  }
  throw new Error('the pipeline gave no batch');
}

describe('preparing an image as nf-train predict does', () => {
  it.each([
    ['40×30 RGB to a 28×28 gray model', 40, 30, 28, 1 as const, NORMALIZATION.fashionMnist],
    ['17×23 RGB to a 16×16 RGB model', 17, 23, 16, 3 as const, NORMALIZATION.imagenet],
  ])('%s: the same floats', async (_, width, height, size, channels, norm) => {
    const rgb = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 97 + (i >> 3) * 31) % 256);
    const file = path.join(dir, `${width}x${height}.png`);
    writeFileSync(file, encodePng(rgb, width, height, 3));
    const normalization = { mean: [...norm.mean], std: [...norm.std] };
    const expected = await viaPipeline(file, size, channels, normalization);
    const x = prepareImage(rgb, width, height, { size: [size, size], channels, normalization });
    expect(x.shape).toEqual([1, size, size, channels]);
    expect(Array.from(x.dataSync())).toEqual(Array.from(expected));
    x.dispose();
  });

  it('RGBA drops alpha; topK orders by probability, ties by index', () => {
    expect(Array.from(rgbaToRgb([1, 2, 3, 255, 4, 5, 6, 0], 2, 1))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rgbaToRgb([1, 2, 3], 1, 1)).toThrow(/expected 1×1×4 RGBA bytes, received 3/);
    expect(topK([0.1, 0.5, 0.2, 0.2], ['a', 'b', 'c', 'd'], 3).map((p) => p.name)).toEqual(['b', 'c', 'd']);
  });
});
