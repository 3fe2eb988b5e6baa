/**
 * Fine-tuning from pretrained weights (`--pretrained`, the 'finetune' preset, `headOnlyEpochs`): a tiny
 * NFNet trained briefly on a 3-class image folder, exported with saveTimmCheckpoint, is the pretrained
 * file. A run started from it holds exactly the file's weights before its first step and starts at a
 * lower loss than from scratch; on 5 classes the classifier is re-initialised (one line naming the
 * skipped tensors) and training runs; a file of another architecture is one error listing the first
 * mismatches; the format is read from the bytes (a DeepMind .npz named .safetensors loads); the
 * head-only epochs freeze the body bit for bit and a run resumed inside them (the pretrained file
 * gone: it is not reloaded) gives the uninterrupted run's losses across the switch.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configOf, createModel, loadModel, readSafetensors, saveTimmCheckpoint, type NamedArray } from '@nf/models/node';
import { train } from '../train.js';
import { loadPretrained, weightsFormat } from './pretrained.js';
import { namedWeights } from '../step/train-step.js';
import { isClassifier } from '../step/param-groups.js';
import { parseArgs } from '../cli/cli-args.js';
import { resolveConfig } from '../config/train-config.js';
import { tempDirs, trainLosses } from '../../test/runs.js';
import { TIMM_TINY, haikuName, tinyFinetune, writeDataset, writeNpz } from '../../test/finetune-data.js';

const tempDir = tempDirs('pretrained');
const quiet = () => undefined;
const THREE = ['cat', 'dog', 'fox'];
const FIVE = ['ant', 'bee', 'cow', 'dog', 'elk'];

/** The timm tensors of a model (saveTimmCheckpoint, read back). */
const timmTensors = (model: tf.LayersModel) => readSafetensors(saveTimmCheckpoint(model)).tensors;
const fileTensors = (file: string) => readSafetensors(new Uint8Array(readFileSync(file)), file).tensors;

/** A run's weights before its first step (train's onReady hook), by timm name. */
async function startingWeights(config: ReturnType<typeof tinyFinetune>): Promise<{ tensors: Record<string, NamedArray>; lines: string[] }> {
  const lines: string[] = [];
  let tensors: Record<string, NamedArray> | undefined;
  const stop = new Error('stop before the first step');
  await expect(
    train(config, {
      log: (l) => lines.push(l),
      onReady: (model) => {
        tensors = timmTensors(model);
        throw stop;
      },
    }),
  ).rejects.toBe(stop);
  return { tensors: tensors!, lines };
}

let data3 = '';
let data5 = '';
/** The pretrained file: the tiny overlay trained 4 epochs on 3 classes, its final (EMA) model in timm's names. */
let file3 = '';

beforeAll(async () => {
  await tf.setBackend('wasm');
  data3 = await writeDataset(tempDir(), THREE);
  data5 = await writeDataset(tempDir(), FIVE);
  const out = tempDir();
  // From-scratch learning rate (the 'images' preset's) and no RandAugment (its colour operations blur
  // the only thing these pictures differ in): 18 steps learn the colours (train loss ~0.3).
  await train(tinyFinetune(data3, out, { epochs: 6, lr: 0.05, randAugmentLayers: 0 }), { log: quiet });
  const model = await loadModel(path.join(out, 'model'));
  file3 = path.join(tempDir(), 'tiny-3.safetensors');
  writeFileSync(file3, saveTimmCheckpoint(model));
  model.dispose();
}, 180_000);

