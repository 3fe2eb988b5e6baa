/**
 * `nf-train train`: the loop. Data → forward/backward → AGC → weight decay → Nesterov SGD on a
 * warmup-cosine schedule → EMA; evaluation each epoch with the EMA weights; metrics.jsonl; atomic
 * checkpoints (resume continues exactly where it stopped); SIGINT/SIGTERM finish the step, write a
 * checkpoint and say how to resume; a report.html and the final model at the end.
 */
import * as tf from '@tensorflow/tfjs';
import { countParams, createModel, saveModel, configOf } from '@nf/models';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TrainConfig } from './train-config.js';
import { loadDatasets } from './dataset.js';
import { warmupCosine } from './lr-schedule.js';
import { trainStep, namedWeights, NonFiniteError } from './train-step.js';
import { WeightEma } from './ema.js';
import { latestCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { evaluate, type EvalResult } from './evaluate.js';
import { renderReport, type MetricRecord } from './report.js';
import { Progress } from './progress.js';
import { stepSeed, withSeed } from './seeded-random.js';

export interface TrainResult {
  testAccuracy: number;
  steps: number;
  seconds: number;
  interrupted: boolean;
  outDir: string;
}

export async function train(config: TrainConfig, options: { resume?: boolean; log?: (line: string) => void } = {}): Promise<TrainResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const out = path.resolve(config.out);
  await mkdir(out, { recursive: true });
  const metricsFile = path.join(out, 'metrics.jsonl');
  const ckptDir = path.join(out, 'checkpoints');
  const { train: trainSet, test: testSet } = await loadDatasets(config.dataset, config.data, config.seed);
  const [h, w, c] = trainSet.shape;
  const modelConfig = configOf(config.model as never, { numClasses: trainSet.numClasses, inChannels: c, ...config.modelOverrides });
  tf.util.assert(h === w, () => 'square images expected');
  const model = withSeed(config.seed, () => createModel(modelConfig));
  log(`model ${config.model}: ${countParams(modelConfig).toLocaleString('en')} parameters; data ${trainSet.name} (${trainSet.size} train, ${testSet.size} test)`);
  const optimizer = tf.train.momentum(config.lr, config.momentum, config.nesterov);
  const vars = namedWeights(model);
  const ema = config.emaDecay > 0 ? new WeightEma(vars, config.emaDecay) : undefined;
  const stepsPerEpoch = Math.floor(trainSet.size / config.batchSize);
  // The schedule follows the planned run; --max-steps only stops it early (so a short run and its
  // resumption follow exactly the same learning rates as one long run).
  const plannedSteps = config.epochs * stepsPerEpoch;
  const totalSteps = config.maxSteps > 0 ? Math.min(config.maxSteps, plannedSteps) : plannedSteps;
  const warmupSteps = Math.round(config.warmupEpochs * stepsPerEpoch);
  let step = 0;
  let epoch = 0;
  let index = 0;
  if (options.resume) {
    const latest = await latestCheckpoint(ckptDir);
    if (!latest) throw new Error(`--resume: no checkpoint in ${ckptDir}; start without --resume.`);
    const state = await readCheckpoint(latest, { weights: vars, optimizer, ...(ema ? { ema: ema.shadows } : {}) });
    ({ step, epoch, index } = state);
    log(`resumed from ${latest} at step ${step} (epoch ${epoch + 1}, example ${index})`);
  } else {
    await writeFile(metricsFile, '');
  }
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const record = async (r: MetricRecord) => appendFile(metricsFile, `${JSON.stringify(r)}\n`);
  const checkpoint = async () =>
    writeCheckpoint(ckptDir, { weights: vars, optimizer, ...(ema ? { ema: ema.shadows } : {}) }, { step, epoch, index, seed: config.seed, config }, config.keepCheckpoints);
  const evalNow = (): Promise<EvalResult> =>
    ema ? ema.withAveraged(async () => evaluate(model, testSet, 256, config.evalLimit)) : Promise.resolve(evaluate(model, testSet, 256, config.evalLimit));

  const started = performance.now();
  const progress = new Progress(totalSteps, log);
  let lastEval: EvalResult | undefined;
  try {
    while (step < totalSteps && !stop) {
      const order = trainSet.order(epoch, true);
      while (index + config.batchSize <= trainSet.size && step < totalSteps && !stop) {
        const t0 = performance.now();
        const idx = order.subarray(index, index + config.batchSize);
        const { images, labels } = trainSet.batch(idx, { flip: true, seed: config.seed * 7919 + step });
        const lr = warmupCosine(step + 1, config.lr, warmupSteps, plannedSteps);
        let result;
        try {
          result = withSeed(stepSeed(config.seed, step), () => trainStep(model, optimizer, images, labels, lr, {
            clipping: config.clipping,
            weightDecay: config.weightDecay,
            labelSmoothing: config.labelSmoothing,
            accumulation: config.accumulation,
            numClasses: trainSet.numClasses,
            onNan: config.onNan,
          }));
        } catch (e) {
          if (e instanceof NonFiniteError) {
            const last = await latestCheckpoint(ckptDir);
            throw new Error(`non-finite loss or gradient at step ${step + 1}: ${e.message}. Last good checkpoint: ${last ?? 'none'}. Lower the learning rate or clipping, or pass --on-nan skip.`);
          }
          throw e;
        } finally {
          tf.dispose([images, labels]);
        }
        step += 1;
        index += config.batchSize;
        ema?.update(step);
        const imgPerSec = (config.batchSize * 1000) / (performance.now() - t0);
        await record({ kind: 'train', step, epoch, loss: result.loss, accuracy: result.accuracy, lr, gradNorm: result.gradNorm, clipFraction: result.clipFraction, imgPerSec });
        progress.update(step, { epoch: epoch + 1, loss: result.loss, acc: result.accuracy, imgPerSec, skipped: result.skipped });
      }
      if (index + config.batchSize > trainSet.size) {
        lastEval = await evalNow();
        await record({ kind: 'eval', step, epoch, loss: lastEval.loss, accuracy: lastEval.accuracy, ...(lastEval.top5 !== undefined ? { top5: lastEval.top5 } : {}), confusion: lastEval.confusion });
        progress.line(`epoch ${epoch + 1}: test loss ${lastEval.loss.toFixed(4)}, top-1 ${lastEval.accuracy.toFixed(4)}${lastEval.top5 !== undefined ? `, top-5 ${lastEval.top5.toFixed(4)}` : ''}${ema ? ' (EMA weights)' : ''}`);
        epoch += 1;
        index = 0;
        if (epoch % config.checkpointEvery === 0) await checkpoint();
      }
    }
    if (stop) {
      const where = await checkpoint();
      log(`interrupted at step ${step}: checkpoint written to ${where}. Resume with: nf-train train --config <same config> --out ${config.out} --resume`);
    } else if (!lastEval || step % stepsPerEpoch !== 0) {
      lastEval = await evalNow();
      await record({ kind: 'eval', step, epoch, loss: lastEval.loss, accuracy: lastEval.accuracy, confusion: lastEval.confusion });
      await checkpoint();
    }
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const seconds = (performance.now() - started) / 1000;
  if (!stop) {
    const records = (await readFile(metricsFile, 'utf8')).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as MetricRecord);
    await writeFile(
      path.join(out, 'report.html'),
      renderReport(records, {
        title: `nf-train: ${config.model} on ${trainSet.name}`,
        classNames: trainSet.classNames,
        summary: { backend: tf.getBackend(), steps: step, 'wall time (s)': seconds.toFixed(0), 'test top-1': lastEval?.accuracy.toFixed(4) ?? '-', 'batch size': config.batchSize, 'peak lr': config.lr, 'AGC λ': config.clipping },
      }),
    );
    if (ema) await ema.withAveraged(async () => saveModel(model, path.join(out, 'model')));
    else await saveModel(model, path.join(out, 'model'));
  }
  ema?.dispose();
  optimizer.dispose();
  model.dispose();
  return { testAccuracy: lastEval?.accuracy ?? Number.NaN, steps: step, seconds, interrupted: stop, outDir: out };
}
