/**
 * The main entry's sources, which run in a browser: Fashion-MNIST / MNIST from bytes and URLs equal
 * the Node loaders' arrays exactly (the bundled subset included, reached through the package's
 * `./data/*` export); pixels from ImageData-shaped objects and canvases equal sharp's decode of the
 * same pixels; the main entry's pipeline (no workers) yields the Node pipeline's batches; what needs
 * Node says so.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { idxBytes, tempDir, writeFile } from '../test/files.js';
import { convertChannels } from './augment/convert-channels.js';
import { decodeImage } from './decode.js';
import { DataError, type DataErrorCode } from './errors.js';
import { fashionMnistFromBytes, fashionMnistFromUrls, IDX_FILES, mnistFromBytes } from './idx-dataset.js';
import { imageFolder } from './image-folder.js';
import { fashionMnist, mnist } from './mnist.js';
import { bundledFashionMnistDir } from './package-paths.js';
import { createPipelineOn } from './pipeline.js';
import { createPipeline as createBrowserPipeline } from './pipeline.js';
import { createPipeline as createNodePipeline } from './pipeline-node.js';
import { imageFromCanvas, imageFromImageData } from './pixels.js';
import { readImage } from './read-example.js';
import type { DataSource } from './source.js';

const tmp = tempDir('nf-data-browser-');
const bundled = (name: string) => readFileSync(path.join(bundledFashionMnistDir, name));
let server: Server;
let base: string;
const served = new Map<string, { body: Uint8Array; length?: boolean; status?: number }>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  server = createServer((req, res) => {
    // One request per connection: a kept-alive socket the server times out (5 s) while fetch reuses
    // it fails as 'fetch failed' on a loaded machine (seen in CI).
    res.setHeader('connection', 'close');
    const entry = served.get(new URL(req.url!, 'http://x').pathname);
    if (!entry) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    res.writeHead(entry.status ?? 200, entry.length === false ? {} : { 'content-length': entry.body.byteLength });
    if (entry.length === false) {
      for (let at = 0; at < entry.body.byteLength; at += 1024) res.write(entry.body.subarray(at, at + 1024));
      res.end();
    } else res.end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  for (const split of ['train', 'test'] as const) {
    for (const kind of ['images', 'labels'] as const) served.set(`/fm/${IDX_FILES[split][kind]}`, { body: bundled(IDX_FILES[split][kind]) });
  }
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  tmp.remove();
});

function expectSameSource(a: DataSource, b: DataSource): void {
  expect(a.size).toBe(b.size);
  expect(a.classNames).toEqual(b.classNames);
  expect(a.numClasses).toBe(b.numClasses);
  expect(a.channels).toBe(b.channels);
  expect(a.imageSize).toEqual(b.imageSize);
  expect(a.normalization).toEqual(b.normalization);
  expect(a.labels).toEqual(b.labels);
  expect(a.spec.kind).toBe('raster');
  expect(b.spec.kind).toBe('raster');
  if (a.spec.kind !== 'raster' || b.spec.kind !== 'raster') return;
  expect({ ...a.spec, data: undefined }).toEqual({ ...b.spec, data: undefined });
  expect(Buffer.from(a.spec.data).equals(Buffer.from(b.spec.data))).toBe(true);
}

async function caught(promise: Promise<unknown> | (() => unknown)): Promise<DataError> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    expect(DataError.isInstance(e), String(e)).toBe(true);
    expect((e as Error).message, 'one line').not.toMatch(/[\n\r\u2028\u2029]/);
    return e as DataError;
  }
  throw new Error('expected an error');
}

const expectCode = async (p: Promise<unknown> | (() => unknown), code: DataErrorCode, match: RegExp) => {
  const e = await caught(p);
  expect(e.code, e.message).toBe(code);
  expect(e.message).toMatch(match);
};

describe('Fashion-MNIST and MNIST from bytes and URLs', () => {
  it('the bundled subset parsed from its bytes (gzip, DecompressionStream) equals fashionMnist() exactly, both splits', async () => {
    for (const split of ['train', 'test'] as const) {
      const fromNode = await fashionMnist({ split });
      const fromBytes = await fashionMnistFromBytes({ images: bundled(IDX_FILES[split].images), labels: bundled(IDX_FILES[split].labels), split });
      expectSameSource(fromBytes, fromNode);
      expect(fromBytes.name).toBe(`fashion-mnist/${split} (bytes)`);
      expect(fromBytes.size).toBe(split === 'train' ? 10_000 : 2_000);
    }
  });

  it('from URLs (fetch) too, with or without a Content-Length; raw (gunzipped) bytes and ArrayBuffers too', async () => {
    const fromNode = await fashionMnist({ split: 'test' });
    const fromUrls = await fashionMnistFromUrls({ images: `${base}/fm/${IDX_FILES.test.images}`, labels: new URL(`${base}/fm/${IDX_FILES.test.labels}`), split: 'test' });
    expectSameSource(fromUrls, fromNode);
    served.set('/chunked/images.gz', { body: bundled(IDX_FILES.test.images), length: false });
    expectSameSource(await fashionMnistFromUrls({ images: `${base}/chunked/images.gz`, labels: `${base}/fm/${IDX_FILES.test.labels}`, split: 'test' }), fromNode);
    const raw = (name: string) => gunzipSync(bundled(name));
    const images = raw(IDX_FILES.test.images);
    expectSameSource(await fashionMnistFromBytes({ images: images.buffer.slice(images.byteOffset, images.byteOffset + images.length), labels: raw(IDX_FILES.test.labels), split: 'test' }), fromNode);
  });

  it('the bundled files are reachable through the package export ./data/* (what a bundler resolves)', () => {
    const require = createRequire(import.meta.url);
    for (const split of ['train', 'test'] as const) {
      for (const kind of ['images', 'labels'] as const) {
        const resolved = require.resolve(`@nf/data/data/fashion-mnist/${IDX_FILES[split][kind]}`);
        expect(readFileSync(resolved).equals(bundled(IDX_FILES[split][kind]))).toBe(true);
      }
    }
  });

  it('MNIST from bytes equals mnist() over the same folder', async () => {
    const dir = path.join(tmp.dir, 'mnist');
    const images = idxBytes('uint8', [3, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const labels = idxBytes('uint8', [3], [9, 0, 4]);
    writeFile(path.join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(images));
    writeFile(path.join(dir, 'train-labels-idx1-ubyte'), labels);
    expectSameSource(await mnistFromBytes({ images: gzipSync(images), labels }), await mnist({ dir }));
  });

  it('a broken pair gets the folder loader’s errors; bad options and URLs are named', async () => {
    const dir = path.join(tmp.dir, 'broken');
    const images = idxBytes('uint8', [3, 2, 2], new Array(12).fill(1));
    const labels = idxBytes('uint8', [2], [1, 0]);
    writeFile(path.join(dir, 't10k-images-idx3-ubyte'), images);
    writeFile(path.join(dir, 't10k-labels-idx1-ubyte'), labels);
    const fromFolder = await caught(fashionMnist({ dir, split: 'test' }));
    const fromBytes = await caught(fashionMnistFromBytes({ images, labels, split: 'test', names: { images: path.join(dir, 't10k-images-idx3-ubyte'), labels: path.join(dir, 't10k-labels-idx1-ubyte') } }));
    expect(fromBytes.code).toBe('COUNT_MISMATCH');
    expect(fromBytes.message).toBe(fromFolder.message);
    await expectCode(fashionMnistFromBytes({ images: labels, labels: images }), 'BAD_IDX', /"train-images-idx3-ubyte\.gz": expected uint8 images of shape \[N, H, W\], found uint8 \[2\]/);
    await expectCode(fashionMnistFromBytes({ images, labels, split: 'val' as 'test' }), 'BAD_OPTION', /fashionMnistFromBytes: split must be 'train' or 'test', received "val"/);
    await expectCode(fashionMnistFromBytes({ images: 'x' as unknown as Uint8Array, labels }), 'BAD_OPTION', /images must be the bytes of an IDX file \(a Uint8Array or an ArrayBuffer\), received string/);
    await expectCode(fashionMnistFromBytes({ images: gzipSync(images), labels, maxBytes: 20 }), 'TOO_LARGE', /is 28 bytes, over the 20-byte limit \(maxBytes\); pass fashionMnistFromBytes\(\{ maxBytes \}\)/);
    await expectCode(fashionMnistFromUrls({ images: `${base}/nothing.gz`, labels: `${base}/fm/${IDX_FILES.test.labels}` }), 'NOT_FOUND', /"http:\/\/127\.0\.0\.1:\d+\/nothing\.gz" cannot be fetched \(HTTP 404 Not Found\); pass the URLs of the train IDX files\./);
    await expectCode(fashionMnistFromUrls({ images: `${base}/fm/${IDX_FILES.test.images}`, labels: `${base}/fm/${IDX_FILES.test.labels}`, maxBytes: 1000 }), 'TOO_LARGE', /t10k-images-idx3-ubyte\.gz" is 879,213 bytes, over the 1,000-byte limit \(maxBytes\)/);
    await expectCode(fashionMnistFromUrls({ images: `${base}/chunked/images.gz`, labels: `${base}/fm/${IDX_FILES.test.labels}`, maxBytes: 1000 }), 'TOO_LARGE', /images\.gz" is more than 1,000 bytes, over the 1,000-byte limit \(maxBytes\)/);
  });
});

describe('pixels from ImageData and canvases (plain objects shaped like them)', () => {
  /** RGBA pixels with varied alpha. */
  const rgba = (w: number, h: number) => Uint8ClampedArray.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? (i * 37) % 256 : (i * 53 + 7) % 256));

  it('ImageData → RGB (alpha dropped) and gray (PIL luma): what sharp decodes from a PNG of the same pixels', async () => {
    const [w, h] = [7, 5];
    const data = rgba(w, h);
    const png = await sharp(Buffer.from(data), { raw: { width: w, height: h, channels: 4 } }).png().toBuffer();
    expect(imageFromImageData({ data, width: w, height: h })).toEqual(await decodeImage(png, 3));
    expect(imageFromImageData({ data, width: w, height: h, colorSpace: 'srgb' }, 1)).toEqual(await decodeImage(png, 1));
    const rgb = imageFromImageData({ data, width: w, height: h });
    expect(rgb.channels).toBe(3);
    expect(Array.from(rgb.data.subarray(0, 6))).toEqual([data[0], data[1], data[2], data[4], data[5], data[6]]);
    expect(imageFromImageData({ data, width: w, height: h }, 1)).toEqual(convertChannels(rgb, 1));
  });

  it('a canvas (its 2D context) and a drawable (ImageBitmap, img: drawn on an OffscreenCanvas)', () => {
    const [w, h] = [4, 3];
    const data = rgba(w, h);
    const expected = imageFromImageData({ data, width: w, height: h });
    const reads: unknown[] = [];
    const context = { getImageData: (x: number, y: number, cw: number, ch: number, settings?: unknown) => (reads.push([x, y, cw, ch, settings]), { data, width: cw, height: ch }) };
    const canvas = { width: w, height: h, getContext: () => context };
    expect(imageFromCanvas(canvas)).toEqual(expected);
    expect(reads).toEqual([[0, 0, w, h, { colorSpace: 'srgb' }]]);
    const bitmap = { width: w, height: h, close() {} };
    expect(() => imageFromCanvas(bitmap)).toThrow(/drawing this source needs an OffscreenCanvas or a document/);
    const drawn: unknown[] = [];
    vi.stubGlobal(
      'OffscreenCanvas',
      class {
        constructor(
          readonly width: number,
          readonly height: number,
        ) {}
        getContext() {
          return { drawImage: (s: unknown, x: number, y: number) => drawn.push([s, x, y]), getImageData: context.getImageData };
        }
      },
    );
    try {
      expect(imageFromCanvas(bitmap)).toEqual(expected);
      expect(drawn).toEqual([[bitmap, 0, 0]]);
      const img = { naturalWidth: w, naturalHeight: h, width: 100, height: 100 };
      expect(imageFromCanvas(img, 1)).toEqual(convertChannels(expected, 1));
      const webgl = { width: w, height: h, getContext: () => null }; // a canvas with another context is drawn
      expect(imageFromCanvas(webgl)).toEqual(expected);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(imageFromCanvas({ data, width: w, height: h })).toEqual(expected);
  });

  it('bad input: one line naming the problem and the fix', async () => {
    await expectCode(() => imageFromImageData({ data: new Uint8ClampedArray(10), width: 2, height: 2 }), 'BAD_OPTION', /a 2×2 ImageData holds 16 RGBA bytes, received 10/);
    await expectCode(() => imageFromImageData({ data: new Uint8ClampedArray(16), width: 2, height: 2, colorSpace: 'display-p3' }), 'BAD_OPTION', /is in "display-p3", not sRGB; read it with getImageData\(x, y, w, h, \{ colorSpace: 'srgb' \}\)/);
    await expectCode(() => imageFromImageData({ data: [1, 2] as unknown as Uint8Array, width: 1, height: 1 }), 'BAD_OPTION', /expected an ImageData/);
    await expectCode(() => imageFromImageData({ data: new Uint8ClampedArray(16), width: 2, height: 2 }, 4 as 3), 'BAD_OPTION', /channels must be 1 or 3, received 4/);
    await expectCode(() => imageFromCanvas({ naturalWidth: 0, naturalHeight: 0 }), 'BAD_OPTION', /has no pixels .*wait until the image or video has loaded/);
  });
});

