import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../test/leak-check.js';
import { buildLayerGraph, SignalPropError } from './index.js';
import { isAncestorOrSelf } from './layer-graph.js';

type ST = tf.SymbolicTensor;

/** input → dense → [nested sequential block] → shared → shared again → add(skip) */
function nestedModel() {
  const input = tf.input({ shape: [6], name: 'x' });
  const d = tf.layers.dense({ units: 6, name: 'first' }).apply(input) as ST;
  const block = tf.sequential({ name: 'block', layers: [tf.layers.dense({ inputShape: [6], units: 6, name: 'inner_a' }), tf.layers.dense({ units: 6, name: 'inner_b' })] });
  const b = block.apply(d) as ST;
  const shared = tf.layers.dense({ units: 6, name: 'shared' });
  const s2 = shared.apply(shared.apply(b) as ST) as ST;
  const out = tf.layers.add({ name: 'merge' }).apply([d, s2]) as ST;
  return { model: tf.model({ inputs: input, outputs: out, name: 'nested' }), shared };
}

describe('buildLayerGraph', () => {
  expectNoLeaks();

  it('flattens nested models, names repeated calls, and orders nodes topologically', () => {
    const { model, shared } = nestedModel();
    const g = buildLayerGraph(model);
    expect(g.nodes.map((n) => n.name)).toEqual(['first', 'block/inner_a', 'block/inner_b', 'shared', 'shared#2', 'merge']);
    expect(g.inputs.map((t) => t.name)).toEqual(['x']);
    expect(g.outputs.map((t) => t.name)).toEqual(['merge']);
    for (const node of g.nodes) for (const t of node.inputs) expect(t.id).toBeLessThan(node.outputs[0]!.id);
    const byName = new Map(g.tensors.map((t) => [t.name, t]));
    expect(byName.get('merge')!.depth).toBe(6);
    expect(byName.get('first')!.consumers.map((n) => n.name)).toEqual(['block/inner_a', 'merge']);
    expect(isAncestorOrSelf(byName.get('first')!, byName.get('shared#2')!)).toBe(true);
    expect(isAncestorOrSelf(byName.get('shared#2')!, byName.get('first')!)).toBe(false);
    expect(buildLayerGraph(model, { expandNested: false }).nodes.map((n) => n.name)).toEqual(['first', 'block', 'shared', 'shared#2', 'merge']);
    model.dispose();
    shared.dispose(); // tfjs counts each call of a shared layer as a reference
  });

  it('walks a sequential model and a 2000-layer chain without recursion limits', () => {
    const seq = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2, name: 'only' })] });
    expect(buildLayerGraph(seq).nodes.map((n) => n.className)).toEqual(['Dense']);
    seq.dispose();
    const input = tf.input({ shape: [2] });
    let x = input;
    for (let i = 0; i < 2000; i++) x = tf.layers.activation({ activation: 'linear' }).apply(x) as ST;
    const deep = tf.model({ inputs: input, outputs: x });
    expect(buildLayerGraph(deep).nodes.length).toBe(2000);
    deep.dispose();
  });

  it('rejects what is not a built model', () => {
    expect(() => buildLayerGraph(tf.sequential())).toThrow(SignalPropError);
    expect(() => buildLayerGraph({})).toThrow(/expected a built tf.LayersModel/);
  });
});
