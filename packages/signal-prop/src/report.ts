/**
 * The signal-propagation report: what an analysis returns and what the plots, the CSV and JSON
 * writers, `expectedVariance` and `expectSignalPreserved` share. A plain JSON-safe object.
 */
import type { DataFormat } from './signal-metrics.js';
import type { SiteKind } from './site-plan.js';

/** The three statistics of a Signal Propagation Plot. */
export type StatKey = 'avgSqMean' | 'avgVar' | 'resAvgVar';

export const STAT_KEYS: readonly StatKey[] = ['avgSqMean', 'avgVar', 'resAvgVar'];

export const STAT_LABELS: Readonly<Record<StatKey, string>> = {
  avgSqMean: 'average channel squared mean',
  avgVar: 'average channel variance',
  resAvgVar: 'residual branch variance',
};

/** One measured tensor. */
export interface SiteStats {
  /** Position in the report (the x axis of the plots). */
  readonly index: number;
  /** Layer name (`outer/inner` inside nested models). */
  readonly name: string;
  readonly className: string;
  /** `stem`: input of the first residual block; `residual`: a block's output; `layer`: selected by you. */
  readonly kind: SiteKind;
  /** Counts transitions: a stage's first block starts a new stage. */
  readonly stage: number;
  /** The block's shortcut is a projection (the variance resets here). */
  readonly transition: boolean;
  /** Shape of the activation on the probe batch. */
  readonly shape: readonly number[];
  /** mean over channels of (mean over batch and positions)². */
  readonly avgSqMean: number;
  /** mean over channels of the (biased) variance over batch and positions. */
  readonly avgVar: number;
  /** `avgVar` of the residual branch before it is scaled and added; `null` for other sites. */
  readonly resAvgVar: number | null;
  /** Name of the tensor measured as the residual branch. */
  readonly branch: string | null;
}

export interface ProbeDescription {
  readonly kind: 'gaussian' | 'tensor';
  readonly shapes: ReadonlyArray<readonly number[]>;
  /** Seed of the Gaussian probe. */
  readonly seed: number | null;
  /**
   * Where the sizes of the model's unknown input dimensions came from: the `size` option, or the
   * model's metadata (`trainSize` / `testSize`). Absent when the input shape was fully known.
   */
  readonly sizeFrom?: 'size' | 'trainSize' | 'testSize';
}

export interface SignalReport {
  readonly format: 'nf-signal-report';
  readonly version: 1;
  /** Legend entry of this report in plots and the `label` column of CSV. */
  readonly label: string;
  /** `measured` by an analysis, or an `analytic` curve from `expectedVariance`. */
  readonly source: 'measured' | 'analytic';
  readonly model: string;
  readonly backend: string | null;
  readonly training: boolean | null;
  readonly dataFormat: DataFormat;
  readonly probe: ProbeDescription | null;
  readonly sites: readonly SiteStats[];
}

/** Copy of `report` with another label (for overlaying several runs of one model). */
export function withLabel<R extends SignalReport>(report: R, label: string): R {
  return { ...report, label };
}

/** One report or several, as a list (what the writers and plots accept). */
export const reportList = (r: SignalReport | readonly SignalReport[]): readonly SignalReport[] => (Array.isArray(r) ? r : [r as SignalReport]);

/** Pretty JSON of one report or an array of them (JSON turns non-finite numbers into `null`). */
export function toJson(reports: SignalReport | readonly SignalReport[]): string {
  return JSON.stringify(reports, null, 2);
}

export const CSV_COLUMNS = ['label', 'source', 'index', 'name', 'className', 'kind', 'stage', 'transition', 'shape', 'avgSqMean', 'avgVar', 'resAvgVar'] as const;

/** RFC 4180 field: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per site of every report, columns `CSV_COLUMNS`; empty cells for missing values. */
export function toCsv(reports: SignalReport | readonly SignalReport[]): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const r of reportList(reports)) {
    for (const s of r.sites) {
      const num = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);
      rows.push(
        [r.label, r.source, s.index, s.name, s.className, s.kind, s.stage, s.transition, s.shape.join('x'), num(s.avgSqMean), num(s.avgVar), num(s.resAvgVar)]
          .map(csvField)
          .join(','),
      );
    }
  }
  return `${rows.join('\n')}\n`;
}
