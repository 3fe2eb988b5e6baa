/**
 * `nf-train eval MODEL --data DIR`: a saved model on a folder of class folders, at the model's own test
 * size with timm's evaluation transform (shorter side to floor(S / 0.875), centre crop S; @nf/data's
 * `augment: 'eval'`) and the normalization it records. DIR is a dataset folder (its val/ or
 * validation/ when it has train/) or one class-folder tree. Folder classes are matched to the model's
 * class names by name (the model may know more); a folder class it does not know is an error. The
 * batches come from `folderDataset` and are evaluated by `evaluateAsync`, as in training, so a run's
 * last evaluation and this one agree. Unreadable images are reported, left out and counted.
 */
import { imageFolder } from '@nf/data/node';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { TrainerError, oneLine, quote } from '../errors.js';
import { evaluateAsync } from '../model/evaluate.js';
import { folderDataset } from '../data/folder-dataset.js';
import type { InferenceModel } from '../model/inference-model.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './command-output.js';

export interface FolderEvalOptions {
  /** Evaluate a seeded sample of this many images (0 = all). */
  limit?: number;
  /** Images per forward pass (default 256, as training's evaluation). */
  batchSize?: number;
  /** Threads that decode and transform the images (0 = the main thread; default 1). */
  workers?: number;
  /** Called once for each unreadable image, as it is met. */
  onSkipped?: (skipped: { file: string; reason: string }) => void;
}

export interface ClassAccuracy {
  class: string;
  images: number;
  correct: number;
  /** correct / images; null when no image of the class was evaluated. */
  accuracy: number | null;
}

export interface FolderEvalReport {
  /** The model folder and the class-folder tree evaluated. */
  model: string;
  data: string;
  testSize: [number, number];
  /** The folder's classes (sorted folder names), each one of the model's. */
  classes: string[];
  /** Classes the model knows. */
  modelClasses: number;
  /** Images in the folder; those taken (a seeded sample with `limit`), evaluated, and the unreadable ones left out. */
  listed: number;
  images: number;
  evaluated: number;
  skipped: Array<{ file: string; reason: string }>;
  top1: number;
  /** Present when the model knows 5 or more classes. */
  top5?: number;
  loss: number;
  perClass: ClassAccuracy[];
  /** Rows: true class, columns: predicted class, both in `classes` order. */
  confusion: number[][];
  /** Per true class: predictions of a model class that is not among the folder's (only when the model knows more). */
  predictedOther?: number[];
}

const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** The class-folder tree to evaluate in `dir`: its val/ (or validation/) when it has train/, else `dir` itself. */
export async function evalFolder(dir: string): Promise<string> {
  if (!(await isDir(dir))) throw new TrainerError('BAD_DATASET', `--data ${quote(dir)} is not a folder; give a folder of class folders, or a dataset folder with train/ and val/.`);
  if (!(await isDir(path.join(dir, 'train')))) return dir;
  for (const name of ['val', 'validation']) if (await isDir(path.join(dir, name))) return path.join(dir, name);
  throw new TrainerError('BAD_DATASET', `${quote(dir)} has train/ but no val/ or validation/ folder to evaluate; give the class-folder tree to evaluate itself, e.g. --data ${quote(path.join(dir, 'train'))}.`);
}

/** Names for a message: the first `n` quoted, then how many more. */
function someNames(names: readonly string[], n = 10): string {
  const shown = names.slice(0, n).map(quote).join(', ');
  return names.length > n ? `${shown} and ${names.length - n} more` : shown;
}

