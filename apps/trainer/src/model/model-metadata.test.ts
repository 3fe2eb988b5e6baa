/**
 * What nf-train records in the model it saves, and what a user then gets from nf-spp (the built
 * bins, in child processes): `nf-train train --preset synthetic --max-steps 2`, then `nf-spp
 * <model.json> --import @nf/models` with nothing else — the size comes from the model's metadata,
 * the NfResidual blocks are found by their own declaration, and @nf/models is found from the
 * workspace whether nf-spp runs in a folder outside the repository or at its root.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticImage } from '@nf/data';
import { loadDatasets } from '../data/dataset.js';
import { datasetNormalization, trainedModelMetadata } from './model-metadata.js';
import { resolveConfig } from '../config/train-config.js';
import { tempDirs, built } from '../../test/runs.js';

// This file is apps/trainer/src/model/model-metadata.test.ts.
const appDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nfTrain = path.join(appDir, 'dist', 'cli.js');
const nfSpp = path.join(path.dirname(createRequire(import.meta.url).resolve('@nf/signal-prop/package.json')), 'bin', 'nf-spp.js');
const repoRoot = path.resolve(appDir, '..', '..');
const isBuilt = built(nfTrain, path.join(path.dirname(nfSpp), '..', 'dist', 'cli.js'));
const tempDir = tempDirs('metadata');

function run(bin: string, args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the metadata of a trained model', () => {
  it('the synthetic normalization recorded is the one the trainer applied to its images', async () => {
    const { train } = await loadDatasets('synthetic', undefined, 0);
    const { mean, std } = datasetNormalization('synthetic')!;
    expect(datasetNormalization('an-image-folder')).toBeUndefined();
    const { images, labels } = train.batch([0, 1], { flip: false, seed: 0 });
    const got = images.dataSync();
    [0, 1].forEach((i) => {
      const raw = syntheticImage({ kind: 'synthetic', seed: 0, height: 28, width: 28, channels: 1, numClasses: 10 } as never, i).data;
      raw.forEach((v, k) => expect(got[i * raw.length + k]).toBeCloseTo((v / 255 - mean[0]!) / std[0]!, 5));
    });
    tf.dispose([images, labels]);
    const config = resolveConfig('synthetic');
    expect(trainedModelMetadata(config, train, train)).toEqual({
      trainSize: [28, 28],
      testSize: [28, 28],
      channels: 1,
      classNames: Array.from({ length: 10 }, (_, k) => `class_${k}`),
      normalization: { mean: [0.5], std: [0.25] },
      dataset: 'synthetic',
      model: config.model,
    });
  });
});

describe.skipIf(!isBuilt)('nf-train train → nf-spp model.json (needs `pnpm build` first)', () => {
  let dir = '';
  let model = '';
  beforeAll(() => {
    dir = tempDir();
    const r = run(nfTrain, ['train', '--preset', 'synthetic', '--max-steps', '2', '--workers', '1', '--backend', 'wasm', '--out', 'run'], dir);
    expect([r.code, r.stderr]).toEqual([0, '']);
    model = path.join(dir, 'run', 'model', 'model.json');
  }, 120_000);

  it("model.json records sizes, channels, class names, normalization, dataset, model and the module of its layers in userDefinedMetadata.nf", () => {
    const json = JSON.parse(readFileSync(model, 'utf8')) as { userDefinedMetadata: unknown };
    expect(json.userDefinedMetadata).toEqual({
      nf: {
        version: 1,
        trainSize: [28, 28],
        testSize: [28, 28],
        channels: 1,
        classNames: Array.from({ length: 10 }, (_, k) => `class_${k}`),
        normalization: { mean: [0.5], std: [0.25] },
        dataset: 'synthetic',
        model: 'nfnet_base_mnist',
        imports: ['@nf/models'],
      },
    });
  });

  it('nf-spp with the model path alone says which module registers its layers', () => {
    const r = run(nfSpp, [model], dir);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      `nf-spp: '${model}' uses the layer classes 'WSConv2D', 'FanInNormal', 'NfScaledActivation', 'NfSqueezeExcite', 'NfResidual', which are not registered: pass --import @nf/models (the module its metadata names).\n`,
    );
  });

  it.each([
    ['a folder outside the repository', () => dir],
    ['the repository root', () => repoRoot],
  ])('nf-spp <model.json> --import @nf/models, run from %s: one site per residual block at the recorded 28×28, stage transitions at each new stage', (_, cwd) => {
    const r = run(nfSpp, [model, '--import', '@nf/models'], cwd());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nf_model: 5 sites, probe 8x28x28x1 \(gaussian, size from the model's metadata: trainSize\), backend \w+, training mode\n/);
    const rows = r.stdout
      .split('\n')
      .map((line) => /^(\d+)\s+(\d+)\s+(\*\s+)?(stem|residual)\s+(\S+)\s+(\S+)/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[4], m[5], Number(m[2]), m[3] !== undefined, m[6]]);
    expect(rows).toEqual([
      ['stem', 'stem.conv4', 0, false, '8x14x14x48'],
      ['residual', 'stages.0.0.residual', 0, false, '8x14x14x48'],
      ['residual', 'stages.1.0.residual', 1, true, '8x7x7x96'],
      ['residual', 'stages.2.0.residual', 2, true, '8x4x4x144'],
      ['residual', 'stages.3.0.residual', 3, true, '8x2x2x192'],
    ]);
  });
});
