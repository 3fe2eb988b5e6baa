import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { customMergeNet, DeclaredMerge, kerasResNet, withNet } from '../test/models.js';
import { analyzeSignalPropagation, SignalPropError } from './index.js';
import { recordedSize } from './recorded-size.js';

async function rejection(p: Promise<unknown>): Promise<SignalPropError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(SignalPropError.isInstance(e), String(e)).toBe(true);
  expect((e as Error).message).not.toContain('\n');
  return e as SignalPropError;
}

describe('the image size recorded in a model (userDefinedMetadata.nf)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('reads trainSize (else testSize) as [height, width] or a square, with channels; null when absent or malformed', () =>
    withNet(customMergeNet(DeclaredMerge), ({ model }) => {
      expect(recordedSize(model)).toBeNull();
      const cases: Array<[unknown, unknown]> = [
        [{ nf: { trainSize: [28, 20], testSize: 32, channels: 1 } }, { height: 28, width: 20, channels: 1, from: 'trainSize' }],
        [{ nf: { testSize: 32 } }, { height: 32, width: 32, channels: null, from: 'testSize' }],
        [{ nf: { trainSize: 'big', testSize: [24, 24], channels: -1 } }, { height: 24, width: 24, channels: null, from: 'testSize' }],
        [{ nf: { trainSize: [0, 28] } }, null],
        [{ nf: [] }, null],
        [{ other: { trainSize: 28 } }, null],
      ];
      for (const [metadata, expected] of cases) {
        model.setUserDefinedMetadata(metadata as Record<string, object>);
        expect(recordedSize(model)).toEqual(expected);
      }
      expect(recordedSize({})).toBeNull();
      expect(recordedSize(null)).toBeNull();
    }));

  it('fills the unknown dimensions of the probe when size is not given; size overrides it', () =>
    withNet(kerasResNet({ blocks: [1, 1] }), async ({ model }) => {
      model.setUserDefinedMetadata({ nf: { trainSize: [20, 24], testSize: [32, 32], channels: 3 } });
      const report = await analyzeSignalPropagation(model, { batchSize: 2 });
      expect(report.probe).toEqual({ kind: 'gaussian', shapes: [[2, 20, 24, 3]], seed: 0, sizeFrom: 'trainSize' });
      expect(report.sites.map((s) => s.shape)).toEqual([
        [2, 5, 6, 4],
        [2, 5, 6, 16],
        [2, 3, 3, 32],
      ]);
      const sized = await analyzeSignalPropagation(model, { batchSize: 2, size: 16 });
      expect(sized.probe).toEqual({ kind: 'gaussian', shapes: [[2, 16, 16, 3]], seed: 0, sizeFrom: 'size' });
    }));

  it('channels too when the input does not know them, by position (channelsFirst: [C, H, W])', () => {
    const input = tf.input({ shape: [null, null, null] });
    const y = tf.layers.add().apply([input, tf.layers.activation({ activation: 'relu' }).apply(input) as tf.SymbolicTensor]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    model.setUserDefinedMetadata({ nf: { trainSize: [6, 5], channels: 2 } });
    return withNet({ model }, async () => {
      expect((await analyzeSignalPropagation(model, { batchSize: 1 })).probe!.shapes).toEqual([[1, 6, 5, 2]]);
      expect((await analyzeSignalPropagation(model, { batchSize: 1, dataFormat: 'channelsFirst' })).probe!.shapes).toEqual([[1, 2, 6, 5]]);
      model.setUserDefinedMetadata({ nf: { trainSize: [6, 5] } });
      const e = await rejection(analyzeSignalPropagation(model, { batchSize: 1 }));
      expect([e.code, e.message]).toEqual([
        'BAD_INPUT',
        "input 'input1' has unknown dimensions [null, null, null, null]; the model's metadata records 6x5 (trainSize), which does not fill them; pass size (e.g. size: 6 or size: [6, 6]) or probe tensors as input.",
      ]);
    });
  });

  it('without a recorded size, the error says what to pass in API terms', () =>
    withNet(kerasResNet({ blocks: [1] }), async ({ model }) => {
      const e = await rejection(analyzeSignalPropagation(model));
      expect([e.code, e.message]).toEqual([
        'BAD_INPUT',
        "input 'input_1' has unknown dimensions [null, null, null, 3] and the model records no image size in its metadata (userDefinedMetadata.nf.trainSize); pass size (e.g. size: 64 or size: [64, 64]) or probe tensors as input.",
      ]);
    }));
});
