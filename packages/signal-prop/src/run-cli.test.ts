import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { mlpResNet, nfResNet, withNet } from '../test/models.js';
import { makeTempDir } from '../test/temp-dir.js';
import { checkWellFormed } from '../test/xml.js';
import { fileModel } from './fs-model-io.js';
import { runCli } from './run-cli.js';

type ST = tf.SymbolicTensor;
const packageDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

async function cli(argv: string[], cwd: string) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd });
  return { code, stdout, stderr };
}

/** Layer classes saved under names no module registers (until one does). */
class ExplodingLayer extends tf.layers.Layer {
  static className = 'ExplodingLayer';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.relu(Array.isArray(inputs) ? inputs[0]! : inputs);
  }
}

class MysteryLayer extends tf.layers.Layer {
  static className = 'MysteryLayer';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.relu(Array.isArray(inputs) ? inputs[0]! : inputs);
  }
}

describe('nf-spp', () => {
  const tmp = makeTempDir('cli');
  const cwd = tmp.dir;
  beforeAll(async () => {
    await useBackend('cpu');
    await withNet(nfResNet({ blocksPerStage: [2, 2], widths: [8, 16], inputShape: [16, 16, 3] }), (n) => n.model.save(fileModel(path.join(cwd, 'nf', 'model.json'))));
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 4 }).apply(input) as ST;
    const m = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, new MysteryLayer({ name: 'mystery' }).apply(a) as ST]) as ST });
    const e = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, new ExplodingLayer({ name: 'boom' }).apply(a) as ST]) as ST });
    await m.save(fileModel(path.join(cwd, 'mystery', 'model.json')));
    await e.save(fileModel(path.join(cwd, 'exploding', 'model.json')));
    m.dispose(); // frees the one weighted layer both models share
    writeFileSync(path.join(cwd, 'register-mystery.mjs'), `import * as tf from '@tensorflow/tfjs';\nclass MysteryLayer extends tf.layers.Layer { static className = 'MysteryLayer'; call(x) { return tf.relu(Array.isArray(x) ? x[0] : x); } }\ntf.serialization.registerClass(MysteryLayer);\n`);
    writeFileSync(path.join(cwd, 'register-exploding.mjs'), `import * as tf from '@tensorflow/tfjs';\nclass ExplodingLayer extends tf.layers.Layer { static className = 'ExplodingLayer'; call() { throw new Error('not supported here\\nsecond line'); } }\ntf.serialization.registerClass(ExplodingLayer);\n`);
    writeFileSync(path.join(cwd, 'notes.json'), '{"hello": "world"}');
  });
  afterAll(() => tmp.remove());
  expectNoLeaks();

  it('prints the table and the terminal plot and writes the SVG, JSON and CSV', async () => {
    const r = await cli(['nf/model.json', '--batch', '4', '--size', '16', '--out', 'out/spp.svg', '--backend', 'cpu', '--alpha', '0.2', '--stages', '2,2'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^nf_resnet: 5 sites, probe 4x16x16x3 \(gaussian\), backend cpu, training mode\n/);
    expect(r.stdout).toMatch(/\n\s*#\s+stage\s+T\s+kind\s+name\s+shape\s+avgSqMean\s+avgVar\s+resAvgVar\n/);
    expect(r.stdout).toContain('average channel variance\n');
    expect(r.stdout).toContain('* nf_resnet   · analytic (α=0.2)');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('wrote out/spp.svg, out/spp.json, out/spp.csv');
    const svg = readFileSync(path.join(cwd, 'out/spp.svg'), 'utf8');
    expect(checkWellFormed(svg)).toEqual([]);
    expect(svg).toContain('data-label="nf_resnet"');
    const json = JSON.parse(readFileSync(path.join(cwd, 'out/spp.json'), 'utf8')) as Array<{ source: string; sites: unknown[] }>;
    expect(json.map((j) => [j.source, j.sites.length])).toEqual([['measured', 5], ['analytic', 5]]);
    expect(readFileSync(path.join(cwd, 'out/spp.csv'), 'utf8').trim().split('\n')).toHaveLength(11);
  });

  it('answers --help, --version and usage errors (exit 2)', async () => {
    expect((await cli(['--help'], cwd)).stdout).toMatch(/^Usage: nf-spp <model\.json> \[options\]/);
    const version = (JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
    expect((await cli(['-v'], cwd)).stdout).toBe(`${version}\n`);
    for (const [argv, line] of [
      [[], 'nf-spp: missing the path of a model.json (nf-spp --help for usage)\n'],
      [['m.json', '--frobnicate'], 'nf-spp: unknown option --frobnicate (nf-spp --help for usage)\n'],
      [['m.json', '--batch', 'two'], "nf-spp: --batch must be an integer >= 1, received 'two' (nf-spp --help for usage)\n"],
      [['m.json', '--alpha', '0.2'], 'nf-spp: --alpha and --stages go together (e.g. --alpha 0.2 --stages 3,4,6,3) (nf-spp --help for usage)\n'],
    ] as const) {
      const r = await cli([...argv], cwd);
      expect([r.code, r.stderr, r.stdout]).toEqual([2, line, '']);
    }
  });

  it('gives one clear line for a bad path, a non-model file and an unsupported layer (exit 1)', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['nope/model.json'], /^nf-spp: cannot read model file '.*nope\/model\.json': no such file; pass the path of a tfjs model\.json\.\n$/],
      [['notes.json'], /^nf-spp: '.*notes\.json' is JSON but not a tfjs model \(no modelTopology\); pass the model\.json written by model\.save\(\)\.\n$/],
      [['mystery/model.json'], /^nf-spp: 'mystery\/model\.json' uses the layer class 'MysteryLayer', which is not registered: pass --import <module that defines it> \(NFNet layers: --import @nf\/ws-conv\)\.\n$/],
      [['mystery/model.json', '--import', 'no-such-module-xyz'], /^nf-spp: --import no-such-module-xyz: module not found from .*; install it in your project\.\n$/],
    ];
    for (const [argv, line] of cases) {
      const r = await cli([...argv, '--backend', 'cpu'], cwd);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(line);
    }
    // The module that defines the class makes the same model work.
    const ok = await cli(['mystery/model.json', '--import', './register-mystery.mjs', '--backend', 'cpu', '--quiet', '--size', '4'], cwd);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    // A registered layer that cannot run: its name, class and the first line of the cause.
    const boom = await cli(['exploding/model.json', '--import', './register-exploding.mjs', '--backend', 'cpu'], cwd);
    expect([boom.code, boom.stdout, boom.stderr]).toEqual([1, '', "nf-spp: layer 'boom' (ExplodingLayer) failed during the analysis: not supported here\n"]);
  });

  it('rejects a bad --measure in one line and measures the layers it names', async () => {
    await withNet(mlpResNet(1, 4), async ({ model }) => {
      await model.save(fileModel(path.join(cwd, 'mlp', 'model.json')));
    });
    const r = await cli(['mlp/model.json', '--backend', 'cpu', '--measure', '['], cwd);
    expect([r.code, r.stderr.split('\n').length]).toEqual([2, 2]);
    expect(r.stderr).toMatch(/^nf-spp: --measure is not a valid regular expression/);
    const b = await cli(['mlp/model.json', '--backend', 'cpu', '--size', '3', '--quiet', '--json', 'mlp.json', '--measure', 'dense'], cwd);
    expect([b.code, b.stderr, b.stdout]).toEqual([0, '', 'wrote mlp.json\n']);
    const names = (JSON.parse(readFileSync(path.join(cwd, 'mlp.json'), 'utf8')) as Array<{ sites: Array<{ kind: string }> }>)[0]!.sites.map((s) => s.kind);
    expect(names).toEqual(['stem', 'layer', 'residual']);
  });

  it.skipIf(!existsSync(path.join(packageDir, 'dist/cli.js')))('runs as the built bin (shebang, ESM) — needs `pnpm build` first', () => {
    const bin = path.join(packageDir, 'dist/cli.js');
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const run = (...args: string[]) => {
      try {
        return { status: 0, stdout: execFileSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', stdio: 'pipe' }), stderr: '' };
      } catch (e) {
        const err = e as { status: number; stdout: string; stderr: string };
        return { status: err.status, stdout: String(err.stdout), stderr: String(err.stderr) };
      }
    };
    // A fresh process has no WSConv2D until @nf/ws-conv is imported.
    const bare = run('nf/model.json', '--backend', 'cpu');
    expect([bare.status, bare.stderr]).toEqual([1, "nf-spp: 'nf/model.json' uses the layer class 'WSConv2D', which is not registered: pass --import <module that defines it> (NFNet layers: --import @nf/ws-conv).\n"]);
    const ok = run('nf/model.json', '--import', '@nf/ws-conv', '--batch', '2', '--backend', 'cpu', '--quiet', '--json', 'bin.json');
    expect(ok).toEqual({ status: 0, stdout: 'wrote bin.json\n', stderr: '' });
    const missing = run('missing.json');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^nf-spp: cannot read model file .*missing\.json': no such file[^\n]*\n$/);
  });
});
