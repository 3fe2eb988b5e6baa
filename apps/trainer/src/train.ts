/**
 * `nf-train train`: the loop. Data → MixUp/CutMix (when on) → forward/backward → AGC → weight decay → Nesterov SGD on a
 * warmup-cosine schedule → EMA; evaluation each epoch with the EMA weights; metrics.jsonl; atomic
 * checkpoints (resume continues exactly where it stopped); SIGINT/SIGTERM finish the step, write a
 * checkpoint and say how to resume; a report.html and the final model at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { countParams, createModel, saveModel, configOf, type NfConfig } from '@nf/models/node';
import { availableParallelism } from 'node:os';
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TrainConfig } from './config/train-config.js';
import { loadTrainingData, type Dataset } from './data/dataset.js';
import { chooseMisclassified, pngDataUrl, type MisclassifiedExample } from './report/report-images.js';
import { warmupCosine } from './step/lr-schedule.js';
import { createOptimizer, trainStep, namedWeights, trainableVariables, NonFiniteError, type StepOptions } from './step/train-step.js';
import { DataParallel } from './step/data-parallel.js';
import { acceleratorState } from './step/load-backend.js';
import { WeightEma } from './step/ema.js';
import { latestCheckpoint, loadCheckpoint, newestIntactCheckpoint, restoreCheckpoint, writeCheckpoint, type CheckpointParts } from './checkpoints/checkpoint.js';
import { claimForFreshRun, prepareOutDir } from './checkpoints/out-dir.js';
import { checkResumeConfig, truncateMetrics } from './checkpoints/resume.js';
import { TrainerError, quote } from './errors.js';
import { evaluateAsync, type EvalResult } from './model/evaluate.js';
import { renderReport, type MetricRecord } from './report/report.js';
import { reportSpp } from './report/spp.js';
import { trainedModelMetadata } from './model/model-metadata.js';
import { Progress } from './report/progress.js';
import { stepSeed, withSeed } from './data/seeded-random.js';
import { mixBatch, mixingEnabled, type MixedBatch, type MixOptions } from './data/mix.js';
import { loadPretrained } from './model/pretrained.js';
import { isClassifier } from './step/param-groups.js';

export interface TrainResult {
  testAccuracy: number;
  steps: number;
  /** Training time of the whole run in seconds, summed over its sessions when it was resumed. */
  seconds: number;
  interrupted: boolean;
  outDir: string;
}

export interface TrainOptions {
  /**
   * Continue the run in `config.out`: `true` = from its newest intact checkpoint (a damaged newer one
   * is skipped, saying so), a path = from that checkpoint folder. The configuration must be the run's
   * own except for the keys in RESUMABLE_KEYS (see resume.ts); the CLI builds it from the checkpoint.
   */
  resume?: boolean | string;
  log?: (line: string) => void;
  /** The preset the configuration came from, recorded in checkpoints (the CLI passes it). */
  preset?: string;
  /** A fresh run into a folder that holds a run: refused unless true (then its outputs are removed). */
  overwrite?: boolean;
  /** Called once before the first step, when the model holds the weights the run starts from (fresh,
   * `pretrained`, or the resumed checkpoint's). For tests and tools that inspect them. */
  onReady?: (model: tf.LayersModel) => void | Promise<void>;
}

/**
 * Trains `config` into `config.out`: takes the folder's lock (refusing a second writer), trains,
 * checkpoints, and writes the model and report. A run that fails leaves no empty folders behind.
 */
export async function train(config: TrainConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const outDir = await prepareOutDir(config.out, log);
  const metricsFile = path.join(outDir.dir, 'metrics.jsonl');
  let failed = true;
  try {
    const result = await trainIn(outDir.dir, config, options, log);
    failed = false;
    return result;
  } finally {
    // A run that failed before recording anything leaves neither an empty metrics file nor folders.
    if (failed && (await stat(metricsFile).then((s) => s.size === 0, () => false))) await rm(metricsFile, { force: true });
    await outDir.release({ failed });
  }
}