describe('--pretrained (wasm)', () => {
  it('same classes: the run starts from exactly the file’s weights, at a lower first loss than from scratch', async () => {
    const { tensors, lines } = await startingWeights(tinyFinetune(data3, tempDir(), { pretrained: file3 }));
    const file = fileTensors(file3);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(file).sort());
    for (const [k, t] of Object.entries(file)) {
      expect(tensors[k]!.shape, k).toEqual(t.shape);
      expect(tensors[k]!.data, k).toEqual(t.data);
    }
    expect(lines.filter((l) => l.startsWith('pretrained '))).toEqual([`pretrained '${file3}' (timm safetensors): loaded all 94 tensors (names and shapes match)`]);

    const [pre, scratch] = [tempDir(), tempDir()];
    // The same first batch for both (same seed), without RandAugment as the file was trained.
    await train(tinyFinetune(data3, pre, { pretrained: file3, maxSteps: 3, randAugmentLayers: 0 }), { log: quiet });
    await train(tinyFinetune(data3, scratch, { maxSteps: 3, randAugmentLayers: 0 }), { log: quiet });
    const [a, b] = [trainLosses(pre), trainLosses(scratch)];
    expect(a[0]).toBeLessThan(b[0]! - 0.1);
    // The recipe keeps the file's name.
    const state = JSON.parse(readFileSync(path.join(pre, 'checkpoints', 'step-00000003', 'state.json'), 'utf8')) as { config: { pretrained: string } };
    expect(state.config.pretrained).toBe(file3);
  }, 240_000);

  it('another number of classes: one line names the skipped classifier tensors; the body is the file’s, the head a fresh one; training runs', async () => {
    const { tensors, lines } = await startingWeights(tinyFinetune(data5, tempDir(), { pretrained: file3 }));
    const said = lines.filter((l) => l.startsWith('pretrained '));
    expect(said).toHaveLength(1);
    expect(said[0]).toBe(
      `pretrained '${file3}' (timm safetensors): loaded 92 of 94 tensors; the classifier is re-initialised: the file has 3 classes, this run 5 — skipped head.fc.weight (file [3, 128], model [5, 128]), head.fc.bias (file [3], model [5])`,
    );
    const file = fileTensors(file3);
    for (const [k, t] of Object.entries(file)) if (!k.startsWith('head.fc.')) expect(tensors[k]!.data, k).toEqual(t.data);
    // Re-initialised = what a run from scratch starts with (same seed).
    const scratch = await startingWeights(tinyFinetune(data5, tempDir()));
    expect(tensors['head.fc.weight']!.data).toEqual(scratch.tensors['head.fc.weight']!.data);
    expect(tensors['head.fc.bias']!.data).toEqual(scratch.tensors['head.fc.bias']!.data);

    const out = tempDir();
    const result = await train(tinyFinetune(data5, out, { pretrained: file3, maxSteps: 2 }), { log: quiet });
    expect(result.steps).toBe(2);
    expect(trainLosses(out).every(Number.isFinite)).toBe(true);
  }, 240_000);

  it('a file for another architecture: one error line listing the first mismatches, and nothing trains', async () => {
    const other = createModel('dm_nfnet_f0', { ...TIMM_TINY, channels: [16, 32, 64, 96], numFeatures: 96, numClasses: 3 });
    const file = path.join(tempDir(), 'other.safetensors');
    writeFileSync(file, saveTimmCheckpoint(other));
    other.dispose();
    const out = tempDir();
    const e = (await train(tinyFinetune(data3, out, { pretrained: file }), { log: quiet }).catch((error: unknown) => error)) as Error & { code: string };
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe('BAD_CHECKPOINT');
    expect(e.message).not.toMatch(/\n/);
    expect(e.message).toMatch(
      /^--pretrained '.*other\.safetensors' \(timm safetensors\) does not fit the model: \d+ of 94 tensors match; \d+ with another shape \(stages\.3\.0\.conv1\.weight: file \[48, 64, 1, 1\], model \[64, 64, 1, 1\], .* and \d+ more\)\. Only the classifier may differ; it was saved for another architecture/,
    );
    expect(() => readFileSync(path.join(out, 'metrics.jsonl'))).toThrow();
  }, 120_000);

  it('reads the format from the bytes: a DeepMind .npz named .safetensors and a timm file named .npz both load; other files are refused in one line', async () => {
    await tf.setBackend('cpu');
    const modelConfig = configOf('dm_nfnet_f0', { ...TIMM_TINY, numClasses: 3 });
    const source = createModel(modelConfig);
    const depths = modelConfig.depths;
    const arrays: Record<string, NamedArray> = {};
    for (const w of namedWeights(source)) arrays[haikuName(w.name, depths)] = { shape: [...w.variable.shape], data: w.variable.dataSync() as Float32Array };
    const dir = tempDir();
    const npzNamedSafetensors = path.join(dir, 'haiku.safetensors');
    writeFileSync(npzNamedSafetensors, writeNpz(arrays));
    const timmNamedNpz = path.join(dir, 'timm.npz');
    copyFileSync(file3, timmNamedNpz);

    const target = createModel(modelConfig);
    const fromNpz = await loadPretrained(target, npzNamedSafetensors);
    expect(fromNpz.format).toBe('npz');
    expect(fromNpz.line).toBe(`pretrained '${npzNamedSafetensors}' (DeepMind .npz): loaded all 94 tensors (names and shapes match)`);
    expect(timmTensors(target)).toEqual(timmTensors(source));
    expect((await loadPretrained(target, timmNamedNpz)).format).toBe('safetensors');
    expect(timmTensors(target)).toEqual(fileTensors(file3));

    const refused = async (bytes: Uint8Array | undefined, message: RegExp) => {
      const file = path.join(dir, `refused-${Math.random().toString(36).slice(2)}.safetensors`);
      if (bytes) writeFileSync(file, bytes);
      const e = (await loadPretrained(target, file).catch((error: unknown) => error)) as Error & { code: string };
      expect(e.code).toBe('BAD_CHECKPOINT');
      expect(e.message).not.toMatch(/\n/);
      expect(e.message).toMatch(message);
    };
    await refused(new Uint8Array([0x80, 0x02, 0x7d, 0x71, 0x00]), /is a Python pickle .*never unpickled here/);
    // torch.save's zip: its first entry is archive/data.pkl.
    const torchZip = writeNpz({ x: { shape: [1], data: new Float32Array(1) } });
    const name = new TextEncoder().encode('archive/data.pkl');
    const patched = new Uint8Array(torchZip.length + name.length - 'x.npy'.length);
    patched.set(torchZip.subarray(0, 26));
    new DataView(patched.buffer).setUint16(26, name.length, true);
    patched.set(torchZip.subarray(28, 30), 28);
    patched.set(name, 30);
    await refused(patched.subarray(0, 64), /is a PyTorch torch\.save archive .*save_file/);
    await refused(new TextEncoder().encode('hello, not weights at all'), /is neither safetensors nor a NumPy \.npz \(it starts with 68 65 6c 6c 6f 2c 20 6e\)/);
    await refused(undefined, /does not exist; give a timm \.safetensors file or a converted DeepMind \.npz\.$/);
    expect(weightsFormat(new Uint8Array(0), 0)).toBe('unknown');
    source.dispose();
    target.dispose();
    await tf.setBackend('wasm');
  }, 120_000);
});

