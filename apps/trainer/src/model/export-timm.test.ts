/**
 * `nf-train export RUN --format timm`: what timm needs to continue a run. A full-size dm_nfnet_f0
 * (built, not trained) exports exactly timm's state-dict keys and shapes (fixtures/timm); a tiny
 * fine-tuning run, exported through the bin, gives timm's keys for the fixture's overlay, the run's
 * final EMA weights, an args.yaml whose every key is a timm train.py option (typed as PyYAML reads
 * it), a class map, a README with the torchrun command, and a file that loads back as --pretrained.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configOf, createModel, loadModel, readSafetensors, saveTimmCheckpoint } from '@nf/models/node';
import { writeTimmExport } from './export-timm.js';
import { loadPretrained } from './pretrained.js';
import { pyFloat, timmModel } from './timm-args.js';
import { resolveConfig } from '../config/train-config.js';
import { train } from '../train.js';
import { tempDirs, built } from '../../test/runs.js';
import { TIMM_TINY, tinyFinetune, writeDataset } from '../../test/finetune-data.js';

const FIXTURES = new URL('../../../../fixtures/timm/', import.meta.url);
const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const tempDir = tempDirs('export-timm');

/**
 * Every option of timm's train.py, by argparse dest (the keys of the args.yaml it writes with
 * yaml.safe_dump(args.__dict__), and of the config it reads with parser.set_defaults(**cfg)).
 * Transcribed from train.py's add_argument calls at pytorch-image-models commit
 * aa4b5850c1543fa488abf260f18390eda46cf85d, the commit named in fixtures/timm/README.md ('config'
 * itself belongs to the first, config-file parser and is left out).
 */
const TIMM_TRAIN_DESTS = new Set([
  'data', 'data_dir', 'dataset', 'train_split', 'val_split', 'train_num_samples', 'val_num_samples',
  'dataset_download', 'class_map', 'input_img_mode', 'input_key', 'target_key', 'dataset_trust_remote_code',
  'model', 'pretrained', 'pretrained_path', 'initial_checkpoint', 'resume', 'no_resume_opt', 'num_classes',
  'gp', 'img_size', 'in_chans', 'input_size', 'crop_pct', 'mean', 'std', 'interpolation', 'batch_size',
  'validation_batch_size', 'channels_last', 'fuser', 'grad_accum_steps', 'grad_checkpointing', 'fast_norm',
  'model_kwargs', 'head_init_scale', 'head_init_bias', 'torchcompile_mode', 'torchscript', 'torchcompile',
  'device', 'amp', 'amp_dtype', 'model_dtype', 'no_ddp_bb', 'synchronize_step', 'local_rank', 'device_modules',
  'opt', 'opt_eps', 'opt_betas', 'momentum', 'weight_decay', 'clip_grad', 'clip_mode', 'layer_decay',
  'layer_decay_min_scale', 'layer_decay_no_opt_scale', 'opt_kwargs', 'sched', 'sched_on_updates', 'lr',
  'lr_base', 'lr_base_size', 'lr_base_scale', 'lr_noise', 'lr_noise_pct', 'lr_noise_std', 'lr_cycle_mul',
  'lr_cycle_decay', 'lr_cycle_limit', 'lr_k_decay', 'warmup_lr', 'min_lr', 'epochs', 'epoch_repeats',
  'start_epoch', 'decay_milestones', 'decay_epochs', 'warmup_epochs', 'warmup_prefix', 'cooldown_epochs',
  'patience_epochs', 'decay_rate', 'no_aug', 'train_crop_mode', 'scale', 'ratio', 'hflip', 'vflip',
  'color_jitter', 'color_jitter_prob', 'grayscale_prob', 'gaussian_blur_prob', 'aa', 'aug_repeats',
  'aug_splits', 'jsd_loss', 'bce_loss', 'bce_sum', 'bce_target_thresh', 'bce_pos_weight', 'reprob', 'remode',
  'recount', 'resplit', 'mixup', 'cutmix', 'cutmix_minmax', 'mixup_prob', 'mixup_switch_prob', 'mixup_mode',
  'mixup_off_epoch', 'smoothing', 'train_interpolation', 'drop', 'drop_connect', 'drop_path', 'drop_block',
  'bn_momentum', 'bn_eps', 'sync_bn', 'dist_bn', 'split_bn', 'model_ema', 'model_ema_force_cpu',
  'model_ema_decay', 'model_ema_warmup', 'seed', 'worker_seeding', 'log_interval', 'val_interval',
  'recovery_interval', 'checkpoint_hist', 'workers', 'save_images', 'pin_mem', 'no_prefetcher', 'output',
  'experiment', 'eval_metric', 'tta', 'use_multi_epochs_loader', 'log_wandb', 'wandb_project', 'wandb_tags',
  'wandb_resume_id', 'train_img_sizes', 'train_batch_sizes', 'train_size_probs', 'train_size_schedule',
  'train_size_schedule_spread', 'train_size_random_mix', 'train_batches_per_epoch',
  'variable_batch_loss_scale', 'naflex_loader', 'naflex_train_seq_lens', 'naflex_max_seq_len',
  'naflex_patch_sizes', 'naflex_patch_size_probs', 'naflex_loss_scale', 'naflex_patchify_channels_first',
  'kd_model_name', 'kd_distill_type', 'kd_loss_type', 'distill_loss_weight', 'task_loss_weight',
  'kd_temperature', 'kd_student_feature_dim', 'kd_teacher_feature_dim', 'kd_token_distill_type',
]);

