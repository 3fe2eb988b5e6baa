/**
 * CIFAR-10 and CIFAR-100 "binary version" batches (Krizhevsky 2009,
 * https://www.cs.toronto.edu/~kriz/cifar.html). CIFAR-10: data_batch_1..5.bin / test_batch.bin,
 * records of 1 label byte + 3072 pixel bytes. CIFAR-100: train.bin / test.bin, records of a coarse
 * and a fine label byte + 3072 pixel bytes. Pixels are stored as three 32×32 planes (R, G, B);
 * they are reordered to HWC here.
 *
 * Untrusted files: a batch's size is checked before it is read: a whole number of records and the
 * official count (10,000 per CIFAR-10 batch, 50,000 / 10,000 in CIFAR-100's train.bin / test.bin),
 * unless `allowAnyRecordCount` — then only `maxBytes` bounds it. Every label byte is checked (both
 * bytes in CIFAR-100), and a label-names file must hold exactly the number of classes.
 */
import path from 'node:path';
import { DataError } from './errors.js';
import { formatCount, resolveLimit } from './limits.js';
import { NORMALIZATION } from './normalization.js';
import { oneLine, quote } from './quote.js';
import { isFile, readBounded, readFileBytes, requireDirectory } from './read-file.js';
import type { Split } from './idx-dataset.js';
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
  /**
   * Accept batches of any whole number of records (a subset or a combination you made). Default
   * false: each file must hold the official count (CIFAR-10 10,000 per batch; CIFAR-100 train.bin
   * 50,000, test.bin 10,000), so a file cut at a record boundary is an error, not a smaller set.
   */
  readonly allowAnyRecordCount?: boolean;
  /** The most bytes one batch file may hold. Default `DEFAULT_LIMITS.maxBytes` (1 GiB). */
  readonly maxBytes?: number;
}

const PIXELS = 32 * 32 * 3;
/** Records in each official batch file. */
const OFFICIAL_RECORDS: Record<string, number> = {
  'data_batch_1.bin': 10_000,
  'data_batch_2.bin': 10_000,
  'data_batch_3.bin': 10_000,
  'data_batch_4.bin': 10_000,
  'data_batch_5.bin': 10_000,
  'test_batch.bin': 10_000,
  'train.bin': 50_000,
  'test.bin': 10_000,
};
/** A label-names file is a few hundred bytes; anything past this is not one. */
const MAX_NAMES_BYTES = 1 << 20;

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
    `no CIFAR binary batches in ${quote(root)}: expected data_batch_1.bin … test_batch.bin (CIFAR-10) or train.bin/test.bin (CIFAR-100), directly or in cifar-10-batches-bin/ or cifar-100-binary/; download and unpack the "binary version" from https://www.cs.toronto.edu/~kriz/cifar.html.`,
  );
}

/** The class names in `file` (one per non-empty line), exactly `count` of them; undefined when the file does not exist. */
async function readNames(file: string, count: number): Promise<string[] | undefined> {
  const fix = `it must list the ${count} class names, one per line, as in the official archive; fix or delete it (the default names are used without it)`;
  const result = await readBounded(file, {
    maxBytes: MAX_NAMES_BYTES,
    limitName: 'maxBytes',
    inspect: {
      prefixBytes: 0,
      check: (_, size) => {
        if (size > MAX_NAMES_BYTES) throw new DataError('BAD_CIFAR', `label-names file ${quote(file)} is ${formatCount(size)} bytes, a label-names file is a few KB (at most 1 MiB); ${fix}.`);
      },
    },
  });
  if ('problem' in result) {
    const errno = (result.problem.cause as NodeJS.ErrnoException | undefined)?.code;
    if (errno === 'ENOENT' || errno === 'ENOTDIR') return undefined;
    throw new DataError('BAD_CIFAR', `label-names file ${quote(file)} ${result.problem.detail}; ${fix}.`, { cause: result.problem.cause });
  }
  const names = new TextDecoder('utf-8').decode(result.bytes).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length !== count) {
    throw new DataError('BAD_CIFAR', `label-names file ${quote(file)} lists ${names.length} names, expected ${count}; ${fix}.`);
  }
  const bad = names.find((n) => oneLine(n) !== n);
  if (bad !== undefined) throw new DataError('BAD_CIFAR', `label-names file ${quote(file)} has the name ${quote(bad)} with control characters; ${fix}.`);
  return names;
}

