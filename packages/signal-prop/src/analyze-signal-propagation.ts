/**
 * `analyzeSignalPropagation`: the Signal Propagation Plot statistics of any tfjs-layers model on a
 * probe batch, per residual block (found automatically) and per layer you select.
 * Reference: Brock, De, Smith, ICLR 2021 (SPPs, Sec. 2); deepmind-research `nfnets/base.py`
 * `signal_metrics` and the `return_metrics` path of `nf_resnet.py` / `resnet.py`.
 * Differs: DeepMind returns the metrics from inside its own blocks; here the blocks of an arbitrary
 * model are found from its graph (see `site-plan.ts`; layers may declare themselves residual merges,
 * see `residual-merge.ts`), and the model runs in training mode by default (batch statistics, as an
 * SPP at initialization) without changing its state. Unknown input dimensions take the size the
 * model records in its metadata (`recorded-size.ts`) unless `size` is given.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SignalPropError } from './errors.js';
import { buildLayerGraph, type GraphTensor } from './layer-graph.js';
import { preservingState } from './model-state.js';
import { makeProbe, type ProbeInputOptions } from './probe-input.js';
import { runProbe } from './probe-model.js';
import { recordedSize } from './recorded-size.js';
import type { SignalReport, SiteStats } from './report.js';
import { checkDataFormat, type DataFormat } from './signal-metrics.js';
import { planSitesWorded, type MeasureSpec, type ResidualOptions } from './site-plan.js';
import { measureAdvice, residualClassAdvice, type Wording } from './wording.js';

export interface AnalyzeOptions extends ProbeInputOptions {
  /** `'residual'` (default): residual blocks and the stem; `'all'`: every layer; or a `SiteSelection`. */
  measure?: MeasureSpec;
  /** How residual blocks are recognised. */
  residual?: ResidualOptions;
  /** Channel axis of the activations. Default `'channelsLast'` (NHWC). */
  dataFormat?: DataFormat;
  /**
   * Run layers in training mode (default true): BatchNorm normalizes with the probe's batch
   * statistics, as SPPs at initialization do; dropout layers are active. The model's state
   * (BatchNorm moving averages) is restored afterwards.
   */
  training?: boolean;
  /** Expand models used as layers into their layers (default true). */
  expandNested?: boolean;
  /** Legend label. Default: the model's name. */
  label?: string;
}

/** Measures the signal statistics of `model` on a probe batch. Leaves no tensors behind. */
export async function analyzeSignalPropagation(model: tfl.LayersModel, options: AnalyzeOptions = {}): Promise<SignalReport> {
  return analyzeWorded(model, options, 'api');
}

/** Classes of the multi-input layers of `graph` that are not merges: the likely undeclared residual classes. */
function multiInputClasses(graph: ReturnType<typeof buildLayerGraph>): string[] {
  return [...new Set(graph.nodes.filter((n) => n.inputs.length >= 2 && n.outputs.length === 1).map((n) => n.className))];
}

/** `analyzeSignalPropagation`, with errors worded for the API or for nf-spp's flags. */
export async function analyzeWorded(model: tfl.LayersModel, options: AnalyzeOptions, wording: Wording): Promise<SignalReport> {
  const dataFormat = checkDataFormat(options.dataFormat ?? 'channelsLast', 'analyzeSignalPropagation');
  const training = options.training ?? true;
  const graph = buildLayerGraph(model, { expandNested: options.expandNested ?? true });
  const plan = planSitesWorded(graph, options.measure ?? 'residual', options.residual ?? {}, wording);
  if (plan.length === 0) {
    const merges = (options.residual?.mergeClassNames ?? ['Add']).map(String);
    const candidates = multiInputClasses(graph);
    const advice =
      candidates.length > 0
        ? `its multi-input layers are of class ${candidates.join(', ')}: if one is a residual merge, name it and its branch input (${residualClassAdvice(wording, candidates[0])}), or select layers with ${measureAdvice(wording)}`
        : `select layers with ${measureAdvice(wording)}, or name your merge class (${residualClassAdvice(wording)})`;
    throw new SignalPropError(
      'NO_SITES',
      `model '${model.name}' has no measurable site: no residual merge (class ${merges.join(', ')}, a class declaring static residualMerge, or one named as residual) and no selected layer with a rank >= 2 float output; ${advice}.`,
    );
  }
  const measure = new Set<GraphTensor>();
  for (const site of plan) {
    measure.add(site.tensor);
    if (site.branch) measure.add(site.branch);
  }
  const probe = makeProbe(
    graph.inputs.map((t) => ({ name: t.name, shape: t.shape, dtype: t.dtype })),
    options,
    { recorded: recordedSize(model), dataFormat, wording },
  );
  try {
    const run = () => runProbe(graph, probe.feeds, measure, { training, dataFormat });
    const measured = training ? await preservingState(model, run) : run();
    // One read-back for everything: [avgSqMean, avgVar] of each measured tensor (sites and branches).
    const order = [...measure];
    const all = tf.concat(order.map((t) => measured.get(t)!.stats));
    tf.dispose([...measured.values()].map((m) => m.stats));
    const values = await all.data();
    all.dispose();
    const at = new Map(order.map((t, i) => [t, i * 2]));
    const sites: SiteStats[] = plan.map((site, index) => ({
      index,
      name: site.tensor.name,
      className: site.className,
      kind: site.kind,
      stage: site.stage,
      transition: site.transition,
      shape: measured.get(site.tensor)!.shape,
      avgSqMean: values[at.get(site.tensor)!]!,
      avgVar: values[at.get(site.tensor)! + 1]!,
      resAvgVar: site.branch ? values[at.get(site.branch)! + 1]! : null,
      branch: site.branch ? site.branch.name : null,
    }));
    return {
      format: 'nf-signal-report',
      version: 1,
      label: options.label ?? model.name,
      source: 'measured',
      model: model.name,
      backend: tf.getBackend() ?? null,
      training,
      dataFormat,
      probe: probe.description,
      sites,
    };
  } finally {
    if (probe.owned) tf.dispose(probe.feeds);
  }
}
