#!/usr/bin/env node
/**
 * Fine-tuning from a pretrained file, end to end through the CLI: a run of bench/folder-run.mjs (the
 * bundled Fashion-MNIST as 10 class folders of 64×64 JPEGs, `images` preset) is exported as timm
 * safetensors (`nf-train export RUN --format timm`), then a 5-class run on half of the classes starts from
 * it (`--pretrained`: the 10-class head is re-initialised, reported in one line) beside the same run from
 * scratch. Prints the head report and, for both runs, the first steps' losses and each epoch's test top-1.
 *
 *   node apps/trainer/bench/folder-run.mjs --epochs 2        # once: writes the folders and the source run
 *   node apps/trainer/bench/finetune-run.mjs [--dir /tmp/nf-fm-folders-64] [--epochs 1]
 *
 * The 5 classes were also in the source run's 10: this shows the mechanics (head reset, transfer of the
 * body) and the faster start, not transfer to unseen classes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : argv[i + 1];
};
const dir = opt('dir', path.join(tmpdir(), 'nf-fm-folders-64'));
const epochs = opt('epochs', '1');
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const source = path.join(dir, 'run');
if (!existsSync(path.join(source, 'checkpoints'))) {
  console.error(`finetune-run: no source run in ${source}; run bench/folder-run.mjs first`);
  process.exit(1);
}

const nfTrain = (args) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stdout, r.stderr);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
};

// 1. The source run as timm safetensors.
const exported = path.join(dir, 'timm-export');
rmSync(exported, { recursive: true, force: true });
nfTrain(['export', source, '--format', 'timm', '--out', exported]);

// 2. Five of the ten classes, as links into the written folders.
const five = path.join(dir, 'five-classes');
rmSync(five, { recursive: true, force: true });
const classes = readdirSync(path.join(dir, 'train')).sort().slice(0, 5);
for (const split of ['train', 'val']) {
  mkdirSync(path.join(five, split), { recursive: true });
  for (const c of classes) symlinkSync(path.join(dir, split, c), path.join(five, split, c));
}

// 3. The same 5-class run from the pretrained file and from scratch.
const results = {};
for (const [name, extra] of [
  ['pretrained', ['--pretrained', path.join(exported, 'model.safetensors')]],
  ['scratch', []],
]) {
  const out = path.join(dir, `five-${name}`);
  const started = performance.now();
  const stdout = nfTrain(['train', '--preset', 'images', '--data', five, '--epochs', epochs, '--out', out, '--overwrite', ...extra]);
  const seconds = (performance.now() - started) / 1000;
  const head = stdout.split('\n').find((l) => l.startsWith('pretrained '));
  if (head) console.log(head);
  const rows = readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const train = rows.filter((r) => r.kind === 'train');
  results[name] = {
    firstLosses: train.slice(0, 5).map((r) => Number(r.loss.toFixed(3))),
    meanLossFirst50: Number((train.slice(0, 50).reduce((s, r) => s + r.loss, 0) / Math.min(50, train.length)).toFixed(3)),
    top1: rows.filter((r) => r.kind === 'eval').map((r) => Number(r.accuracy.toFixed(4))),
    wallSeconds: Math.round(seconds),
  };
}
console.log(JSON.stringify({ bench: 'finetune-run', classes, epochs: Number(epochs), ...results }, null, 1));
