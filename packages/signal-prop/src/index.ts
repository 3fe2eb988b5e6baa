export { analyzeSignalPropagation, type AnalyzeOptions } from './analyze-signal-propagation.js';
export { signalMetrics, DATA_FORMATS, type DataFormat } from './signal-metrics.js';
export type { ProbeInput, ProbeInputOptions } from './probe-input.js';
export {
  planSites,
  DEFAULT_MERGE_CLASS_NAMES,
  DEFAULT_SCALE_CLASS_NAMES,
  type LayerPattern,
  type MeasureSpec,
  type MergeInfo,
  type PlannedSite,
  type ResidualClass,
  type ResidualOptions,
  type SiteKind,
  type SiteSelection,
} from './site-plan.js';
export { RESIDUAL_MERGE_PROPERTY, type ResidualMergeDeclaration } from './residual-merge.js';
export { recordedSize, METADATA_KEY, type RecordedSize } from './recorded-size.js';
export { buildLayerGraph, type BuildGraphOptions, type GraphNode, type GraphTensor, type LayerGraph } from './layer-graph.js';
export {
  toCsv,
  toJson,
  withLabel,
  CSV_COLUMNS,
  STAT_KEYS,
  STAT_LABELS,
  type ProbeDescription,
  type SignalReport,
  type SiteStats,
  type StatKey,
} from './report.js';
export { expectedVariance, type ExpectedCurve, type ExpectedVarianceOptions } from './expected-variance.js';
export {
  gradientStats,
  type GradientBatch,
  type GradientReport,
  type GradientStatsOptions,
  type LayerGradientStats,
  type LossName,
  type LossSpec,
  type WeightGradientStats,
} from './gradient-stats.js';
export { sppCallback, SppCallback, historyToCsv, HISTORY_CSV_COLUMNS, type SppCallbackOptions, type SppRecord } from './spp-callback.js';
export { checkSignal, expectSignalPreserved, type SignalExpectation } from './expect-signal.js';
export { renderSvg, SERIES_COLORS, type SvgPlotOptions } from './svg-plot.js';
export { renderTerminalPlot, TERMINAL_MARKERS, type TerminalPlotOptions } from './terminal-plot.js';
export { formatTable } from './report-table.js';
export { SignalPropError, isNfError, type SignalPropErrorCode } from './errors.js';