/** PyYAML's (YAML 1.1) resolvers for floats and ints: a float needs a '.', an exponent needs a sign. */
const PYYAML_FLOAT = /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const PYYAML_INT = /^[-+]?(?:0|[1-9][0-9_]*)$/;
/** Options train.py declares as floats (type=float). */
const FLOAT_OPTIONS = ['lr', 'momentum', 'weight_decay', 'clip_grad', 'smoothing', 'drop', 'drop_path', 'mixup', 'cutmix', 'mixup_prob', 'mixup_switch_prob', 'model_ema_decay', 'warmup_lr', 'min_lr', 'hflip', 'color_jitter', 'reprob', 'mean', 'std', 'scale', 'ratio'];

/** The `key: value` lines of args.yaml: each key with its value's text (comment cut off). */
function yamlLines(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+): (.*?)(?:  # .*)?$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

/** The names and shapes of a safetensors file, from its header alone. */
function safetensorsHeader(file: string): Map<string, number[]> {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const header = Buffer.alloc(n);
    readSync(fd, header, 0, n, 8);
    const json = JSON.parse(header.toString('utf8')) as Record<string, { shape: number[] }>;
    return new Map(Object.entries(json).filter(([k]) => k !== '__metadata__').map(([k, v]) => [k, v.shape]));
  } finally {
    closeSync(fd);
  }
}

/** A fixture key file: key TAB [shape]. */
function referenceKeys(name: string): Map<string, number[]> {
  const text = readFileSync(new URL(name, FIXTURES), 'utf8');
  return new Map(text.trim().split('\n').map((l) => l.split('\t') as [string, string]).map(([k, s]) => [k, JSON.parse(s) as number[]]));
}

describe('args.yaml helpers', () => {
  it('floats as PyYAML types them; timm names for our models and overlays', () => {
    for (const [x, s] of [[0, '0.0'], [1, '1.0'], [0.00125, '0.00125'], [2e-5, '0.00002'], [1.5e-7, '1.5e-7'], [1e-7, '1.0e-7'], [1e21, '1.0e+21']] as const) {
      expect(pyFloat(x)).toBe(s);
      expect(s).toMatch(PYYAML_FLOAT);
    }
    expect(timmModel('dm_nfnet_f0', configOf('dm_nfnet_f0'))).toEqual({ name: 'dm_nfnet_f0', kwargs: {}, unsupported: [], renamed: false });
    expect(timmModel('dm_nfnet_f0', configOf('dm_nfnet_f0', { ...TIMM_TINY, numClasses: 3, dropRate: 0, trainSize: 32, testSize: 32 })).kwargs).toEqual({
      depths: [1, 1, 1, 1],
      channels: [16, 32, 64, 128],
      stem_chs: 16,
      group_size: 8,
      num_features: 128,
    });
    // Our Fashion-MNIST net: a dm_nfnet_f0 overlay with a stride-2 stem, which timm's NfCfg cannot express.
    const mnist = timmModel('nfnet_base_mnist', configOf('nfnet_base_mnist'));
    expect(mnist.name).toBe('dm_nfnet_f0');
    expect(mnist.renamed).toBe(true);
    expect(mnist.unsupported).toEqual(['stemStride 2', 'stageStrides [1,2,2,2]']);
    expect(timmModel('nf_resnet50', configOf('nf_resnet50')).kwargs).toEqual({});
  });
});

