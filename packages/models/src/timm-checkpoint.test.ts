import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { countParams, createModel, loadTimmCheckpoint, loadHaikuCheckpoint, haikuToOurs, readSafetensors, saveTimmCheckpoint, configOf, ModelsError } from './node.js';

const FIXTURES = new URL('../../../fixtures/timm/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('tiny_dm_nfnet_public.json', FIXTURES), 'utf8')) as {
  cfg_overlay: { depths: number[]; channels: number[]; group_size: number; stem_chs: number; num_features: number };
  num_classes: number;
  input_nhwc: number[];
  input_shape: number[];
  logits: number[];
  n_params: number;
  loss: number;
  labels: number[];
};
const weights = readFileSync(new URL('tiny_dm_nfnet_public.safetensors', FIXTURES));
const overlay = {
  depths: fixture.cfg_overlay.depths,
  channels: fixture.cfg_overlay.channels,
  groupSize: fixture.cfg_overlay.group_size,
  stemChannels: fixture.cfg_overlay.stem_chs,
  numFeatures: fixture.cfg_overlay.num_features,
  numClasses: fixture.num_classes,
};

describe.each(BACKENDS)('timm parity on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('dm_nfnet_f0 (tiny overlay) reproduces timm logits to 1e-4 with the shared fixture weights', async () => {
    const model = createModel('dm_nfnet_f0', overlay);
    expect(model.countParams()).toBe(fixture.n_params);
    expect(countParams(configOf('dm_nfnet_f0', overlay))).toBe(fixture.n_params);
    const report = await loadTimmCheckpoint(model, new Uint8Array(weights));
    expect(report.loaded.length).toBe(94);
    const [n, c, h, w] = fixture.input_shape as [number, number, number, number];
    const x = tf.tensor(fixture.input_nhwc, [n, h, w, c]);
    const before = tf.memory().numTensors;
    const logits = model.predict(x) as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 1); // a forward pass leaks nothing
    const got = Array.from(logits.dataSync());
    const worst = Math.max(...got.map((v, i) => Math.abs(v - fixture.logits[i]!)));
    expect(worst).toBeLessThan(1e-4);
    const loss = tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(fixture.labels, 10), logits).dataSync()[0]!);
    expect(Math.abs(loss - fixture.loss)).toBeLessThan(1e-4);
    tf.dispose([x, logits]);
    model.dispose();
  });
});