describe('flags and preset', () => {
  it('--pretrained FILE and --head-only-epochs N are config keys; the finetune preset', () => {
    const args = parseArgs(['train', '--preset', 'finetune', '--data', 'photos', '--pretrained', 'f0.safetensors', '--head-only-epochs', '2']);
    expect(args.overrides).toEqual({ data: 'photos', pretrained: 'f0.safetensors', headOnlyEpochs: 2 });
    const config = resolveConfig(args.preset, [args.overrides, 'flags']);
    expect(config).toMatchObject({ model: 'dm_nfnet_f0', modelOverrides: {}, dataset: 'folder', lr: 0.00125, batchSize: 32, warmupEpochs: 1, weightDecay: 2e-5, clipping: 0.04, randAugmentLayers: 2, headOnlyEpochs: 2, pretrained: 'f0.safetensors' });
    expect(() => resolveConfig('finetune', [{ data: 'x', headOnlyEpochs: 1.5 }, 'flags'])).toThrow(/'headOnlyEpochs' must be an integer >= 0/);
    expect(() => resolveConfig('finetune', [{ data: 'x', pretrained: ' ' }, 'flags'])).toThrow(/'pretrained' must name a weights file/);
  });
});

describe('head-only epochs (wasm)', () => {
  it('freeze everything but head.fc for the first epoch, then train it all; a run resumed inside that epoch, the file gone, gives the same losses', async () => {
    // 15 images at batch 4: 3 steps an epoch; epoch 1 head-only, epoch 2 everything.
    const extra = { headOnlyEpochs: 1, checkpointEvery: 1, keepCheckpoints: 5 };
    const whole = tempDir();
    const lines: string[] = [];
    let start: Map<string, Float32Array> | undefined;
    await train(tinyFinetune(data3, whole, { ...extra, pretrained: file3 }), {
      log: (l) => lines.push(l),
      onReady: (model) => {
        start = new Map(namedWeights(model).map((w) => [w.name, Float32Array.from(w.variable.dataSync())]));
      },
    });
    expect(lines.join('\n')).toMatch(/head-only: epoch 1 train only the classifier \(head\.fc\); every other weight is frozen[\s\S]*epoch 2: the head-only epochs are over; every weight trains from here/);
    const weightsAt = (step: number) => fileTensorsOf(path.join(whole, 'checkpoints', `step-${String(step).padStart(8, '0')}`, 'model.safetensors'));
    const [afterHeadOnly, atEnd] = [weightsAt(3), weightsAt(6)];
    let frozen = 0;
    for (const [name, w] of start!) {
      if (isClassifier(name)) expect(afterHeadOnly[name]!.data, name).not.toEqual(w);
      else {
        expect(afterHeadOnly[name]!.data, name).toEqual(w);
        frozen += 1;
      }
    }
    expect(frozen).toBe(92);
    expect(atEnd['stem.conv1/kernel']!.data).not.toEqual(start!.get('stem.conv1/kernel'));

    // Stop at step 2 (inside the head-only epoch), remove the pretrained file, resume: the checkpoint's weights are used.
    const copy = path.join(tempDir(), 'copy.safetensors');
    copyFileSync(file3, copy);
    const split = tempDir();
    await train(tinyFinetune(data3, split, { ...extra, pretrained: copy, maxSteps: 2 }), { log: quiet });
    rmSync(copy);
    const resumed: string[] = [];
    await train(tinyFinetune(data3, split, { ...extra, pretrained: copy }), { log: (l) => resumed.push(l), resume: true });
    expect(resumed.join('\n')).toMatch(/resumed from .*step-00000002 at step 2 .*\(weights from the checkpoint; --pretrained '.*copy\.safetensors' is not reloaded\)/);
    expect(trainLosses(split)).toEqual(trainLosses(whole));
  }, 300_000);
});

function fileTensorsOf(file: string): Record<string, NamedArray> {
  return readSafetensors(new Uint8Array(readFileSync(file)), file).tensors;
}