/** CIFAR-10 or CIFAR-100 (detected from the files present), 32×32 RGB. */
export async function cifar(options: CifarOptions): Promise<DataSource> {
  if (typeof options?.dir !== 'string') {
    throw new DataError('BAD_OPTION', `cifar: dir must be the folder holding the CIFAR binary batches, received ${typeof options?.dir}.`);
  }
  const split = options.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new DataError('BAD_OPTION', `cifar: split must be 'train' or 'test', received ${JSON.stringify(split)}.`);
  }
  if (options.labels !== undefined && options.labels !== 'fine' && options.labels !== 'coarse') {
    throw new DataError('BAD_OPTION', `cifar: labels must be 'fine' or 'coarse', received ${JSON.stringify(options.labels)}.`);
  }
  const maxBytes = resolveLimit('cifar', 'maxBytes', options.maxBytes);
  const anyCount = options.allowAnyRecordCount === true;
  await requireDirectory(options.dir, 'folder', 'pass the folder holding the CIFAR binary batches');
  const layout = await findLayout(options.dir, split);
  const coarse = layout.variant === 100 && options.labels === 'coarse';
  const numClasses = layout.variant === 10 ? 10 : coarse ? 20 : 100;
  const classNames =
    layout.variant === 10
      ? ((await readNames(path.join(layout.dir, 'batches.meta.txt'), 10)) ?? [...CIFAR10_CLASSES])
      : ((await readNames(path.join(layout.dir, coarse ? 'coarse_label_names.txt' : 'fine_label_names.txt'), numClasses)) ??
        Array.from({ length: numClasses }, (_, i) => `class_${i}`));
  const record = (layout.variant === 10 ? 1 : 2) + PIXELS;
  const labelOffset = layout.variant === 10 ? 0 : coarse ? 0 : 1;
  const name = `CIFAR-${layout.variant}`;
  const chunks: Uint8Array[] = [];
  for (const file of layout.files) {
    const official = OFFICIAL_RECORDS[path.basename(file)]!;
    const bytes = await readFileBytes(file, `the ${name} ${split} split needs it; unpack the complete archive`, {
      maxBytes,
      limitName: 'maxBytes',
      inspect: {
        prefixBytes: 0,
        check: (_, size) => {
          if (size === 0 || size % record !== 0) {
            throw new DataError(
              'BAD_CIFAR',
              `${quote(file)}: ${formatCount(size)} bytes is not a whole number of ${record}-byte ${name} records (truncated or not a ${name} binary batch); download the archive again.`,
            );
          }
          if (!anyCount && size / record !== official) {
            throw new DataError(
              'BAD_CIFAR',
              `${quote(file)}: holds ${formatCount(size / record)} records, an official ${name} ${path.basename(file)} holds ${formatCount(official)} (the file is cut or not from the official archive); download the archive again, or pass allowAnyRecordCount: true if you made this file on purpose.`,
            );
          }
        },
      },
    });
    if (bytes.length % record !== 0) {
      throw new DataError('BAD_CIFAR', `${quote(file)}: changed size while being read; read it again when nothing is writing it.`);
    }
    chunks.push(bytes);
  }
  const n = chunks.reduce((a, c) => a + c.length / record, 0);
  let data: Uint8Array;
  try {
    data = new Uint8Array(new SharedArrayBuffer(n * PIXELS));
  } catch (error) {
    throw new DataError('TOO_LARGE', `cifar: ${formatCount(n)} records (${formatCount(n * PIXELS)} bytes) in ${quote(layout.dir)} are more than this process can allocate (${oneLine(String((error as Error).message))}); lower maxBytes or free memory.`, { cause: error });
  }
  const labels = new Int32Array(n);
  let k = 0;
  for (const [f, chunk] of chunks.entries()) {
    for (let r = 0; r < chunk.length; r += record, k++) {
      if (layout.variant === 100 && (chunk[r]! >= 20 || chunk[r + 1]! >= 100)) {
        throw new DataError(
          'BAD_CIFAR',
          `${quote(layout.files[f]!)}: record ${r / record} has coarse label ${chunk[r]} and fine label ${chunk[r + 1]}, CIFAR-100 needs < 20 and < 100; is this a CIFAR-100 batch? Download the archive again.`,
        );
      }
      const label = chunk[r + labelOffset]!;
      if (label >= numClasses) {
        throw new DataError(
          'BAD_CIFAR',
          `${quote(layout.files[f]!)}: record ${r / record} has label ${label}, not below ${numClasses} classes; is this a ${name} batch? Download the archive again.`,
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
    name: `${variantName}/${split} (${quote(layout.dir)})`,
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
