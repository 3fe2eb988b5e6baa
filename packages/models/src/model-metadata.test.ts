import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { createModel, loadModel, modelMetadata, ModelsError, NfResidual, saveModel, type ModelMetadataInput } from './node.js';

const roots: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'nf-metadata-'));
  roots.push(d);
  return d;
};
afterAll(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));
beforeAll(() => useBackend('cpu'));

const TINY = { depths: [1, 1, 1, 1], channels: [8, 8, 16, 16], stemChannels: 8, groupSize: 8, numFeatures: 16, numClasses: 3 };
const META: ModelMetadataInput = {
  trainSize: 28,
  testSize: [28, 32],
  classNames: ['cat', 'dog', "bird\nwith 'quotes'"],
  normalization: { mean: [0.286], std: [0.353] },
  dataset: 'fashion-mnist',
  model: 'nfnet_tiny_mnist',
};

const json = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as Record<string, any>;

function expectError(fn: () => unknown, code: string, match: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ModelsError);
  expect((error as ModelsError).code).toBe(code);
  expect((error as Error).message).not.toMatch(/[\u0000-\u001f]/);
  expect((error as Error).message).toMatch(match);
}

async function expectRejects(p: Promise<unknown>, code: string, match: RegExp): Promise<void> {
  const error = await p.then(
    (v) => {
      (v as tf.LayersModel | undefined)?.dispose?.();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelsError);
  expect((error as ModelsError).code).toBe(code);
  expect((error as Error).message).not.toMatch(/[\u0000-\u001f]/);
  expect((error as Error).message).toMatch(match);
}

describe('model metadata (userDefinedMetadata.nf)', () => {
  it('saveModel writes it into model.json (sizes as [height, width], channels from the input, imports), loadModel gives it back, a second save keeps it', async () => {
    const before = tf.memory().numTensors;
    const model = createModel('nfnet_tiny_mnist', TINY);
    const dir = path.join(tempDir(), 'model');
    await saveModel(model, dir, { metadata: META });
    expect(model.getUserDefinedMetadata()).toBeUndefined(); // the model itself is not changed
    const expected = {
      version: 1,
      imports: ['@nf/models'],
      channels: 1,
      trainSize: [28, 28],
      testSize: [28, 32],
      classNames: META.classNames,
      normalization: META.normalization,
      dataset: 'fashion-mnist',
      model: 'nfnet_tiny_mnist',
    };
    expect(json(dir).userDefinedMetadata).toEqual({ nf: expected });
    const loaded = await loadModel(dir);
    expect(loaded.getUserDefinedMetadata()).toEqual({ nf: expected });
    const { version: _, ...fields } = expected;
    expect(modelMetadata(loaded)).toEqual(fields);
    // Saved again (say after fine-tuning) with one field changed: the rest is kept.
    const again = path.join(tempDir(), 'again');
    await saveModel(loaded, again, { metadata: { testSize: 32 } });
    expect(json(again).userDefinedMetadata.nf).toEqual({ ...expected, testSize: [32, 32] });
    model.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a model saved without metadata records its channels and the module of its layers; one without any has undefined', async () => {
    const model = createModel('nfnet_tiny_mnist', { ...TINY, inChannels: 3 });
    const dir = path.join(tempDir(), 'plain');
    await saveModel(model, dir);
    expect(json(dir).userDefinedMetadata).toEqual({ nf: { version: 1, imports: ['@nf/models'], channels: 3 } });
    expect(modelMetadata(model)).toBeUndefined();
    model.dispose();
  });

  it.each([
    [{ trainsize: 28 }, /^saveModel: metadata\.trainsize is not a metadata field \(fields: trainSize, testSize,/],
    [{ trainSize: [0, 28] }, /^saveModel: metadata\.trainSize must be \[height, width\] \(positive integers\) or one for a square, received \[0,28\]\.$/],
    [{ testSize: '28' }, /metadata\.testSize must be \[height, width\]/],
    [{ channels: 1.5 }, /metadata\.channels must be a positive integer, received 1\.5/],
    [{ classNames: [] }, /metadata\.classNames must be a list of 1 to 100000 names/],
    [{ classNames: ['a', 7] }, /metadata\.classNames\[1\] must be a string/],
    [{ normalization: { mean: [0.5], std: [0] } }, /metadata\.normalization\.std must be a list of finite numbers > 0/],
    [{ normalization: { mean: [Number.NaN], std: [1] } }, /metadata\.normalization\.mean must be a list of finite numbers/],
    [{ dataset: '' }, /metadata\.dataset must be a non-empty string/],
    [{ imports: '@nf/models' }, /metadata\.imports must be a list of module names/],
  ] as Array<[unknown, RegExp]>)('saveModel refuses metadata %j (BAD_CONFIG, nothing written)', async (metadata, match) => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    const dir = path.join(tempDir(), 'bad');
    await expectRejects(saveModel(model, dir, { metadata: metadata as ModelMetadataInput }), 'BAD_CONFIG', match);
    expect(() => readFileSync(path.join(dir, 'model.json'))).toThrow(/ENOENT/);
    model.dispose();
  });

  describe('loadModel reads it as untrusted', () => {
    let template = '';
    beforeAll(async () => {
      const model = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3], name: 'fc' })] });
      template = path.join(tempDir(), 'template');
      await saveModel(model, template, { metadata: { classNames: ['a', 'b'] } });
      model.dispose();
    });
    /** A copy of the template whose model.json has this userDefinedMetadata. */
    const withMetadata = (userDefinedMetadata: unknown) => {
      const dir = path.join(tempDir(), 'm');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'weights.bin'), readFileSync(path.join(template, 'weights.bin')));
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify({ ...json(template), userDefinedMetadata }));
      return dir;
    };

    it.each([
      [[1, 2], /has a userDefinedMetadata that is an array, not an object/],
      ['x', /has a userDefinedMetadata that is string, not an object/],
      [{ nf: [] }, /its metadata nf must be an object, received \[\]/],
      [{ nf: { trainSize: 'big' } }, /its metadata nf\.trainSize must be \[height, width\]/],
      [{ nf: { classNames: ['ok', { evil: '\u001b[2J' }] } }, /its metadata nf\.classNames\[1\] must be a string/],
      [{ nf: { normalization: { mean: [0], std: [-1] } } }, /its metadata nf\.normalization\.std must be a list of finite numbers > 0/],
    ])('userDefinedMetadata %j → BAD_FILE naming model.json and the field', async (metadata, match) => {
      const before = tf.memory().numTensors;
      const dir = withMetadata(metadata);
      await expectRejects(loadModel(dir), 'BAD_FILE', match);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('other keys are kept as they are, and fields of a newer writer are ignored', async () => {
      const dir = withMetadata({ other: { tool: 'x' }, nf: { version: 2, trainSize: [8, 9], futureField: { a: 1 } } });
      const model = await loadModel(dir);
      expect(model.getUserDefinedMetadata()).toEqual({ other: { tool: 'x' }, nf: { version: 2, trainSize: [8, 9], futureField: { a: 1 } } });
      expect(modelMetadata(model)).toEqual({ trainSize: [8, 9] });
      model.dispose();
    });
  });
});

describe('NfResidual declares itself a residual merge', () => {
  it('static residualMerge = { branch: 0 }, and input 0 is the branch: α·branch + shortcut', () => {
    expect(NfResidual.residualMerge).toEqual({ branch: 0 });
    const layer = new NfResidual({ alpha: 0.2, skipGain: false });
    const [branch, shortcut] = [tf.tensor4d([1, 2], [1, 1, 1, 2]), tf.tensor4d([10, 20], [1, 1, 1, 2])];
    const y = layer.apply([branch, shortcut]) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([10.2, 20.4].map((v) => Math.fround(v)));
    tf.dispose([branch, shortcut, y]);
  });
});