describe('the main entry’s pipeline: the calling thread, the same batches', () => {
  it('yields the Node pipeline’s batches (workers 0 and 2) from a source built from bytes', async () => {
    const source = await fashionMnistFromBytes({ images: bundled(IDX_FILES.test.images), labels: bundled(IDX_FILES.test.labels), split: 'test' });
    const options = { batchSize: 32, seed: 3, epochs: 1, imageSize: 24, augment: { randomResizedCrop: true, flip: true, randAugment: true, mixup: true, cutmix: true }, output: 'arrays' } as const;
    const collect = async (pipeline: AsyncIterable<{ images: Float32Array; labels: Float32Array | Int32Array }>, max = 5) => {
      const out: Array<[Float32Array, Float32Array | Int32Array]> = [];
      for await (const b of pipeline) {
        out.push([b.images, b.labels]);
        if (out.length === max) break;
      }
      return out;
    };
    const browser = createBrowserPipeline(source, options);
    const fromBrowser = await collect(browser);
    expect(browser.activeWorkers).toBe(0);
    expect(fromBrowser).toEqual(await collect(createNodePipeline(source, { ...options, workers: 0 })));
    expect(fromBrowser).toEqual(await collect(createNodePipeline(source, { ...options, workers: 2 })));
  });

  it('what needs Node is refused with the import to use', async () => {
    const source = await fashionMnistFromBytes({ images: bundled(IDX_FILES.test.images), labels: bundled(IDX_FILES.test.labels), split: 'test' });
    await expectCode(() => createBrowserPipeline(source, { batchSize: 4, workers: 2 }), 'BAD_OPTION', /createPipeline: workers: 2 needs worker threads, .*import \{ createPipeline \} from '@nf\/data\/node'/);
    const dir = path.join(tmp.dir, 'folder');
    writeFile(path.join(dir, 'a', 'x.png'), await sharp({ create: { width: 4, height: 4, channels: 3, background: 'red' } }).png().toBuffer());
    const folder = await imageFolder(dir);
    await expectCode(() => createBrowserPipeline(folder, { batchSize: 1 }), 'BAD_OPTION', /createPipeline: .* reads image files, which needs Node: import \{ createPipeline \} from '@nf\/data\/node'/);
    await expectCode(readImage(folder, 0), 'BAD_OPTION', /readImage: .* reads image files, which needs Node: import \{ readImage \} from '@nf\/data\/node'/);
    expect((await readImage(source, 1)).data).toEqual((source.spec.kind === 'raster' ? source.spec.data : new Uint8Array()).subarray(784, 1568));
    expect(createPipelineOn({ defaultWorkers: () => 0 }, source, { batchSize: 4 }).batchesPerEpoch).toBe(500);
  });
});
