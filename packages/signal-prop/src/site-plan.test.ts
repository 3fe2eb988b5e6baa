import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../test/leak-check.js';
import { bnResNetV2, mlpResNet, nfResNet, withNet, type BuiltNet } from '../test/models.js';
import { buildLayerGraph, planSites, SignalPropError, type MeasureSpec, type ResidualOptions } from './index.js';

type ST = tf.SymbolicTensor;
const nameOf = (st: ST) => st.sourceLayer.name;
const plan = (model: tf.LayersModel, measure?: MeasureSpec, residual?: ResidualOptions) => planSites(buildLayerGraph(model), measure, residual);

/** What the builder knows against what the planner found: kinds, names, branches, transitions, stages. */
function expectPlanOf(net: BuiltNet, stages: number[]) {
  const sites = plan(net.model);
  expect(sites.map((s) => s.kind)).toEqual(['stem', ...net.blocks.map(() => 'residual')]);
  expect(sites.map((s) => s.tensor.name)).toEqual([nameOf(net.stem), ...net.blocks.map(nameOf)]);
  expect(sites.slice(1).map((s) => s.branch!.name)).toEqual(net.branches.map(nameOf));
  expect(sites.slice(1).map((s) => s.transition)).toEqual(net.transitions);
  expect(sites.map((s) => s.stage)).toEqual(stages);
}

describe('planSites', () => {
  expectNoLeaks();

  it('finds NF blocks: the stem behind act·β, the branch before α, projections as transitions', () =>
    withNet(nfResNet({ blocksPerStage: [2, 3, 1] }), (net) => expectPlanOf(net, [0, 0, 0, 1, 1, 1, 2])));

  it('finds BN-ReLU-Conv blocks: the stem behind BatchNorm and ReLU', () =>
    withNet(bnResNetV2({ blocksPerStage: [1, 2] }), (net) => expectPlanOf(net, [0, 0, 1, 1])));

  it('finds blocks of a residual MLP with identity shortcuts only', () => withNet(mlpResNet(3), (net) => expectPlanOf(net, [0, 0, 0, 0])));

  it('treats a pooled or strided shortcut as a transition, and steps over dropout on the branch', () => {
    const input = tf.input({ shape: [8, 8, 4] });
    const x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'stem' }).apply(input) as ST;
    const pooled = tf.layers.averagePooling2d({ poolSize: 2, name: 'pool' }).apply(x) as ST;
    let h = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', name: 'branch_conv' }).apply(x) as ST;
    h = tf.layers.dropout({ rate: 0.1, name: 'drop' }).apply(h) as ST;
    const y = tf.layers.add({ name: 'merge1' }).apply([pooled, h]) as ST;
    const h2 = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'branch2' }).apply(y) as ST;
    const z = tf.layers.add({ name: 'merge2' }).apply([y, h2]) as ST;
    // A projection that keeps the shape (1×1, same width, stride 1) is still a transition.
    const projected = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'projection' }).apply(z) as ST;
    const h3 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'branch3' }).apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(z) as ST) as ST;
    const w = tf.layers.add({ name: 'merge3' }).apply([projected, h3]) as ST;
    const model = tf.model({ inputs: input, outputs: w });
    const sites = plan(model);
    expect(sites.map((s) => [s.tensor.name, s.branch?.name ?? null, s.transition, s.stage])).toEqual([
      ['stem', null, false, 0],
      ['merge1', 'branch_conv', true, 0],
      ['merge2', 'branch2', false, 0],
      ['merge3', 'branch3', true, 1],
    ]);
    model.dispose();
  });

  it('takes your branch rule, your merge class and your layer selection', () => {
    class ResidualSum extends tf.layers.Layer {
      static className = 'ResidualSum';
      override computeOutputShape(shapes: tf.Shape[]): tf.Shape {
        return shapes[0]!;
      }
      override call(inputs: tf.Tensor[]): tf.Tensor {
        return tf.add(inputs[0]!, inputs[1]!);
      }
    }
    const input = tf.input({ shape: [5] });
    const a = tf.layers.dense({ units: 5, name: 'a' }).apply(input) as ST;
    const b = tf.layers.dense({ units: 5, name: 'b' }).apply(a) as ST;
    const c = tf.layers.dense({ units: 5, name: 'c' }).apply(b) as ST;
    const s1 = new ResidualSum({ name: 'sum1' }).apply([a, c]) as ST;
    const s2 = tf.layers.add({ name: 'plain_add' }).apply([s1, b]) as ST;
    const model = tf.model({ inputs: input, outputs: s2 });

    expect(plan(model).map((s) => s.tensor.name)).toEqual(['b', 'plain_add']);
    const custom = plan(model, 'residual', { mergeClassNames: ['ResidualSum', 'Add'] });
    expect(custom.map((s) => [s.tensor.name, s.branch?.name ?? null])).toEqual([['a', null], ['sum1', 'c'], ['plain_add', 'sum1']]);
    const overridden = plan(model, 'residual', { mergeClassNames: [/Sum$/], branch: (m) => m.inputs.findIndex((i) => i.name === 'a'), includeStem: false });
    expect(overridden.map((s) => [s.tensor.name, s.branch?.name])).toEqual([['sum1', 'a']]);
    expect(plan(model, 'residual', { branch: () => -1 })).toEqual([]);
    expect(() => plan(model, 'residual', { branch: () => 7 })).toThrow(SignalPropError);

    expect(plan(model, { names: ['a', /^c$/] }).map((s) => [s.tensor.name, s.kind])).toEqual([['a', 'layer'], ['c', 'layer']]);
    expect(plan(model, { classNames: 'ResidualSum' }).map((s) => s.tensor.name)).toEqual(['sum1']);
    expect(plan(model, { where: (layer) => layer.name.startsWith('b'), residual: true }).map((s) => [s.tensor.name, s.kind])).toEqual([
      ['b', 'stem'],
      ['plain_add', 'residual'],
    ]);
    expect(plan(model, 'all').map((s) => s.tensor.name)).toEqual(['a', 'b', 'c', 'sum1', 'plain_add']);
    model.dispose();
  });
});
