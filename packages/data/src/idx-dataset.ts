/**
 * MNIST and Fashion-MNIST as a `DataSource`, from the bytes of their IDX files (gzip or raw) or from
 * URLs — the browser side of `mnist` / `fashionMnist` (mnist.ts, `@nf/data/node`, reads folders); both
 * check the pair here, so they return the same source. The bundled Fashion-MNIST subset
 * (data/fashion-mnist: 10,000 train + 2,000 test images, stratified; MIT licence, © 2017 Zalando SE)
 * is published with the package: a bundler gives its URLs, e.g.
 * `import url from '@nf/data/data/fashion-mnist/train-images-idx3-ubyte.gz?url'` (Vite).
 */
import { DataError } from './errors.js';
import { fetchBytes, type FetchLike } from './fetch-bytes.js';
import { decodeIdxBytes, type IdxArray } from './idx.js';
import { resolveLimit } from './limits.js';
import { NORMALIZATION, type Normalization } from './normalization.js';
import { quote } from './quote.js';
import { toShared, type DataSource } from './source.js';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export type Split = 'train' | 'test';

/** The file names of each split (the bundled subset's, in `@nf/data/data/fashion-mnist/`, and the official sets'). */
export const IDX_FILES = Object.freeze({
  train: Object.freeze({ images: 'train-images-idx3-ubyte.gz', labels: 'train-labels-idx1-ubyte.gz' }),
  test: Object.freeze({ images: 't10k-images-idx3-ubyte.gz', labels: 't10k-labels-idx1-ubyte.gz' }),
});

/** One IDX file of a pair: its contents and the name shown in errors. */
interface Named {
  readonly array: IdxArray;
  readonly name: string;
}

/** The source of a checked images/labels pair (uint8 [N, H, W] and uint8 [N], labels below the class count). */
export function idxPairSource(images: Named, labels: Named, name: string, classNames: readonly string[], normalization: Normalization): DataSource {
  const imageFile = quote(images.name);
  const labelFile = quote(labels.name);
  if (images.array.dtype !== 'uint8' || images.array.shape.length !== 3) {
    throw new DataError('BAD_IDX', `${imageFile}: expected uint8 images of shape [N, H, W], found ${images.array.dtype} [${images.array.shape.join(', ')}]; pass an images file (idx3-ubyte).`);
  }
  if (labels.array.dtype !== 'uint8' || labels.array.shape.length !== 1) {
    throw new DataError('BAD_IDX', `${labelFile}: expected uint8 labels of shape [N], found ${labels.array.dtype} [${labels.array.shape.join(', ')}]; pass a labels file (idx1-ubyte).`);
  }
  const [n, height, width] = images.array.shape as [number, number, number];
  if (labels.array.shape[0] !== n) {
    throw new DataError('COUNT_MISMATCH', `${imageFile} holds ${n} images but ${labelFile} holds ${labels.array.shape[0]} labels; use the images and labels files of the same split.`);
  }
  const labelData = Int32Array.from(labels.array.data as Uint8Array);
  const bad = labelData.findIndex((l) => l >= classNames.length);
  if (bad >= 0) {
    throw new DataError('BAD_IDX', `${labelFile}: label ${labelData[bad]} at index ${bad} is not below ${classNames.length} classes; is this the right labels file?`);
  }
  return {
    name,
    size: n,
    classNames,
    numClasses: classNames.length,
    labels: labelData,
    channels: 1,
    imageSize: { height, width },
    normalization,
    spec: { kind: 'raster', data: toShared(images.array.data as Uint8Array), height, width, channels: 1 },
  };
}

export function checkSplit(owner: string, split: unknown): Split {
  if (split !== 'train' && split !== 'test') {
    throw new DataError('BAD_OPTION', `${owner}: split must be 'train' or 'test', received ${JSON.stringify(split)}.`);
  }
  return split;
}

export interface IdxBytesOptions {
  /** The images file's bytes (idx3-ubyte, gzip or raw). */
  readonly images: Uint8Array | ArrayBuffer;
  /** The labels file's bytes (idx1-ubyte, gzip or raw). */
  readonly labels: Uint8Array | ArrayBuffer;
  /** Which split the files are; names the source. Default 'train'. */
  readonly split?: Split;
  /** The most bytes each IDX file may hold after decompression. Default `DEFAULT_LIMITS.maxBytes` (1 GiB). */
  readonly maxBytes?: number;
  /** Names for the two files in messages and the source's name. Default the split's official file names. */
  readonly names?: { readonly images?: string; readonly labels?: string };
}

export interface IdxUrlOptions {
  /** URL of the images file (idx3-ubyte, gzip or raw). */
  readonly images: string | URL;
  /** URL of the labels file (idx1-ubyte, gzip or raw). */
  readonly labels: string | URL;
  /** Default 'train'. */
  readonly split?: Split;
  /** The most bytes each file may hold, downloaded and after decompression. Default 1 GiB. */
  readonly maxBytes?: number;
  /** The `fetch` to use (default the global one). */
  readonly fetch?: FetchLike;
}

