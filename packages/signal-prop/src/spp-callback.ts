/**
 * Signal propagation over training: a tfjs `model.fit` callback (and a `step()` for custom loops)
 * that records activation statistics (`analyzeSignalPropagation` on a fixed probe) and, when given
 * a batch and a loss, gradient statistics (`gradientStats`), every N steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { analyzeSignalPropagation, type AnalyzeOptions } from './analyze-signal-propagation.js';
import { SignalPropError } from './errors.js';
import { gradientStats, type GradientBatch, type GradientReport, type GradientStatsOptions, type LossSpec } from './gradient-stats.js';
import { csvField, type SignalReport } from './report.js';

export interface SppCallbackOptions {
  /** Record every `every` steps (batches). Default 1. */
  every?: number;
  /** Also record once before the first step (step 0) when used in `fit`. Default true. */
  recordAtStart?: boolean;
  /** Options of each activation analysis (probe, selection, training mode); `false` records no activations. */
  analyze?: AnalyzeOptions | false;
  /** Also record gradient statistics of `loss` on `batch`. */
  gradients?: { loss: LossSpec; batch: GradientBatch; options?: GradientStatsOptions };
  /** Called after each record. */
  onRecord?: (record: SppRecord) => void | Promise<void>;
}

export interface SppRecord {
  /** Steps (batches) completed when recorded. */
  readonly step: number;
  readonly epoch: number | null;
  /** Numeric training logs of that step (`loss`, metrics). */
  readonly logs: Readonly<Record<string, number>>;
  readonly activations: SignalReport | null;
  readonly gradients: GradientReport | null;
}

type Logs = Record<string, number | tf.Tensor> | undefined;

async function resolveLogs(logs: Logs): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs ?? {})) {
    if (typeof v === 'number') out[k] = v;
    else if (v instanceof tf.Tensor && !v.isDisposed && v.size === 1) out[k] = (await v.data())[0]!;
  }
  return out;
}

export class SppCallback extends tfl.Callback {
  /** Every record so far, oldest first. */
  readonly history: SppRecord[] = [];
  readonly every: number;
  private readonly options: SppCallbackOptions;
  private steps = 0;
  private epoch: number | null = null;

  constructor(options: SppCallbackOptions = {}) {
    super();
    this.every = options.every ?? 1;
    if (!Number.isInteger(this.every) || this.every < 1) {
      throw new SignalPropError('BAD_OPTION', `sppCallback: every must be a positive integer, received ${String(options.every)}.`);
    }
    if (options.analyze === false && !options.gradients) {
      throw new SignalPropError('BAD_OPTION', 'sppCallback: analyze is false and no gradients were asked for, so nothing would be recorded; keep analyze or pass gradients: { loss, batch }.');
    }
    this.options = options;
  }

  override async onTrainBegin(): Promise<void> {
    if ((this.options.recordAtStart ?? true) && this.steps === 0) await this.record(this.model);
  }

  override async onEpochBegin(epoch: number): Promise<void> {
    this.epoch = epoch;
  }

  override async onBatchEnd(_batch: number, logs?: Logs): Promise<void> {
    await this.step(this.model, logs);
  }

  /** For custom loops: call after each training step; records every `every` steps. */
  async step(model: tfl.LayersModel, logs?: Logs): Promise<SppRecord | null> {
    this.steps += 1;
    return this.steps % this.every === 0 ? this.record(model, logs) : null;
  }

  /** Records now, whatever the step. */
  async record(model: tfl.LayersModel, logs?: Logs): Promise<SppRecord> {
    const { analyze, gradients, onRecord } = this.options;
    const record: SppRecord = {
      step: this.steps,
      epoch: this.epoch,
      logs: await resolveLogs(logs),
      activations: analyze === false ? null : await analyzeSignalPropagation(model, { ...analyze, label: analyze?.label ?? `step ${this.steps}` }),
      gradients: gradients ? await gradientStats(model, gradients.loss, gradients.batch, gradients.options) : null,
    };
    this.history.push(record);
    await onRecord?.(record);
    return record;
  }
}

/** A callback for `model.fit({ callbacks: [cb] })`, or for custom loops through `cb.step(model)`. */
export function sppCallback(options: SppCallbackOptions = {}): SppCallback {
  return new SppCallback(options);
}

export const HISTORY_CSV_COLUMNS = ['step', 'epoch', 'kind', 'index', 'name', 'avgSqMean', 'avgVar', 'resAvgVar', 'gradNorm', 'weightNorm', 'ratio', 'maxUnitRatio'] as const;

/** One row per site (`kind` activation) and per layer (`kind` gradient) of every record. */
export function historyToCsv(history: readonly SppRecord[]): string {
  const rows: string[] = [HISTORY_CSV_COLUMNS.join(',')];
  const row = (cells: Array<string | number | null>) => rows.push(cells.map(csvField).join(','));
  for (const r of history) {
    for (const s of r.activations?.sites ?? []) row([r.step, r.epoch, 'activation', s.index, s.name, s.avgSqMean, s.avgVar, s.resAvgVar, null, null, null, null]);
    for (const l of r.gradients?.layers ?? []) row([r.step, r.epoch, 'gradient', l.index, l.name, null, null, null, l.gradNorm, l.weightNorm, l.ratio, l.maxUnitRatio]);
  }
  return `${rows.join('\n')}\n`;
}
