/**
 * MNIST and Fashion-MNIST from their four IDX files (gzip or raw) in a folder, and the Fashion-MNIST
 * subset bundled in data/fashion-mnist (10,000 train + 2,000 test images, stratified; MIT licence,
 * © 2017 Zalando SE — see data/fashion-mnist/LICENSE and README.md). Node only (`@nf/data/node`);
 * from bytes or URLs (a browser): idx-dataset.ts, which checks the pair for both.
 */
import path from 'node:path';
import { DataError } from './errors.js';
import { readIdxFile } from './idx-file.js';
import type { IdxArray } from './idx.js';
import { checkSplit, FASHION_MNIST_CLASSES, idxPairSource, MNIST_CLASSES, type Split } from './idx-dataset.js';
import { resolveLimit } from './limits.js';
import { NORMALIZATION, type Normalization } from './normalization.js';
import { bundledFashionMnistDir } from './package-paths.js';
import { quote } from './quote.js';
import { isFile, requireDirectory } from './read-file.js';
import type { DataSource } from './source.js';

/** Where Debian's `dataset-fashion-mnist` package installs the full set. */
export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export interface IdxDatasetOptions {
  /** Folder holding the four IDX files. For `fashionMnist`, absent = the bundled subset. */
  readonly dir?: string;
  /** Default 'train'. */
  readonly split?: Split;
  /** The most bytes each IDX file may hold after decompression. Default `DEFAULT_LIMITS.maxBytes` (1 GiB). */
  readonly maxBytes?: number;
}

/** Finds `<prefix>-<kind>-idxN-ubyte` (or the `.idxN-ubyte` spelling), gzip preferred. */
async function findIdxFile(dir: string, prefix: string, kind: 'images' | 'labels', rank: number): Promise<string> {
  const stems = [`${prefix}-${kind}-idx${rank}-ubyte`, `${prefix}-${kind}.idx${rank}-ubyte`];
  const candidates = stems.flatMap((s) => [`${s}.gz`, s]);
  for (const name of candidates) {
    const file = path.join(dir, name);
    if (await isFile(file)) return file;
  }
  throw new DataError(
    'NOT_FOUND',
    `no ${kind} file in ${quote(dir)}: looked for ${candidates.join(', ')}; pass the folder holding the MNIST-format files (for the full Fashion-MNIST: apt-get install dataset-fashion-mnist, then dir: '${DEBIAN_FASHION_MNIST_DIR}').`,
  );
}

function readIdx(file: string, maxBytes: number, owner: string): Promise<IdxArray> {
  return readIdxFile(file, 'pass the folder holding the MNIST-format files', maxBytes, owner);
}

async function loadIdxPair(
  dir: string,
  split: Split,
  name: string,
  classNames: readonly string[],
  normalization: Normalization,
  owner: 'fashionMnist' | 'mnist',
  maxBytesOption: unknown,
): Promise<DataSource> {
  checkSplit(name, split);
  const maxBytes = resolveLimit(owner, 'maxBytes', maxBytesOption);
  await requireDirectory(dir, 'folder', `pass the folder holding the MNIST-format IDX files (for the full Fashion-MNIST: apt-get install dataset-fashion-mnist, then dir: '${DEBIAN_FASHION_MNIST_DIR}')`);
  const prefix = split === 'train' ? 'train' : 't10k';
  const imageFile = await findIdxFile(dir, prefix, 'images', 3);
  const labelFile = await findIdxFile(dir, prefix, 'labels', 1);
  const [images, labels] = await Promise.all([readIdx(imageFile, maxBytes, owner), readIdx(labelFile, maxBytes, owner)]);
  return idxPairSource({ array: images, name: imageFile }, { array: labels, name: labelFile }, name, classNames, normalization);
}

/**
 * Fashion-MNIST (Xiao et al. 2017). Without `dir`, the bundled subset (10,000 train / 2,000 test,
 * 28×28 gray, 1,000 / 200 per class); with `dir`, the four IDX files found there.
 */
export async function fashionMnist(options: IdxDatasetOptions = {}): Promise<DataSource> {
  if (options?.dir !== undefined && typeof options.dir !== 'string') {
    throw new DataError('BAD_OPTION', `fashionMnist: dir must be the folder holding the Fashion-MNIST IDX files (or absent for the bundled subset), received ${typeof options.dir}.`);
  }
  const split = options.split ?? 'train';
  const dir = options.dir ?? bundledFashionMnistDir;
  const label = options.dir ? `fashion-mnist/${split} (${quote(dir)})` : `fashion-mnist/${split} (bundled subset)`;
  return loadIdxPair(dir, split, label, FASHION_MNIST_CLASSES, NORMALIZATION.fashionMnist, 'fashionMnist', options.maxBytes);
}

/** MNIST digits from the four IDX files in `dir`. */
export async function mnist(options: IdxDatasetOptions & { readonly dir: string }): Promise<DataSource> {
  if (typeof options?.dir !== 'string') {
    throw new DataError('BAD_OPTION', `mnist: dir must be the folder holding the MNIST IDX files, received ${String(options?.dir)}.`);
  }
  const split = options.split ?? 'train';
  return loadIdxPair(options.dir, split, `mnist/${split} (${quote(options.dir)})`, MNIST_CLASSES, NORMALIZATION.mnist, 'mnist', options.maxBytes);
}