type Owner = 'fashionMnistFromBytes' | 'mnistFromBytes' | 'fashionMnistFromUrls' | 'mnistFromUrls';

async function fromBytes(options: IdxBytesOptions, owner: Owner, dataset: string, classNames: readonly string[], normalization: Normalization): Promise<DataSource> {
  if (typeof options !== 'object' || options === null) throw new DataError('BAD_OPTION', `${owner}: pass { images, labels } (the bytes of the two IDX files), received ${String(options)}.`);
  const split = checkSplit(owner, options.split ?? 'train');
  const maxBytes = resolveLimit(owner, 'maxBytes', options.maxBytes);
  const bytesOf = (key: 'images' | 'labels'): Uint8Array => {
    const v = options[key];
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    throw new DataError('BAD_OPTION', `${owner}: ${key} must be the bytes of an IDX file (a Uint8Array or an ArrayBuffer), received ${v === null ? 'null' : typeof v}.`);
  };
  const names = { images: options.names?.images ?? IDX_FILES[split].images, labels: options.names?.labels ?? IDX_FILES[split].labels };
  const [images, labels] = await Promise.all([decodeIdxBytes(bytesOf('images'), names.images, maxBytes, owner), decodeIdxBytes(bytesOf('labels'), names.labels, maxBytes, owner)]);
  return idxPairSource({ array: images, name: names.images }, { array: labels, name: names.labels }, `${dataset}/${split} (bytes)`, classNames, normalization);
}

async function fromUrls(options: IdxUrlOptions, owner: Owner, dataset: string, classNames: readonly string[], normalization: Normalization): Promise<DataSource> {
  if (typeof options !== 'object' || options === null) throw new DataError('BAD_OPTION', `${owner}: pass { images, labels } (the URLs of the two IDX files), received ${String(options)}.`);
  const split = checkSplit(owner, options.split ?? 'train');
  const maxBytes = resolveLimit(owner, 'maxBytes', options.maxBytes);
  const urlOf = (key: 'images' | 'labels'): string => {
    const v = options[key];
    if (v instanceof URL) return v.href;
    if (typeof v === 'string' && v !== '') return v;
    throw new DataError('BAD_OPTION', `${owner}: ${key} must be the URL of an IDX file, received ${v === null ? 'null' : typeof v}.`);
  };
  const urls = { images: urlOf('images'), labels: urlOf('labels') };
  const hint = `pass the URLs of the ${split} IDX files`;
  const [imageBytes, labelBytes] = await Promise.all([fetchBytes(urls.images, hint, maxBytes, options.fetch), fetchBytes(urls.labels, hint, maxBytes, options.fetch)]);
  const [images, labels] = await Promise.all([decodeIdxBytes(imageBytes, urls.images, maxBytes, owner), decodeIdxBytes(labelBytes, urls.labels, maxBytes, owner)]);
  return idxPairSource({ array: images, name: urls.images }, { array: labels, name: urls.labels }, `${dataset}/${split} (${urls.images})`, classNames, normalization);
}

/**
 * Fashion-MNIST (Xiao et al. 2017) from the bytes of its images and labels IDX files (gzip or raw):
 * the source `fashionMnist` (`@nf/data/node`) returns for the same files. For the bundled subset,
 * fetch the package's `data/fashion-mnist/*.gz` (see `fashionMnistFromUrls`).
 */
export function fashionMnistFromBytes(options: IdxBytesOptions): Promise<DataSource> {
  return fromBytes(options, 'fashionMnistFromBytes', 'fashion-mnist', FASHION_MNIST_CLASSES, NORMALIZATION.fashionMnist);
}

/** MNIST digits from the bytes of its images and labels IDX files (gzip or raw); `mnist` reads folders. */
export function mnistFromBytes(options: IdxBytesOptions): Promise<DataSource> {
  return fromBytes(options, 'mnistFromBytes', 'mnist', MNIST_CLASSES, NORMALIZATION.mnist);
}

/**
 * Fashion-MNIST from the URLs of its images and labels IDX files, fetched within `maxBytes` — in a web
 * app, the bundled subset's files as the bundler serves them:
 * `import images from '@nf/data/data/fashion-mnist/train-images-idx3-ubyte.gz?url'` (and the labels).
 */
export function fashionMnistFromUrls(options: IdxUrlOptions): Promise<DataSource> {
  return fromUrls(options, 'fashionMnistFromUrls', 'fashion-mnist', FASHION_MNIST_CLASSES, NORMALIZATION.fashionMnist);
}

/** MNIST digits from the URLs of its images and labels IDX files. */
export function mnistFromUrls(options: IdxUrlOptions): Promise<DataSource> {
  return fromUrls(options, 'mnistFromUrls', 'mnist', MNIST_CLASSES, NORMALIZATION.mnist);
}