async function trainIn(out: string, config: TrainConfig, options: TrainOptions, log: (line: string) => void): Promise<TrainResult> {
  const metricsFile = path.join(out, 'metrics.jsonl');
  const ckptDir = path.join(out, 'checkpoints');
  if (!options.resume) await claimForFreshRun(out, options.overwrite ?? false, log);
  // Image folders are read at the model's own sizes (train and test); preset datasets at theirs.
  const { train: trainSet, test: testSet } = await loadTrainingData(config, log);
  if (trainSet.size < config.batchSize) {
    throw new TrainerError(
      'BAD_DATASET',
      `batch size ${config.batchSize} is larger than the training set (${trainSet.size} examples of ${trainSet.name}): no step could be taken; use --batch-size ${Math.max(1, trainSet.size)} or less.`,
    );
  }
  const [h, w, c] = trainSet.shape;
  const modelConfig = configOf(config.model as never, { numClasses: trainSet.numClasses, inChannels: c, ...config.modelOverrides });
  tf.util.assert(h === w, () => 'square images expected');
  const model = withSeed(config.seed, () => createModel(modelConfig));
  log(`model ${config.model}: ${countParams(modelConfig).toLocaleString('en')} parameters; data ${trainSet.name} (${trainSet.size} train, ${testSet.size} test)`);
  // Pretrained weights go in before the EMA copies the weights; a resumed run takes its checkpoint's.
  if (config.pretrained && !options.resume) {
    try {
      log((await loadPretrained(model, config.pretrained)).line);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }
  const optimizer = createOptimizer(trainableVariables(model), config.lr, config.momentum, config.nesterov);
  const vars = namedWeights(model);
  const ema = config.emaDecay > 0 ? new WeightEma(vars, config.emaDecay) : undefined;
  const stepsPerEpoch = Math.floor(trainSet.size / config.batchSize);
  // The schedule follows the planned run; --max-steps only stops it early (so a short run and its
  // resumption follow exactly the same learning rates as one long run).
  const plannedSteps = config.epochs * stepsPerEpoch;
  const totalSteps = config.maxSteps > 0 ? Math.min(config.maxSteps, plannedSteps) : plannedSteps;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
  const mixOptions: MixOptions = { mixup: config.mixup, cutmix: config.cutmix, prob: config.mixupProb, switchProb: config.mixupSwitchProb };
  const mixing = mixingEnabled(mixOptions);
  let step = 0;
  let epoch = 0;
  let index = 0;
  // Training seconds of earlier sessions of this run (from the checkpoint resumed).
  let earlierSeconds = 0;
  const parts: CheckpointParts = { weights: vars, optimizer, ...(ema ? { ema: ema.shadows } : {}) };
  if (options.resume) {
    const loaded = typeof options.resume === 'string' ? await loadCheckpoint(options.resume, parts) : await newestIntactCheckpoint(ckptDir, parts, log);
    checkResumeConfig(loaded.state.config, config, loaded.folder);
    if (loaded.state.index > trainSet.size) {
      throw new TrainerError('BAD_CHECKPOINT', `checkpoint ${quote(loaded.folder)} is at example ${loaded.state.index} of an epoch, but the training set has ${trainSet.size}; was it written for another dataset?`);
    }
    const state = await restoreCheckpoint(loaded, parts);
    ({ step, epoch, index } = state);
    earlierSeconds = state.elapsedSeconds ?? 0;
    const dropped = await truncateMetrics(metricsFile, step);
    log(`resumed from ${loaded.folder} at step ${step} (epoch ${epoch + 1}, example ${index})${dropped ? `; dropped ${dropped} metrics rows past step ${step} (from the interrupted session)` : ''}${config.pretrained ? ` (weights from the checkpoint; --pretrained ${quote(config.pretrained)} is not reloaded)` : ''}`);
  } else {
    await writeFile(metricsFile, '');
  }
  const parallel = await startParallel(model, modelConfig, config, log);
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const record = async (r: MetricRecord) => appendFile(metricsFile, `${JSON.stringify(r)}\n`);
  const started = performance.now();
  const elapsed = () => earlierSeconds + (performance.now() - started) / 1000;
  let lastCheckpoint = { at: performance.now(), step };
  const checkpoint = async () => {
    const where = await writeCheckpoint(
      ckptDir,
      parts,
      { step, epoch, index, seed: config.seed, config, modelConfig, classNames: [...trainSet.classNames], elapsedSeconds: elapsed(), ...(options.preset ? { preset: options.preset } : {}) },
      config.keepCheckpoints,
    );
    lastCheckpoint = { at: performance.now(), step };
    return where;
  };
  // Within an epoch: by time (long epochs) or by step count, whichever is set and comes first.
  const checkpointDue = () =>
    step > lastCheckpoint.step &&
    ((config.checkpointMinutes > 0 && performance.now() - lastCheckpoint.at >= config.checkpointMinutes * 60_000) ||
      (config.checkpointSteps > 0 && step % config.checkpointSteps === 0));
  const evalNow = (): Promise<EvalResult> =>
    ema ? ema.withAveraged(() => evaluateAsync(model, testSet, 256, config.evalLimit)) : evaluateAsync(model, testSet, 256, config.evalLimit);

  const progress = new Progress(totalSteps, log, step);
  let lastEval: EvalResult | undefined;
  const stream = trainSet.trainBatches({ epoch, index }, { batchSize: config.batchSize, shift: config.randomShift, seed: config.seed });
  let skippedImages = 0;
  // Head-only epochs: the phase follows the epoch of each batch, so a resumed run is in the same one.
  let headOnlyLogged = false;
  const frozen = (name: string) => !isClassifier(name);
  try {
    await options.onReady?.(model);
    while (step < totalSteps && !stop) {
      const t0 = performance.now();
      const batch = await stream.next(step);
      const { images, labels } = batch;
      skippedImages += batch.skipped;
      const lr = warmupCosine(step + 1, config.lr, warmupSteps, plannedSteps);
      const headOnly = epoch < config.headOnlyEpochs;
      if (headOnly && !headOnlyLogged) {
        progress.line(`head-only: epoch${config.headOnlyEpochs > 1 ? `s 1–${config.headOnlyEpochs}` : ' 1'} train only the classifier (head.fc); every other weight is frozen`);
        headOnlyLogged = true;
      }
      if (!headOnly && config.headOnlyEpochs > 0 && epoch === config.headOnlyEpochs && index === 0) progress.line(`epoch ${epoch + 1}: the head-only epochs are over; every weight trains from here`);
      let result;
      let mixed: MixedBatch | undefined;
      try {
        // Mixing (timm batch mode) gives dense targets with the label smoothing already in them.
        if (mixing) mixed = mixBatch(images, labels, { ...mixOptions, seed: config.seed, step, numClasses: trainSet.numClasses, smoothing: config.labelSmoothing });
        const [x, y] = mixed ? [mixed.images, mixed.targets] : [images, labels];
        const stepOptions: StepOptions = {
          clipping: config.clipping,
          weightDecay: config.weightDecay,
          labelSmoothing: mixed ? 0 : config.labelSmoothing,
          accumulation: Math.min(config.accumulation, batch.size),
          numClasses: trainSet.numClasses,
          onNan: config.onNan,
          ...(headOnly ? { headOnly } : {}),
        };
        // The step's random draws happen synchronously at its start, under the step's seed.
        result = await withSeed(stepSeed(config.seed, step), () =>
          parallel ? parallel.step(model, optimizer, x, y, lr, stepOptions) : trainStep(model, optimizer, x, y, lr, stepOptions),
        );
      } catch (e) {
        if (e instanceof NonFiniteError) {
          const last = await latestCheckpoint(ckptDir);
          throw new Error(`non-finite loss or gradient at step ${step + 1}: ${e.message}. Last good checkpoint: ${last ?? 'none'}. Lower the learning rate or clipping, or pass --on-nan skip.`);
        }
        throw e;
      } finally {
        tf.dispose([images, labels]);
        if (mixed) tf.dispose([mixed.images, mixed.targets]);
      }
      step += 1;
      ema?.update(step, headOnly ? frozen : undefined);
      const imgPerSec = (batch.size * 1000) / (performance.now() - t0);
      await record({ kind: 'train', step, epoch, loss: result.loss, accuracy: result.accuracy, lr, gradNorm: result.gradNorm, clipFraction: result.clipFraction, imgPerSec, elapsed: elapsed(), ...(batch.skipped ? { skippedImages: batch.skipped } : {}) });
      progress.update(step, { epoch: epoch + 1, loss: result.loss, acc: result.accuracy, imgPerSec, skipped: result.skipped });
      if (batch.lastInEpoch) {
        lastEval = await evalNow();
        await record({ kind: 'eval', step, epoch, loss: lastEval.loss, accuracy: lastEval.accuracy, ...(lastEval.top5 !== undefined ? { top5: lastEval.top5 } : {}), confusion: lastEval.confusion });
        const unreadable = skippedImages ? `; ${skippedImages} unreadable training images left out so far` : '';
        progress.line(`epoch ${epoch + 1}: test loss ${lastEval.loss.toFixed(4)}, top-1 ${lastEval.accuracy.toFixed(4)}${lastEval.top5 !== undefined ? `, top-5 ${lastEval.top5.toFixed(4)}` : ''}${ema ? ' (EMA weights)' : ''}${unreadable}`);
        ({ epoch, index } = batch.next);
        if (epoch % config.checkpointEvery === 0) await checkpoint();
      } else {
        ({ epoch, index } = batch.next);
        // Mid-epoch checkpoints (the epoch-end one above covers the last step of an epoch).
        if (step < totalSteps && checkpointDue()) await checkpoint();
      }
    }
    if (stop) {
      const where = await checkpoint();
      log(`interrupted at step ${step}: checkpoint written to ${where}. Resume with: nf-train train --resume --out ${quote(config.out)} (the run keeps its configuration)`);
    } else if (!lastEval || step % stepsPerEpoch !== 0) {
      lastEval = await evalNow();
      await record({ kind: 'eval', step, epoch, loss: lastEval.loss, accuracy: lastEval.accuracy, confusion: lastEval.confusion });
      await checkpoint();
    }
  } finally {
    await stream.close();
    await parallel?.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const seconds = elapsed();
  if (!stop) {
    // The final model is the EMA weights (when on): saved, and analyzed for the report's SPP.
    const finish = async () => {
      // model.json records the sizes, channels, class names and normalization (nf-spp reads the size).
      await saveModel(model, path.join(out, 'model'), { metadata: trainedModelMetadata(config, trainSet, testSet) });
      // Class names beside the model, so that later commands print names, not indices.
      await writeFile(path.join(out, 'model', 'labels.json'), `${JSON.stringify({ classNames: trainSet.classNames }, null, 2)}\n`);
      return reportSpp(model, modelConfig, config.seed, `step ${step}${ema ? ' (EMA weights)' : ''}`, log);
    };
    const spp = ema ? await ema.withAveraged(finish) : await finish();
    const records = (await readFile(metricsFile, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricRecord);
    const share = config.mixup > 0 && config.cutmix > 0 ? `, CutMix share ${config.mixupSwitchProb}` : '';
    const mix: Record<string, string> = mixing ? { 'MixUp / CutMix α': `${config.mixup} / ${config.cutmix} (batches mixed: p ${config.mixupProb}${share})` } : {};
    const misclassified = lastEval ? await misclassifiedExamples(lastEval, testSet) : [];
    await writeFile(
      path.join(out, 'report.html'),
      renderReport(records, {
        title: `nf-train: ${config.model} on ${trainSet.name}`,
        classNames: trainSet.classNames,
        summary: { backend: tf.getBackend(), steps: step, 'wall time (s)': `${seconds.toFixed(0)}${earlierSeconds > 0 ? ' (all sessions)' : ''}`, 'test top-1': lastEval?.accuracy.toFixed(4) ?? '-', 'batch size': config.batchSize, 'peak lr': config.lr, 'AGC λ': config.clipping, ...mix },
        spp,
        ...(misclassified.length ? { misclassified } : {}),
      }),
    );
  }
  ema?.dispose();
  optimizer.dispose();
  model.dispose();
  return { testAccuracy: lastEval?.accuracy ?? Number.NaN, steps: step, seconds, interrupted: stop, outDir: out };
}

/** A few test images of the last evaluation that the model got wrong, the typical mistakes first. */
async function misclassifiedExamples(result: EvalResult, data: Dataset): Promise<MisclassifiedExample[]> {
  const chosen = chooseMisclassified(result.labels, result.predicted, 8);
  const images = await Promise.all(chosen.map((k) => data.evalImage(result.indices[k]!)));
  return chosen.flatMap((k, j) => {
    const image = images[j];
    return image ? [{ image: pngDataUrl(image.data, image.width, image.height, image.channels), label: result.labels[k]!, predicted: result.predicted[k]!, index: result.indices[k]! }] : [];
  });
}

/**
 * Worker threads for the cpu and wasm backends (`workers`, 0 = one per core, or one in all when the
 * oneDNN accelerator is on: oneDNN then runs on every core, measured faster than a worker per core
 * with oneDNN on one core each — README); none for GPU backends or 1 worker.
 */
async function startParallel(model: tf.LayersModel, modelConfig: NfConfig, config: TrainConfig, log: (line: string) => void): Promise<DataParallel | undefined> {
  const backend = tf.getBackend();
  if (backend !== 'cpu' && backend !== 'wasm') return undefined;
  const accelerated = backend === 'wasm' && (await acceleratorState()).active;
  const threads = config.workers === 0 ? (accelerated ? 1 : availableParallelism()) : config.workers;
  if (threads <= 1) return undefined;
  const parallel = await DataParallel.start(model, modelConfig, backend, threads);
  log(`data parallel: ${threads} threads on ${backend} (batch split into ${Math.max(threads, config.accumulation)} micro-batches per step)`);
  return parallel;
}
