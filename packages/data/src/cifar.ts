/**
 * CIFAR-10 and CIFAR-100 "binary version" batches (Krizhevsky 2009,
 * https://www.cs.toronto.edu/~kriz/cifar.html). CIFAR-10: data_batch_1..5.bin / test_batch.bin,
 * records of 1 label byte + 3072 pixel bytes. CIFAR-100: train.bin / test.bin, records of a coarse
 * and a fine label byte + 3072 pixel bytes. Pixels are stored as three 32×32 planes (R, G, B);
 * they are reordered to HWC here.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DataError } from './errors.js';
import { NORMALIZATION } from './normalization.js';
import { isFile, readFileBytes, requireDirectory } from './read-file.js';
import type { Split } from './mnist.js';
import type { DataSource } from './source.js';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

export interface CifarOptions {
  /** Folder holding the .bin batches, or its parent (cifar-10-batches-bin / cifar-100-binary). */
  readonly dir: string;
  /** Default 'train'. */
  readonly split?: Split;
  /** CIFAR-100 only: 'fine' (100 classes, default) or 'coarse' (20 superclasses). */
  readonly labels?: 'fine' | 'coarse';
}

const PIXELS = 32 * 32 * 3;

interface Layout {
  readonly variant: 10 | 100;
  readonly dir: string;
  readonly files: readonly string[];
}

async function findLayout(root: string, split: Split): Promise<Layout> {
  for (const dir of [root, path.join(root, 'cifar-10-batches-bin'), path.join(root, 'cifar-100-binary')]) {
    if (await isFile(path.join(dir, 'data_batch_1.bin'))) {
      const files = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
      return { variant: 10, dir, files: files.map((f) => path.join(dir, f)) };
    }
    if (await isFile(path.join(dir, 'train.bin')) || (await isFile(path.join(dir, 'test.bin')))) {
      return { variant: 100, dir, files: [path.join(dir, split === 'train' ? 'train.bin' : 'test.bin')] };
    }
  }
  throw new DataError(
    'NOT_FOUND',
    `no CIFAR binary batches in ${root}: expected data_batch_1.bin … test_batch.bin (CIFAR-10) or train.bin/test.bin (CIFAR-100), directly or in cifar-10-batches-bin/ or cifar-100-binary/; download and unpack the "binary version" from https://www.cs.toronto.edu/~kriz/cifar.html.`,
  );
}

async function readNames(file: string): Promise<string[] | undefined> {
  try {
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/).map((l) => l.trim());
    const names = lines.filter((l) => l.length > 0);
    return names.length > 0 ? names : undefined;
  } catch {
    return undefined;
  }
}

/** CIFAR-10 or CIFAR-100 (detected from the files present), 32×32 RGB. */
export async function cifar(options: CifarOptions): Promise<DataSource> {
  if (typeof options?.dir !== 'string') {
    throw new DataError('BAD_OPTION', `cifar: dir must be the folder holding the CIFAR binary batches, received ${String(options?.dir)}.`);
  }
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new DataError('BAD_OPTION', `cifar: split must be 'train' or 'test', received ${JSON.stringify(split)}.`);
  }
  await requireDirectory(options.dir, 'folder', 'pass the folder holding the CIFAR binary batches');
  const layout = await findLayout(options.dir, split);
  const coarse = layout.variant === 100 && options.labels === 'coarse';
  const classNames =
    layout.variant === 10
      ? ((await readNames(path.join(layout.dir, 'batches.meta.txt'))) ?? [...CIFAR10_CLASSES])
      : ((await readNames(path.join(layout.dir, coarse ? 'coarse_label_names.txt' : 'fine_label_names.txt'))) ??
        Array.from({ length: coarse ? 20 : 100 }, (_, i) => `class_${i}`));
  const record = (layout.variant === 10 ? 1 : 2) + PIXELS;
  const labelOffset = layout.variant === 10 ? 0 : coarse ? 0 : 1;
  const chunks: Uint8Array[] = [];
  for (const file of layout.files) {
    const bytes = await readFileBytes(file, `the CIFAR-${layout.variant} ${split} split needs it; unpack the complete archive`);
    if (bytes.length === 0 || bytes.length % record !== 0) {
      throw new DataError(
        'BAD_CIFAR',
        `${file}: ${bytes.length} bytes is not a whole number of ${record}-byte CIFAR-${layout.variant} records (truncated or not a CIFAR binary batch); download the archive again.`,
      );
    }
    chunks.push(bytes);
  }
  const n = chunks.reduce((a, c) => a + c.length / record, 0);
  const data = new Uint8Array(new SharedArrayBuffer(n * PIXELS));
  const labels = new Int32Array(n);
  let k = 0;
  for (const [f, chunk] of chunks.entries()) {
    for (let r = 0; r < chunk.length; r += record, k++) {
      const label = chunk[r + labelOffset]!;
      if (label >= classNames.length) {
        throw new DataError(
          'BAD_CIFAR',
          `${layout.files[f]}: record ${r / record} has label ${label}, not below ${classNames.length} classes; is this a CIFAR-${layout.variant} batch?`,
        );
      }
      labels[k] = label;
      const planes = r + record - PIXELS;
      const out = k * PIXELS;
      for (let p = 0; p < 1024; p++) {
        data[out + p * 3] = chunk[planes + p]!;
        data[out + p * 3 + 1] = chunk[planes + 1024 + p]!;
        data[out + p * 3 + 2] = chunk[planes + 2048 + p]!;
      }
    }
  }
  const variantName = layout.variant === 10 ? 'cifar-10' : coarse ? 'cifar-100-coarse' : 'cifar-100';
  return {
    name: `${variantName}/${split} (${layout.dir})`,
    size: n,
    classNames,
    numClasses: classNames.length,
    labels,
    channels: 3,
    imageSize: { height: 32, width: 32 },
    normalization: layout.variant === 10 ? NORMALIZATION.cifar10 : NORMALIZATION.cifar100,
    spec: { kind: 'raster', data, height: 32, width: 32, channels: 3 },
  };
}