describe('nf-train export --format timm', () => {
  it('a full-size dm_nfnet_f0, built without training: exactly timm\'s keys and shapes; args.yaml names dm_nfnet_f0 as is', async () => {
    await tf.setBackend('wasm');
    const modelConfig = configOf('dm_nfnet_f0');
    const model = createModel(modelConfig);
    const out = tempDir();
    try {
      const config = resolveConfig('finetune', [{ data: 'photos' }, 'test']);
      const done = await writeTimmExport(model, config, modelConfig, { out, source: 'runs/finetune', checkpoint: 'runs/finetune/checkpoints/step-00000000', step: 0, epoch: 0, index: 0, weights: 'ema', classNames: [] });
      expect(done.timmName).toBe('dm_nfnet_f0');
    } finally {
      model.dispose();
    }
    const ours = safetensorsHeader(path.join(out, 'model.safetensors'));
    const reference = referenceKeys('timm_keys_dm_nfnet_f0.txt');
    expect(reference.size).toBe(233);
    expect([...ours.keys()].sort()).toEqual([...reference.keys()].sort());
    for (const [k, shape] of reference) expect(ours.get(k), k).toEqual(shape);
    const yaml = readFileSync(path.join(out, 'args.yaml'), 'utf8');
    const args = parseYaml(yaml) as Record<string, unknown>;
    expect(args).toMatchObject({ model: 'dm_nfnet_f0', num_classes: 1000, img_size: 192, input_size: [3, 192, 192], drop: 0.2, lr: 0.00125, epochs: 10, batch_size: 32 });
    expect(args).not.toHaveProperty('model_kwargs');
    expect(yaml).toMatch(/^input_size: \[3, 192, 192\]  # nf-train evaluated at 256×256; train\.py validates at input_size/m);
    for (const key of Object.keys(args)) expect(TIMM_TRAIN_DESTS.has(key), key).toBe(true);
  }, 180_000);

  describe.skipIf(!built(cli))('through the bin (needs `npx tsup` first)', () => {
    let data = '';
    let run = '';
    beforeAll(async () => {
      await tf.setBackend('wasm');
      data = await writeDataset(tempDir(), ['cat', 'dog', 'fox']);
      run = tempDir();
      await train(tinyFinetune(data, run, { headOnlyEpochs: 1 }), { log: () => undefined, preset: 'finetune' });
    }, 120_000);

    const bin = (args: string[]) => {
      const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 120_000 });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };

    it('writes timm\'s keys for the overlay, the final EMA weights, an args.yaml of timm options only, a class map and the command', async () => {
      const out = path.join(tempDir(), 'to-timm');
      const r = bin(['export', run, '--format', 'timm', '--out', out]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/exported .*step-00000006 \(EMA weights\) as timm dm_nfnet_f0 to .*to-timm: model\.safetensors, args\.yaml, class_map\.txt, README\.txt\n/);
      expect(r.stdout).toContain(`continue in timm (weights only, see README.txt): cd ${out} && torchrun --nproc_per_node=1 /path/to/pytorch-image-models/train.py --config args.yaml --data-dir /path/to/data --initial-checkpoint model.safetensors\n`);

      // Keys and shapes: the fixture's (timm's dm_nfnet_f0 with this overlay, 10 classes) but for the 3-class head.
      const fixture = JSON.parse(readFileSync(new URL('tiny_dm_nfnet_public.json', FIXTURES), 'utf8')) as { cfg_overlay: unknown; state_dict_keys: Array<[string, number[]]> };
      const ours = safetensorsHeader(path.join(out, 'model.safetensors'));
      expect([...ours.keys()].sort()).toEqual(fixture.state_dict_keys.map(([k]) => k).sort());
      for (const [k, shape] of fixture.state_dict_keys) expect(ours.get(k), k).toEqual(k.startsWith('head.fc.') ? [3, ...shape.slice(1)] : shape);
      // The tensors are the run's final model (its EMA weights, saved in model/).
      const saved = await loadModel(path.join(run, 'model'));
      expect(readSafetensors(new Uint8Array(readFileSync(path.join(out, 'model.safetensors')))).tensors).toEqual(readSafetensors(saveTimmCheckpoint(saved)).tensors);
      saved.dispose();

      const yaml = readFileSync(path.join(out, 'args.yaml'), 'utf8');
      const args = parseYaml(yaml) as Record<string, unknown>;
      for (const key of Object.keys(args)) expect(TIMM_TRAIN_DESTS.has(key), `${key} is not a timm train.py option`).toBe(true);
      expect(args.model_kwargs).toEqual(fixture.cfg_overlay);
      expect(args).toMatchObject({
        model: 'dm_nfnet_f0',
        num_classes: 3,
        in_chans: 3,
        img_size: 32,
        input_size: [3, 32, 32],
        opt: 'sgd',
        momentum: 0.9,
        lr: 0.00125,
        weight_decay: 2e-5,
        clip_grad: 0.04,
        clip_mode: 'agc',
        sched: 'cosine',
        sched_on_updates: true,
        warmup_epochs: 1,
        warmup_lr: 0,
        epochs: 2,
        smoothing: 0.1,
        model_ema: true,
        model_ema_decay: 0.999,
        mixup: 0,
        cutmix: 0,
        mixup_prob: 1,
        mixup_switch_prob: 0.5,
        drop: 0,
        drop_path: null,
        batch_size: 4,
        aa: 'rand-m5-n2',
        class_map: 'class_map.txt',
        data_dir: '/path/to/data',
      });
      // Every float option is written as PyYAML reads a float; ints as ints.
      const lines = yamlLines(yaml);
      for (const key of FLOAT_OPTIONS) {
        const text = lines.get(key);
        if (text === undefined || text === 'null') continue;
        for (const token of text.replace(/^\[|\]$/g, '').split(', ')) expect(token, key).toMatch(PYYAML_FLOAT);
      }
      for (const key of ['num_classes', 'epochs', 'batch_size', 'img_size', 'warmup_epochs', 'seed']) expect(lines.get(key), key).toMatch(PYYAML_INT);
      // What timm lacks or does otherwise is said in comments.
      expect(yaml).toMatch(/^# a custom overlay: timm cannot build it by the name dm_nfnet_f0 alone/m);
      expect(yaml).toMatch(/^clip_mode: "agc"  # timm leaves the head's weight and bias out of AGC/m);
      expect(yaml).toMatch(/^# No timm equivalent \(nf-train keys\): headOnlyEpochs 1 \(the first epochs trained head\.fc alone/m);
      expect(readFileSync(path.join(out, 'class_map.txt'), 'utf8')).toBe('cat\ndog\nfox\n');
      const readme = readFileSync(path.join(out, 'README.txt'), 'utf8');
      expect(readme).toContain('  torchrun --nproc_per_node=1 /path/to/pytorch-image-models/train.py --config args.yaml --data-dir /path/to/data --initial-checkpoint model.safetensors\n');
      expect(readme).toMatch(/--initial-checkpoint, not --resume: the weights only/);

      // The way back: the export is a --pretrained file for the same model.
      await tf.setBackend('cpu');
      const back = createModel(configOf('dm_nfnet_f0', { ...TIMM_TINY, dropRate: 0, trainSize: 32, testSize: 32, numClasses: 3 }));
      expect((await loadPretrained(back, path.join(out, 'model.safetensors'))).line).toMatch(/loaded all 94 tensors/);
      back.dispose();
      await tf.setBackend('wasm');
    }, 120_000);

    it('defaults to <run>/timm; the tfjs export still takes two folders; wrong forms are one line', () => {
      const r = bin(['export', path.join(run, 'checkpoints', 'step-00000003'), '--format', 'timm']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`as timm dm_nfnet_f0 to ${run}/timm: `));
      expect(readFileSync(path.join(run, 'timm', 'README.txt'), 'utf8')).toContain('--initial-checkpoint model.safetensors --start-epoch 1\n');
      const folded = bin(['export', path.join(run, 'model'), path.join(run, 'folded')]);
      expect(folded.code).toBe(0);
      expect(existsSync(path.join(run, 'folded', 'model.json'))).toBe(true);
      expect(bin(['export', run]).stderr).toMatch(/^nf-train: 'export' needs 2 arguments \(usage: nf-train export <model dir> <out dir>\), or --format timm and a run folder\. \[BAD_ARGS\]\n$/);
      expect(bin(['export', run, 'x', '--format', 'timm']).stderr).toMatch(/^nf-train: unexpected argument 'x' for 'export --format timm'/);
      expect(bin(['export', run, '--format', 'onnx']).stderr).toMatch(/^nf-train: --format must be tfjs or timm, received 'onnx'\. \[BAD_ARGS\]\n$/);
    }, 120_000);
  });
});
