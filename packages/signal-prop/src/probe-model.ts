/**
 * Runs a flattened model graph on a probe batch and reduces the measured tensors to their
 * statistics as they are produced. Only the layer calls the measured tensors depend on run (a
 * classifier head after the last block is skipped), in topological order; every intermediate is
 * disposed as soon as its last consumer has run, so peak memory stays that of a plain forward
 * pass plus one activation-sized temporary while a statistic is reduced.
 *
 * Mirrors tfjs-layers `engine/executor.ts` (layer `apply` with `training`, masks from
 * `computeMask`, outputs of stateful layers never disposed) with two differences: it frees
 * intermediates in training mode too (no gradient tape is recorded here), and reference counts
 * are per tensor object, since layers such as Dropout in inference return their input itself.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isNfError, SignalPropError } from './errors.js';
import type { GraphNode, GraphTensor, LayerGraph } from './layer-graph.js';
import { signalMetrics, type DataFormat } from './signal-metrics.js';

export interface ProbeRunOptions {
  /** Passed to every layer as `training` (BatchNorm uses batch statistics, dropout is active). */
  training: boolean;
  dataFormat: DataFormat;
}

/** What the run keeps of one measured tensor. */
export interface MeasuredTensor {
  readonly shape: number[];
  /** `[avgSqMean, avgVar]`, on the device. */
  readonly stats: tf.Tensor1D;
}

const toList = <T>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

/** Nodes the measured tensors depend on. */
function neededNodes(measure: ReadonlySet<GraphTensor>): Set<GraphNode> {
  const needed = new Set<GraphNode>();
  const seen = new Set<GraphTensor>();
  const stack = [...measure];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.producer && !needed.has(t.producer)) {
      needed.add(t.producer);
      stack.push(...t.producer.inputs);
    }
  }
  return needed;
}

/**
 * Executes `graph` on `feeds` (one tensor per model input, owned by the caller) and returns, for
 * each tensor of `measure`, its shape and `[avgSqMean, avgVar]` as a tensor of shape [2] owned by
 * the caller.
 */
export function runProbe(
  graph: LayerGraph,
  feeds: readonly tf.Tensor[],
  measure: ReadonlySet<GraphTensor>,
  options: ProbeRunOptions,
): Map<GraphTensor, MeasuredTensor> {
  const needed = neededNodes(measure);
  const uses = new Map<GraphTensor, number>();
  for (const node of needed) for (const t of node.inputs) uses.set(t, (uses.get(t) ?? 0) + 1);

  const value = new Map<GraphTensor, tf.Tensor>();
  const mask = new Map<GraphTensor, tf.Tensor>();
  const holds = new Map<tf.Tensor, number>();
  const protectedTensors = new Set<tf.Tensor>(feeds); // feeds, and outputs of stateful layers
  const masks: tf.Tensor[] = [];
  const stats = new Map<GraphTensor, MeasuredTensor>();

  const settle = (t: tf.Tensor) => {
    if (!holds.has(t) && !protectedTensors.has(t) && !t.isDisposed) t.dispose();
  };
  const hold = (t: tf.Tensor, n: number) => {
    if (n > 0) holds.set(t, (holds.get(t) ?? 0) + n);
  };
  const release = (ref: GraphTensor) => {
    const t = value.get(ref)!;
    const left = (uses.get(ref) ?? 1) - 1;
    uses.set(ref, left);
    if (left === 0) value.delete(ref);
    const n = (holds.get(t) ?? 1) - 1;
    if (n > 0) holds.set(t, n);
    else {
      holds.delete(t);
      settle(t);
    }
  };
  const measureNow = (ref: GraphTensor, t: tf.Tensor) => {
    if (measure.has(ref)) stats.set(ref, { shape: t.shape, stats: signalMetrics(t, { dataFormat: options.dataFormat }) });
  };

  try {
    graph.inputs.forEach((ref, i) => {
      const t = feeds[i]!;
      value.set(ref, t);
      hold(t, uses.get(ref) ?? 0);
      measureNow(ref, t);
    });
    for (const node of graph.nodes) {
      if (!needed.has(node)) continue;
      const inputs = node.inputs.map((r) => value.get(r)!);
      const inputMasks = node.inputs.map((r) => mask.get(r) ?? null);
      const kwargs: Record<string, unknown> = { training: options.training, ...node.callArgs };
      if (inputMasks.some((m) => m !== null)) kwargs.mask = inputMasks.length === 1 ? inputMasks[0] : inputMasks;
      const single = inputs.length === 1 ? inputs[0]! : inputs;
      let outs: tf.Tensor[] = [];
      try {
        outs = tf.tidy(() => toList(node.layer.apply(single, kwargs) as tf.Tensor | tf.Tensor[]));
        if (node.layer.supportsMasking) {
          const m = tf.tidy(() => node.layer.computeMask(single, inputMasks.length === 1 ? (inputMasks[0] ?? undefined) : (inputMasks as tf.Tensor[])));
          toList(m ?? []).forEach((mt, i) => {
            if (mt && node.outputs[i]) {
              mask.set(node.outputs[i]!, mt);
              masks.push(mt);
            }
          });
        }
      } catch (error) {
        tf.dispose(outs.filter((t) => !inputs.includes(t)));
        throw new SignalPropError('UNSUPPORTED_LAYER', `layer '${node.name}' (${node.className}) failed during the analysis: ${(error as Error).message}`, { cause: error });
      }
      if (outs.length !== node.outputs.length || outs.some((t) => !(t instanceof tf.Tensor))) {
        tf.dispose(outs.filter((t) => t instanceof tf.Tensor && !inputs.includes(t)));
        throw new SignalPropError('UNSUPPORTED_LAYER', `layer '${node.name}' (${node.className}) returned ${outs.length} value(s) where the model records ${node.outputs.length} tensor output(s); measure a model whose layers return tensors.`);
      }
      outs.forEach((t, i) => {
        const ref = node.outputs[i]!;
        value.set(ref, t);
        hold(t, uses.get(ref) ?? 0);
        if (node.layer.stateful) protectedTensors.add(t);
      });
      // Free the inputs first, then reduce the outputs: the statistic's temporary never
      // coexists with inputs that are no longer needed.
      for (const ref of node.inputs) release(ref);
      outs.forEach((t, i) => {
        const ref = node.outputs[i]!;
        measureNow(ref, t);
        if ((uses.get(ref) ?? 0) === 0) {
          value.delete(ref);
          settle(t);
        }
      });
    }
    return stats;
  } catch (error) {
    for (const t of value.values()) if (!protectedTensors.has(t) && !t.isDisposed) t.dispose();
    tf.dispose([...stats.values()].map((m) => m.stats));
    if (isNfError(error)) throw error;
    throw new SignalPropError('UNSUPPORTED_LAYER', `the analysis failed: ${(error as Error).message}`, { cause: error });
  } finally {
    for (const m of masks) if (!m.isDisposed && !protectedTensors.has(m)) m.dispose();
  }
}