/** Evaluates `m` on the class-folder tree of `dir` (see `evalFolder`). */
export async function evaluateFolder(m: InferenceModel, dir: string, options: FolderEvalOptions = {}): Promise<FolderEvalReport> {
  const tree = await evalFolder(dir);
  const source = await imageFolder(tree);
  const byName = new Map(m.classNames.map((name, i) => [name, i]));
  const unknown = source.classNames.filter((name) => !byName.has(name));
  if (unknown.length > 0) {
    throw new TrainerError(
      'BAD_DATASET',
      `class folder ${quote(path.join(tree, unknown[0]!))}${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''} is not a class of model ${quote(m.dir)}, whose classes are ${someNames(m.classNames)}; folders are matched to the model's classes by name.`,
    );
  }
  const [h, w] = m.testSize;
  if (h !== w) throw new TrainerError('BAD_MODEL', `model ${quote(m.dir)} is tested at ${h}×${w}; eval --data evaluates square test sizes only.`);
  const modelIndex = source.classNames.map((name) => byName.get(name)!);
  const labels = Int32Array.from(source.labels, (l) => modelIndex[l]!);
  const skipped: Array<{ file: string; reason: string }> = [];
  const data = folderDataset(
    { ...source, classNames: m.classNames, numClasses: m.classNames.length, labels, normalization: m.normalization },
    {
      size: h,
      channels: m.channels,
      augment: 'eval',
      workers: options.workers ?? 1,
      log: () => undefined,
      onSkipped: (s) => {
        const entry = { file: s.path, reason: s.reason };
        skipped.push(entry);
        options.onSkipped?.(entry);
      },
    },
  );
  const limit = options.limit ?? 0;
  const images = limit > 0 ? Math.min(limit, source.size) : source.size;
  const r = await evaluateAsync(m.model, data, options.batchSize ?? 256, limit);
  const evaluated = r.labels.length;
  if (evaluated === 0) {
    const first = skipped[0];
    throw new TrainerError('BAD_DATASET', `none of the ${images} images of ${quote(tree)} could be read${first ? ` (e.g. ${quote(first.file)}: ${first.reason})` : ''}.`);
  }
  const confusion = modelIndex.map((mi) => modelIndex.map((mj) => r.confusion[mi]![mj]!));
  const rowTotals = modelIndex.map((mi) => r.confusion[mi]!.reduce((a, b) => a + b, 0));
  const perClass = source.classNames.map((name, f) => {
    const correct = confusion[f]![f]!;
    return { class: name, images: rowTotals[f]!, correct, accuracy: rowTotals[f]! > 0 ? correct / rowTotals[f]! : null };
  });
  const k = m.classNames.length;
  // evaluateAsync gives top-5 above 5 classes; with exactly 5 every label is among the top 5.
  const top5 = r.top5 ?? (k === 5 ? 1 : undefined);
  return {
    model: m.dir,
    data: tree,
    testSize: [h, w],
    classes: [...source.classNames],
    modelClasses: k,
    listed: source.size,
    images,
    evaluated,
    skipped,
    top1: r.accuracy,
    ...(top5 !== undefined ? { top5 } : {}),
    loss: r.loss,
    perClass,
    confusion,
    ...(k > source.numClasses ? { predictedOther: rowTotals.map((total, f) => total - confusion[f]!.reduce((a, b) => a + b, 0)) } : {}),
  };
}

/** Right-aligned columns from rows of cells (the first `left` columns left-aligned). */
function table(rows: string[][], left: number): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c < left ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`.trimEnd());
}

/** The report as text: the summary, per-class accuracy and the confusion matrix (columns numbered as the rows). */
export function formatFolderEval(r: FolderEvalReport): string {
  const name = (c: string) => oneLine(c);
  const lines = [
    `model ${quote(r.model)} (${r.modelClasses} classes, test size ${r.testSize[0]}×${r.testSize[1]}) on ${quote(r.data)} (${r.classes.length} classes): ${r.images} images${r.images < r.listed ? ` (a sample of the ${r.listed})` : ''}, ${r.evaluated} evaluated, ${r.skipped.length} unreadable (left out)`,
    `top-1 ${r.top1.toFixed(4)}${r.top5 !== undefined ? `, top-5 ${r.top5.toFixed(4)}` : ''}, loss ${r.loss.toFixed(4)}`,
    'per-class accuracy:',
    ...table([['#', 'class', 'images', 'correct', 'accuracy'], ...r.perClass.map((c, i) => [String(i), name(c.class), String(c.images), String(c.correct), c.accuracy === null ? '-' : c.accuracy.toFixed(4)])], 2),
    `confusion matrix (rows: true class, columns: predicted class, numbered as above${r.predictedOther ? "; other: one of the model's classes not in the folder" : ''}):`,
    ...table(
      [
        ['', ...r.classes.map((_, i) => String(i)), ...(r.predictedOther ? ['other'] : [])],
        ...r.confusion.map((row, i) => [`${i} ${name(r.classes[i]!)}`, ...row.map(String), ...(r.predictedOther ? [String(r.predictedOther[i])] : [])]),
      ],
      1,
    ),
  ];
  return lines.join('\n');
}

/**
 * The command: evaluates `m` on `dir` and prints the report — text (unreadable images on `err`, one
 * line each, as they are met), or with `json` one JSON object (the report, unreadable images in
 * `skipped`).
 */
export async function evalFolderCommand(m: InferenceModel, dir: string, options: FolderEvalOptions & { json?: boolean } = {}, io: CommandOutput = CONSOLE_OUTPUT): Promise<FolderEvalReport> {
  const report = await evaluateFolder(m, dir, { ...options, onSkipped: options.json ? undefined : (s) => io.err(`skipped ${quote(s.file)}: ${oneLine(s.reason)}`) });
  io.out(options.json ? JSON.stringify(report) : formatFolderEval(report));
  return report;
}
