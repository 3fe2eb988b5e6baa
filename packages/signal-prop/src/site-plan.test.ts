import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '../test/leak-check.js';
import { bnResNetV2, customMergeNet, DeclaredMerge, kerasResNet, mlpResNet, nfResNet, UndeclaredMerge, withNet, type BuiltNet } from '../test/models.js';
import { buildLayerGraph, planSites, SignalPropError, type MeasureSpec, type ResidualOptions } from './index.js';

type ST = tf.SymbolicTensor;
const nameOf = (st: ST) => st.sourceLayer.name;
const plan = (model: tf.LayersModel, measure?: MeasureSpec, residual?: ResidualOptions) => planSites(buildLayerGraph(model), measure, residual);

/** What the builder knows against what the planner found: kinds, names, branches, transitions, stages. */
function expectPlanOf(net: BuiltNet, stages: number[], residual?: ResidualOptions) {
  const sites = plan(net.model, 'residual', residual);
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

  it('finds Keras-style ResNet blocks (Add([shortcut, branch]) then ReLU, keras.applications names): the branch is the deeper input, stem = pool1_pool', () =>
    withNet(kerasResNet({ blocks: [2, 2, 1] }), (net) => {
      expectPlanOf(net, [0, 0, 0, 1, 1, 2]);
      const sites = plan(net.model);
      expect(sites.map((s) => [s.tensor.name, s.branch?.name ?? null])).toEqual([
        ['pool1_pool', null],
        ['conv2_block1_add', 'conv2_block1_3_bn'],
        ['conv2_block2_add', 'conv2_block2_3_bn'],
        ['conv3_block1_add', 'conv3_block1_3_bn'],
        ['conv3_block2_add', 'conv3_block2_3_bn'],
        ['conv4_block1_add', 'conv4_block1_3_bn'],
      ]);
    }));

  it('a layer class that declares static residualMerge is a merge, and its declared branch wins over depth', () =>
    withNet(customMergeNet(DeclaredMerge), (net) => {
      expectPlanOf(net, [0, 0, 0]);
      // The default depth rule would take merge1's deeper projection shortcut for the branch:
      expect(plan(net.model, 'residual', { mergeClassNames: ['DeclaredMerge'], branch: (m) => (m.inputs[0]!.depth > m.inputs[1]!.depth ? 0 : 1) })[1]!.branch!.name).toBe('sc_conv2');
      // A branch rule sees the declaration and may defer to it or skip a merge.
      const seen: Array<number | null> = [];
      plan(net.model, 'residual', { branch: (m) => (seen.push(m.declaredBranch), m.declaredBranch ?? 0) });
      expect(seen).toEqual([1, 1]);
      expect(plan(net.model, 'residual', { branch: () => -1 })).toEqual([]);
    }));

  it('a class that does not declare it: no site until residualClasses names it (with its branch, or the deepest input)', () =>
    withNet(customMergeNet(UndeclaredMerge), (net) => {
      expect(plan(net.model)).toEqual([]);
      expectPlanOf(net, [0, 0, 0], { residualClasses: { UndeclaredMerge: { branch: 1 } } });
      // Without a branch index: the deepest input, which for merge1 is its projection shortcut.
      expect(plan(net.model, 'residual', { residualClasses: { UndeclaredMerge: {} } }).map((s) => s.branch?.name ?? null)).toEqual([null, 'sc_conv2', 'b2_conv2']);
      // An option overrides a class's own declaration.
      expect(plan(net.model, 'residual', { residualClasses: { UndeclaredMerge: { branch: 0 } } })[1]!.branch!.name).toBe('sc_conv2');
    }));

  it('rejects a malformed residualClasses option and a bad declaration in one line', async () => {
    const cases: Array<[ResidualOptions, string, RegExp]> = [
      [{ residualClasses: ['UndeclaredMerge'] as never }, 'BAD_OPTION', /^residual\.residualClasses must be an object, received an array; pass class names with their branch input, e\.g\. \{ MyResidual: \{ branch: 0 \} \}/],
      [{ residualClasses: { UndeclaredMerge: 1 as never } }, 'BAD_OPTION', /^residual\.residualClasses\['UndeclaredMerge'\] must be an object, received 1;/],
      [{ residualClasses: { UndeclaredMerge: { branch: -1 } } }, 'BAD_OPTION', /\['UndeclaredMerge'\]\.branch must be an integer >= 0, received -1;/],
      [{ residualClasses: { UndeclaredMerge: { branch: 2 } } }, 'BAD_OPTION', /^residual\.residualClasses\['UndeclaredMerge'\]\.branch names input 2 as the branch, but merge 'merge1' has 2 inputs; name an input index below 2/],
    ];
    await withNet(customMergeNet(UndeclaredMerge), (net) => {
      for (const [residual, code, match] of cases) {
        let error: unknown;
        try {
          plan(net.model, 'residual', residual);
        } catch (e) {
          error = e;
        }
        expect(SignalPropError.isInstance(error), String(error)).toBe(true);
        expect([(error as SignalPropError).code, (error as Error).message.includes('\n')]).toEqual([code, false]);
        expect((error as Error).message).toMatch(match);
      }
    });
    class BadDeclaration extends DeclaredMerge {
      static override className = 'BadDeclaration';
      static override residualMerge = { branch: 'left' } as never;
    }
    await withNet(customMergeNet(BadDeclaration), (net) => {
      expect(() => plan(net.model)).toThrow(/^layer class 'BadDeclaration' declares static residualMerge = \{"branch":"left"\}; expected \{ branch: <index of the branch input> \}, e\.g\. \{ branch: 0 \}\.$/);
    });
  });
});