describe('timm checkpoints: strictness and export', () => {
  beforeAll(() => useBackend('cpu'));

  it('import → export is bit-identical, tensor by tensor', async () => {
    const model = createModel('dm_nfnet_f0', overlay);
    await loadTimmCheckpoint(model, new Uint8Array(weights));
    const exported = readSafetensors(saveTimmCheckpoint(model));
    const original = readSafetensors(new Uint8Array(weights));
    expect(Object.keys(exported.tensors).sort()).toEqual(Object.keys(original.tensors).sort());
    for (const [key, t] of Object.entries(original.tensors)) {
      expect(exported.tensors[key]!.shape, key).toEqual(t.shape);
      expect(Buffer.from(exported.tensors[key]!.data.buffer).equals(Buffer.from(t.data.buffer)), key).toBe(true);
    }
    model.dispose();
  });

  it('strict loading lists every missing, unexpected and mis-shaped tensor; strict: false loads the rest', async () => {
    const model = createModel('dm_nfnet_f0', { ...overlay, numClasses: 7 });
    let error: unknown;
    try {
      await loadTimmCheckpoint(model, new Uint8Array(weights));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelsError);
    expect((error as ModelsError).code).toBe('WEIGHTS_MISMATCH');
    expect(String(error)).toMatch(/wrong shape 2: head\.fc\.weight expected \[7,128\] received \[10,128\]; head\.fc\.bias expected \[7\] received \[10\]/);
    const report = await loadTimmCheckpoint(model, new Uint8Array(weights), { strict: false });
    expect(report.loaded.length).toBe(92);
    expect(report.mismatched.map((m) => m.key)).toEqual(['head.fc.weight', 'head.fc.bias']);
    const other = createModel('nf_resnet26', { depths: [1, 1, 1, 1], numClasses: 10 });
    await expect(loadTimmCheckpoint(other, new Uint8Array(weights))).rejects.toThrow(/missing \d+: stem\.conv\.weight.*unexpected \d+: .*stem\.conv1\.weight/);
    await expect(loadTimmCheckpoint(other, '/no/such/file.safetensors')).rejects.toThrow(/Cannot read checkpoint '\/no\/such\/file.safetensors'/);
    await expect(loadTimmCheckpoint(other, new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a valid safetensors file/);
    model.dispose();
    other.dispose();
  });

  it('every timm dm_nfnet_f0 and nf_resnet26 key is produced by our models, with the same shape', () => {
    for (const [name, file] of [['dm_nfnet_f0', 'timm_keys_dm_nfnet_f0.txt'], ['nf_resnet26', 'timm_keys_nf_resnet26.txt']] as const) {
      const expected = readFileSync(new URL(file, FIXTURES), 'utf8').trim().split('\n').map((l) => l.split('\t') as [string, string]);
      const model = createModel(name);
      const ours = readSafetensors(saveTimmCheckpoint(model)).tensors;
      expect(Object.keys(ours).sort()).toEqual(expected.map(([k]) => k).sort());
      for (const [key, shape] of expected) expect(ours[key]!.shape, key).toEqual(JSON.parse(shape));
      model.dispose();
    }
  }, 300_000);
});

describe('DeepMind (haiku) checkpoints, converted to .npz', () => {
  beforeAll(() => useBackend('cpu'));

  it('the fixture under DeepMind names and layouts gives the same logits as the timm import', async () => {
    const npz = new Uint8Array(readFileSync(new URL('../test/__fixtures__/tiny_dm_haiku.npz', import.meta.url)));
    const model = createModel('dm_nfnet_f0', overlay);
    const report = await loadHaikuCheckpoint(model, npz);
    expect(report.loaded.length).toBe(94);
    const [n, c, h, w] = fixture.input_shape as [number, number, number, number];
    const x = tf.tensor(fixture.input_nhwc, [n, h, w, c]);
    const logits = model.predict(x) as tf.Tensor;
    const worst = Math.max(...Array.from(logits.dataSync()).map((v, i) => Math.abs(v - fixture.logits[i]!)));
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([x, logits]);
    const wrong = createModel('dm_nfnet_f0', { ...overlay, depths: [1, 1, 2, 1] });
    await expect(loadHaikuCheckpoint(wrong, npz)).rejects.toThrow(/does not match the model \(missing 20: stages\.3\.0\.conv1\/kernel.*wrong shape 16: stages\.2\.1\.conv1\/kernel expected \[1,1,64,32\] received \[1,1,64,64\]/);
    await expect(loadHaikuCheckpoint(wrong, new Uint8Array([0x80, 4, 0x95]))).rejects.toThrow(/is a Python pickle .*convert it once/);
    model.dispose();
    wrong.dispose();
  });

  it('maps haiku names as DeepMind numbers its blocks (first block unsuffixed)', () => {
    expect(haikuToOurs('NFNet/~/nf_block/~/conv1b/w', [1, 2, 6, 3])).toBe('stages.0.0.conv2b/kernel');
    expect(haikuToOurs('NFNet/~/nf_block_3/~/conv_shortcut/gain', [1, 2, 6, 3])).toBe('stages.2.0.downsample.conv/gain');
    expect(haikuToOurs('NFNet/~/nf_block_11/skip_gain', [1, 2, 6, 3])).toBe('stages.3.2.residual/skip_gain');
    expect(haikuToOurs('NFNet/~/nf_block_2/~/squeeze_excite/~/linear_1/b', [1, 2, 6, 3])).toBe('stages.1.1.attn_last/fc2_bias');
    expect(haikuToOurs('NFNet/~/linear/w', [1])).toBe('head.fc/kernel');
  });
});
