/**
 * The call graph of any tfjs-layers model, flattened: one node per layer call, nested models
 * (a `tf.sequential` or `tf.model` used as a layer) expanded into their own layers, in
 * topological order. Built from the symbolic tensors tfjs-layers records when a model is
 * constructed (`SymbolicTensor.inputs`, `Layer.inboundNodes`), the same data
 * `tfjs-layers/src/engine/executor.ts` walks; the walk is iterative, so depth is unbounded.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { SignalPropError } from './errors.js';

export type Layer = tfl.layers.Layer;
type SymbolicTensor = tfl.SymbolicTensor;

/** One tensor of the flattened graph (a model input or one output of one layer call). */
export interface GraphTensor {
  /** Position in `LayerGraph.tensors`: topological (a tensor's id is above all its ancestors'). */
  readonly id: number;
  /** Layer name, with `outer/` prefixes for nested models, `:i` for a layer's i-th output and `#k` for its k-th call. */
  readonly name: string;
  /** Symbolic shape; `null` for the batch and other unknown dimensions. */
  readonly shape: ReadonlyArray<number | null>;
  readonly dtype: tf.DataType;
  /** The call that produces it; `null` for model inputs. */
  readonly producer: GraphNode | null;
  /** Calls that take it as an input (a call using it twice appears twice). */
  readonly consumers: GraphNode[];
  /** Longest path, in layer calls, from a model input. */
  readonly depth: number;
}

/** One call of one layer. */
export interface GraphNode {
  readonly id: number;
  readonly layer: Layer;
  /** Scoped layer name (with the `#k` suffix for repeated calls). */
  readonly name: string;
  readonly className: string;
  readonly inputs: readonly GraphTensor[];
  readonly outputs: GraphTensor[];
  /** Keyword arguments recorded when the layer was applied symbolically. */
  readonly callArgs: Record<string, unknown>;
}

export interface LayerGraph {
  readonly inputs: readonly GraphTensor[];
  readonly outputs: readonly GraphTensor[];
  /** Topological order. */
  readonly nodes: readonly GraphNode[];
  /** Topological order (by id). */
  readonly tensors: readonly GraphTensor[];
}

/** The parts of a functional model (tf.model / tf.sequential / LayersModel) the walk needs. */
interface ContainerLike {
  readonly name: string;
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly layers: Layer[];
}

/** A built functional or sequential model (also one loaded by another copy of tfjs-layers). */
export function isContainer(value: unknown): value is ContainerLike {
  const v = value as Partial<ContainerLike> | null;
  return typeof v === 'object' && v !== null && Array.isArray(v.inputs) && Array.isArray(v.outputs) && Array.isArray(v.layers) && v.inputs.length > 0;
}

export interface BuildGraphOptions {
  /** Expand models used as layers into their layers (default true); false keeps them as one call. */
  expandNested?: boolean;
}

/** Flattens `model` into a `LayerGraph`. */
export function buildLayerGraph(model: unknown, options: BuildGraphOptions = {}): LayerGraph {
  if (!isContainer(model)) {
    throw new SignalPropError('BAD_OPTION', `expected a built tf.LayersModel (functional or sequential) with inputs and outputs, received ${describe(model)}; build a sequential model with an inputShape on its first layer.`);
  }
  const expandNested = options.expandNested ?? true;
  const tensors: GraphTensor[] = [];
  const nodes: GraphNode[] = [];
  const callCounts = new Map<Layer, number>();

  const newTensor = (name: string, st: SymbolicTensor, producer: GraphNode | null, depth: number): GraphTensor => {
    const t: GraphTensor = { id: tensors.length, name, shape: st.shape, dtype: st.dtype, producer, consumers: [], depth };
    tensors.push(t);
    return t;
  };

  const expand = (container: ContainerLike, inputRefs: readonly GraphTensor[], scope: string): GraphTensor[] => {
    const map = new Map<number, GraphTensor>();
    container.inputs.forEach((st, i) => map.set(st.id, inputRefs[i]!));
    const stack: Array<{ st: SymbolicTensor; open: boolean }> = [...container.outputs].reverse().map((st) => ({ st, open: false }));
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (map.has(top.st.id)) {
        stack.pop();
        continue;
      }
      if (!top.open) {
        top.open = true;
        if (top.st.inputs.length === 0) {
          throw new SignalPropError('UNSUPPORTED_LAYER', `${scope || 'model'}: tensor '${top.st.name}' comes from an input that is not among the model's inputs; analyze the model whose inputs feed it.`);
        }
        for (const input of [...top.st.inputs].reverse()) if (!map.has(input.id)) stack.push({ st: input, open: false });
        continue;
      }
      stack.pop();
      const layer = top.st.sourceLayer;
      const call = layer.inboundNodes.find((n) => n.outputTensors.some((o) => o.id === top.st.id));
      const outputs = call ? call.outputTensors : [top.st];
      const inputs = top.st.inputs.map((st) => map.get(st.id)!);
      if (expandNested && isContainer(layer)) {
        const inner = expand(layer, inputs, `${scope}${layer.name}/`);
        outputs.forEach((o, i) => map.set(o.id, inner[i]!));
        continue;
      }
      const k = (callCounts.get(layer) ?? 0) + 1;
      callCounts.set(layer, k);
      const name = `${scope}${layer.name}${k > 1 ? `#${k}` : ''}`;
      const node: GraphNode = {
        id: nodes.length,
        layer,
        name,
        className: layer.getClassName(),
        inputs,
        outputs: [],
        callArgs: { ...((top.st.callArgs as Record<string, unknown> | undefined) ?? {}) },
      };
      nodes.push(node);
      const depth = 1 + Math.max(0, ...inputs.map((t) => t.depth));
      for (const t of inputs) t.consumers.push(node);
      outputs.forEach((o, i) => {
        const ref = newTensor(outputs.length > 1 ? `${name}:${i}` : name, o, node, depth);
        node.outputs.push(ref);
        map.set(o.id, ref);
      });
    }
    return container.outputs.map((st) => map.get(st.id)!);
  };

  const inputs = model.inputs.map((st) => newTensor(st.sourceLayer.name, st, null, 0));
  const outputs = expand(model, inputs, '');
  return { inputs, outputs, nodes, tensors };
}

/** True when `a` is `b` or one of its ancestors. Searches back from `b`, never below `a`'s id. */
export function isAncestorOrSelf(a: GraphTensor, b: GraphTensor): boolean {
  const seen = new Set<GraphTensor>();
  const stack = [b];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (t === a) return true;
    if (t.id < a.id || seen.has(t)) continue;
    seen.add(t);
    if (t.producer) stack.push(...t.producer.inputs);
  }
  return false;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return typeof value;
  const name = (value as { getClassName?: () => string }).getClassName?.() ?? value.constructor?.name ?? 'object';
  return `a ${name} without inputs/outputs`;
}
