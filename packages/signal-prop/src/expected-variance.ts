/**
 * The analytic signal-propagation curve of an NF-ResNet at initialization, to overlay on
 * measurements. Reference: Brock, De, Smith, ICLR 2021 (NF-ResNets: x_{ℓ+1} = x_ℓ + α f_ℓ(x_ℓ/β_ℓ),
 * Var(x_{ℓ+1}) = Var(x_ℓ) + α², β_ℓ = √Var(x_ℓ)); deepmind-research `nfnets/nfnet.py` and
 * `nf_resnet.py` (`expected_std`: β = 1/expected_std for each block, reset to 1 after a stage's
 * first block, then `expected_std = sqrt(expected_std² + α²)`).
 * Generalized: the branch variance (≈1 with Scaled WS and γ) and a skip gain (0 at init with
 * SkipInit) enter as α²·skipGain²·residualVariance per block.
 */
import { SignalPropError } from './errors.js';
import type { SignalReport, SiteStats } from './report.js';

export interface ExpectedVarianceOptions {
  /** α, the scale of each residual branch (0.2 in NFNets and NF-ResNets). */
  alpha: number;
  /** Blocks per stage, e.g. [3, 4, 6, 3] for NF-ResNet-50. */
  blocksPerStage: readonly number[];
  /** Variance of the stem output (site 0). Default 1. */
  initialVariance?: number;
  /** Variance of every residual branch output before α. Default 1. */
  residualVariance?: number;
  /** Scalar gain on every branch (SkipInit is 0 at initialization). Default 1. */
  skipGain?: number;
  /** Start with the stem point at index 0, as an analysis does. Default true. */
  includeStem?: boolean;
  /** Legend label. Default `analytic (α=…)`. */
  label?: string;
}

export interface ExpectedCurve extends SignalReport {
  readonly source: 'analytic';
  readonly alpha: number;
  /** The expected average channel variance at each site (same as `sites[i].avgVar`). */
  readonly variance: readonly number[];
  /** β of each block, 1/√(variance entering it): what NF blocks divide their input by. */
  readonly beta: readonly number[];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The expected variance curve (and the β of each block) of an NF-ResNet with `blocksPerStage`. */
export function expectedVariance(options: ExpectedVarianceOptions): ExpectedCurve {
  const { alpha, blocksPerStage } = options;
  const initialVariance = options.initialVariance ?? 1;
  const residualVariance = options.residualVariance ?? 1;
  const skipGain = options.skipGain ?? 1;
  if (!finite(alpha) || alpha < 0) throw new SignalPropError('BAD_OPTION', `expectedVariance: alpha must be a finite number >= 0, received ${String(alpha)}.`);
  if (!Array.isArray(blocksPerStage) || blocksPerStage.length === 0 || !blocksPerStage.every((n) => Number.isInteger(n) && n > 0)) {
    throw new SignalPropError('BAD_OPTION', `expectedVariance: blocksPerStage must be a non-empty list of positive integers (e.g. [3, 4, 6, 3]), received ${JSON.stringify(blocksPerStage)}.`);
  }
  for (const [name, v] of Object.entries({ initialVariance, residualVariance, skipGain })) {
    if (!finite(v) || (name !== 'skipGain' && v < 0)) throw new SignalPropError('BAD_OPTION', `expectedVariance: ${name} must be a finite number${name === 'skipGain' ? '' : ' >= 0'}, received ${String(v)}.`);
  }
  const added = alpha * alpha * skipGain * skipGain * residualVariance;
  const sites: SiteStats[] = [];
  const beta: number[] = [];
  const site = (name: string, kind: SiteStats['kind'], stage: number, transition: boolean, avgVar: number, resAvgVar: number | null): SiteStats => ({
    index: sites.length,
    name,
    className: 'analytic',
    kind,
    stage,
    transition,
    shape: [],
    avgSqMean: 0,
    avgVar,
    resAvgVar,
    branch: null,
  });
  if (options.includeStem ?? true) sites.push(site('stem', 'stem', 0, false, initialVariance, null));
  let variance = initialVariance;
  blocksPerStage.forEach((blocks, stage) => {
    for (let b = 0; b < blocks; b++) {
      beta.push(1 / Math.sqrt(variance));
      // A stage's first block has a projection shortcut on x/β: unit variance, then the branch adds.
      variance = (b === 0 ? 1 : variance) + added;
      sites.push(site(`stage${stage + 1}.block${b + 1}`, 'residual', stage, b === 0, variance, residualVariance));
    }
  });
  return {
    format: 'nf-signal-report',
    version: 1,
    label: options.label ?? `analytic (α=${alpha})`,
    source: 'analytic',
    model: 'NF-ResNet (analytic)',
    backend: null,
    training: null,
    dataFormat: 'channelsLast',
    probe: null,
    sites,
    alpha,
    variance: sites.map((s) => s.avgVar),
    beta,
  };
}
