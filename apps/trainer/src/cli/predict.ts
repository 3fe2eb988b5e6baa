/**
 * `nf-train predict MODEL IMAGE|DIR…`: classifies image files with a saved model, prepared exactly as
 * `eval --data` prepares them — @nf/data's pipeline with `augment: 'eval'` (timm's resize keeping the
 * aspect ratio and centre crop) at the model's test size, with the normalization it records — in
 * batches. Each file gets the top-k classes of softmax(logits), whose probabilities sum to 1 over all
 * classes; a file that cannot be read or decoded gets its reason instead, in its place.
 */
import * as tf from '@tensorflow/tfjs';
import { createPipeline, type DataSource } from '@nf/data/node';
import { TrainerError, oneLine, quote } from '../errors.js';
import { imagePaths, type ImageEntry } from './image-paths.js';
import type { InferenceModel } from '../model/inference-model.js';
import { CONSOLE_OUTPUT, type CommandOutput } from './command-output.js';

export interface Prediction {
  class: string;
  probability: number;
}

/** The result for one file: its top classes, or why it was not classified. */
export type PredictResult = { file: string; top: Prediction[]; error?: undefined } | { file: string; error: string; top?: undefined };

export interface PredictOptions {
  /** Classes per file, most probable first (default 5; at most the model's classes). */
  topK?: number;
  /** Images per forward pass (default 32). */
  batchSize?: number;
  /** Threads that decode and transform the images (default: 0 for one batch, else 2). */
  workers?: number;
}

/** One result per entry, in order, batch by batch. Every tensor made here is disposed. */
export async function* predictImages(m: InferenceModel, entries: readonly ImageEntry[], options: PredictOptions = {}): AsyncGenerator<PredictResult> {
  const topK = options.topK ?? 5;
  if (!(Number.isInteger(topK) && topK >= 1)) throw new TrainerError('BAD_ARGS', `top-k must be an integer >= 1, received ${topK}.`);
  const batchSize = options.batchSize ?? 32;
  const k = Math.min(topK, m.classNames.length);
  const files = entries.flatMap((e, i) => (e.error === undefined ? [i] : []));
  const done = new Map<number, PredictResult>();
  let next = 0;
  /** The results of entries before `upTo` (an entry index), once each is known. */
  function* emit(upTo: number, skipped: ReadonlyMap<number, string>): Generator<PredictResult> {
    for (; next < upTo; next++) {
      const e = entries[next]!;
      if (e.error !== undefined) yield { file: e.file, error: e.error };
      else yield done.get(next) ?? { file: e.file, error: skipped.get(next) ?? 'not read' };
      done.delete(next);
    }
  }
  if (files.length === 0) {
    yield* emit(entries.length, new Map());
    return;
  }
  const source: DataSource = {
    name: 'predict',
    size: files.length,
    classNames: m.classNames,
    numClasses: m.classNames.length,
    labels: new Int32Array(files.length),
    channels: 3,
    imageSize: undefined,
    normalization: m.normalization,
    spec: { kind: 'files', paths: files.map((i) => entries[i]!.file) },
  };
  const pipeline = createPipeline(source, {
    batchSize,
    shuffle: false,
    epochs: 1,
    imageSize: m.testSize,
    channels: m.channels,
    augment: 'eval',
    workers: options.workers ?? (files.length > batchSize ? 2 : 0),
  });
  const skippedReasons = () => new Map(pipeline.skipped.map((s) => [files[s.index]!, s.reason]));
  try {
    for await (const b of pipeline) {
      let top: { values: tf.Tensor; indices: tf.Tensor };
      try {
        top = tf.tidy(() => tf.topk(tf.softmax(m.model.predict(b.images) as tf.Tensor2D), k));
      } finally {
        tf.dispose([b.images, b.labels]);
      }
      try {
        const [values, indices] = await Promise.all([top.values.data(), top.indices.data()]);
        for (let j = 0; j < b.size; j++) {
          const entry = files[b.indices[j]!]!;
          const best = Array.from({ length: k }, (_, r) => ({ class: m.classNames[indices[j * k + r]!]!, probability: values[j * k + r]! }));
          done.set(entry, { file: entries[entry]!.file, top: best });
        }
      } finally {
        tf.dispose([top.values, top.indices]);
      }
      // Every entry up to the end of this batch is settled (classified, skipped or never an image).
      const last = Math.min(files.length, b.index + batchSize) - 1;
      yield* emit(files[last]! + 1, skippedReasons());
    }
  } finally {
    await pipeline.close();
  }
  yield* emit(entries.length, skippedReasons());
}

/** One result as a line of text: the file, then its classes with probabilities (or why it was skipped). */
export function formatPrediction(r: PredictResult): string {
  if (r.error !== undefined) return `skipped ${quote(r.file)}: ${oneLine(r.error)}`;
  return `${quote(r.file)}: ${r.top.map((p) => `${oneLine(p.class)} ${p.probability.toFixed(4)}`).join(', ')}`;
}

/**
 * The command: classifies the images of `inputs` (files and folders) with `m`, printing one line per
 * file — text, or with `json` one JSON object per line ({ file, top: [{ class, probability }] } or
 * { file, error }). Unreadable files are reported (on `err` as text) and skipped. Returns the exit
 * code: 0 when at least one file was classified, else 1.
 */
export async function predictCommand(m: InferenceModel, inputs: readonly string[], options: PredictOptions & { json?: boolean } = {}, io: CommandOutput = CONSOLE_OUTPUT): Promise<number> {
  const entries = await imagePaths(inputs);
  let classified = 0;
  let skipped = 0;
  for await (const r of predictImages(m, entries, options)) {
    if (r.error === undefined) classified += 1;
    else skipped += 1;
    if (options.json) io.out(JSON.stringify(r));
    else (r.error === undefined ? io.out : io.err)(formatPrediction(r));
  }
  if (classified === 0 && !options.json) io.err(`nf-train: no image could be classified (${skipped} skipped).`);
  return classified > 0 ? 0 : 1;
}
