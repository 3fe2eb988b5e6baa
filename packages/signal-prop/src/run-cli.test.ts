import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { asKerasConverted, customMergeNet, DeclaredMerge, kerasResNet, mlpResNet, nfResNet, UndeclaredMerge, withNet } from '../test/models.js';
import { makeTempDir } from '../test/temp-dir.js';
import { checkWellFormed } from '../test/xml.js';
import { fileModel } from './fs-model-io.js';
import { parseArgs } from './cli-args.js';
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

for (const cls of [DeclaredMerge, UndeclaredMerge]) tf.serialization.registerClass(cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);

/** The report nf-spp wrote as JSON: [name, kind, stage, transition, branch] of each site. */
function sitesOf(file: string): Array<[string, string, number, boolean, string | null]> {
  const [report] = JSON.parse(readFileSync(file, 'utf8')) as Array<{ sites: Array<{ name: string; kind: string; stage: number; transition: boolean; branch: string | null }> }>;
  return report!.sites.map((s) => [s.name, s.kind, s.stage, s.transition, s.branch]);
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
      [['mystery/model.json'], /^nf-spp: 'mystery\/model\.json' uses the layer class 'MysteryLayer', which is not registered: pass --import <the module that defines it> \(a package name or a file that registers the class\)\.\n$/],
      [
        ['mystery/model.json', '--import', 'no-such-module-xyz'],
        /^nf-spp: --import no-such-module-xyz: module not found; looked in node_modules from .*\/cli-\w+ \(the current directory\); node_modules from .*\/cli-\w+\/mystery \(the model's folder\); the workspace .* \(packages\/\*, apps\/\*\); nf-spp's own dependencies\. Install it in your project \(npm install no-such-module-xyz\) or pass the path of a file\.\n$/,
      ],
      [['mystery/model.json', '--import', './nope.mjs'], /^nf-spp: --import \.\/nope\.mjs: module not found; looked in the file .*\/nope\.mjs\. Check the path \(it is relative to the current directory\)\.\n$/],
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
    expect([bare.status, bare.stderr]).toEqual([1, "nf-spp: 'nf/model.json' uses the layer classes 'WSConv2D', 'FanInNormal', which are not registered: pass --import @nf/ws-conv.\n"]);
    const ok = run('nf/model.json', '--import', '@nf/ws-conv', '--batch', '2', '--backend', 'cpu', '--quiet', '--json', 'bin.json');
    expect(ok).toEqual({ status: 0, stdout: 'wrote bin.json\n', stderr: '' });
    const missing = run('missing.json');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^nf-spp: cannot read model file .*missing\.json': no such file[^\n]*\n$/);
  });

  it('analyses a Keras-style ResNet (keras.applications names, converter model.json): one site per Add, stage transitions at the projection blocks', async () => {
    await withNet(kerasResNet({ blocks: [2, 2, 1] }), (net) => net.model.save(fileModel(path.join(cwd, 'keras-tfjs', 'model.json'))));
    const saved = JSON.parse(readFileSync(path.join(cwd, 'keras-tfjs', 'model.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(cwd, 'keras-tfjs', 'model.json'), JSON.stringify(asKerasConverted(saved)));
    // No size in a converted Keras model: the error speaks CLI.
    const unsized = await cli(['keras-tfjs/model.json', '--backend', 'cpu'], cwd);
    expect([unsized.code, unsized.stdout, unsized.stderr]).toEqual([
      1,
      '',
      "nf-spp: input 'input_1' has unknown dimensions [null, null, null, 3] and the model records no image size in its metadata (userDefinedMetadata.nf.trainSize); pass --size (e.g. --size 64 or --size 64x64).\n",
    ]);
    const r = await cli(['keras-tfjs/model.json', '--backend', 'cpu', '--size', '32', '--batch', '2', '--json', 'keras.json'], cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^resnet50: 6 sites, probe 2x32x32x3 \(gaussian\), backend cpu, training mode\n/);
    expect(sitesOf(path.join(cwd, 'keras.json'))).toEqual([
      ['pool1_pool', 'stem', 0, false, null],
      ['conv2_block1_add', 'residual', 0, true, 'conv2_block1_3_bn'],
      ['conv2_block2_add', 'residual', 0, false, 'conv2_block2_3_bn'],
      ['conv3_block1_add', 'residual', 1, true, 'conv3_block1_3_bn'],
      ['conv3_block2_add', 'residual', 1, false, 'conv3_block2_3_bn'],
      ['conv4_block1_add', 'residual', 2, true, 'conv4_block1_3_bn'],
    ]);
  });

  it("takes the probe size from the model's metadata when its input has unknown dimensions; --size overrides it", async () => {
    const save = async (dir: string, metadata?: Record<string, object>) =>
      withNet(nfResNet({ blocksPerStage: [1, 1], widths: [8, 8], inputShape: [null, null, 3] as never }), async ({ model }) => {
        if (metadata) model.setUserDefinedMetadata(metadata);
        await model.save(fileModel(path.join(cwd, dir, 'model.json')));
      });
    await save('sized', { nf: { trainSize: [12, 12], testSize: [16, 16], channels: 3 } });
    await save('unsized');
    const r = await cli(['sized', '--import', '@nf/ws-conv', '--backend', 'cpu', '--batch', '2'], cwd);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^nf_resnet: 3 sites, probe 2x12x12x3 \(gaussian, size from the model's metadata: trainSize\), backend cpu/);
    const o = await cli(['sized', '--import', '@nf/ws-conv', '--backend', 'cpu', '--batch', '2', '--size', '8x10', '--quiet', '--json', 'o.json'], cwd);
    expect([o.code, o.stderr]).toEqual([0, '']);
    expect((JSON.parse(readFileSync(path.join(cwd, 'o.json'), 'utf8')) as Array<{ probe: unknown }>)[0]!.probe).toEqual({ kind: 'gaussian', shapes: [[2, 8, 10, 3]], seed: 0, sizeFrom: 'size' });
    const u = await cli(['unsized', '--import', '@nf/ws-conv', '--backend', 'cpu'], cwd);
    expect([u.code, u.stderr.replace(/'input\d+'/, "'input'")]).toEqual([1, "nf-spp: input 'input' has unknown dimensions [null, null, null, 3] and the model records no image size in its metadata (userDefinedMetadata.nf.trainSize); pass --size (e.g. --size 64 or --size 64x64).\n"]);
  });

  it('finds merge layers that declare themselves; --residual-class names those that do not', async () => {
    await withNet(customMergeNet(DeclaredMerge), (net) => net.model.save(fileModel(path.join(cwd, 'declared', 'model.json'))));
    await withNet(customMergeNet(UndeclaredMerge), (net) => net.model.save(fileModel(path.join(cwd, 'undeclared', 'model.json'))));
    const expected = [
      ['stem', 'stem', 0, false, null],
      ['merge1', 'residual', 0, true, 'b1_conv'],
      ['merge2', 'residual', 0, false, 'b2_conv2'],
    ];
    const d = await cli(['declared/model.json', '--backend', 'cpu', '--quiet', '--json', 'declared.json'], cwd);
    expect([d.code, d.stderr]).toEqual([0, '']);
    expect(sitesOf(path.join(cwd, 'declared.json'))).toEqual(expected);
    const none = await cli(['undeclared/model.json', '--backend', 'cpu'], cwd);
    expect([none.code, none.stdout, none.stderr]).toEqual([
      1,
      '',
      "nf-spp: model 'custom_merge_net' has no measurable site: no residual merge (class Add, a class declaring static residualMerge, or one named as residual) and no selected layer with a rank >= 2 float output; its multi-input layers are of class UndeclaredMerge: if one is a residual merge, name it and its branch input (--residual-class UndeclaredMerge:0), or select layers with --measure <regex> or --all.\n",
    ]);
    const named = await cli(['undeclared/model.json', '--backend', 'cpu', '--quiet', '--json', 'named.json', '--residual-class', 'UndeclaredMerge:1', '--residual-class', 'Unused'], cwd);
    expect([named.code, named.stderr]).toEqual([0, '']);
    expect(sitesOf(path.join(cwd, 'named.json'))).toEqual(expected);
    const range = await cli(['undeclared/model.json', '--backend', 'cpu', '--residual-class', 'UndeclaredMerge:2'], cwd);
    expect([range.code, range.stderr]).toEqual([1, "nf-spp: --residual-class UndeclaredMerge:2 names input 2 as the branch, but merge 'merge1' has 2 inputs; name an input index below 2 (--residual-class UndeclaredMerge:0).\n"]);
    const parsed = parseArgs(['m.json', '--residual-class', '__proto__:1', '--residual-class', 'A', '--residual-class', 'A:0']);
    expect(parsed.kind === 'run' && Object.entries(parsed.args.residualClasses)).toEqual([['__proto__', { branch: 1 }], ['A', { branch: 0 }]]);
    for (const bad of ['Undeclared Merge', 'X:-1', 'X:', ':1']) {
      const r = await cli(['undeclared/model.json', '--residual-class', bad], cwd);
      expect([r.code, r.stderr]).toEqual([2, `nf-spp: --residual-class must be a layer class name with an optional branch input, e.g. MyResidual or MyResidual:0; received '${bad}' (nf-spp --help for usage)\n`]);
    }
  });

  it("--import finds a package from the model's folder, and names the module the model's metadata records", async () => {
    class EnigmaLayer extends MysteryLayer {
      static override className = 'EnigmaLayer';
    }
    const project = path.join(cwd, 'project');
    const input = tf.input({ shape: [4] });
    const a = tf.layers.dense({ units: 4 }).apply(input) as ST;
    const m = tf.model({ inputs: input, outputs: tf.layers.add().apply([a, new EnigmaLayer({ name: 'enigma' }).apply(a) as ST]) as ST });
    m.setUserDefinedMetadata({ nf: { imports: ['enigma-layers'] } });
    await m.save(fileModel(path.join(project, 'model', 'model.json')));
    m.dispose();
    const pkg = path.join(project, 'node_modules', 'enigma-layers');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'enigma-layers', type: 'module', main: 'index.mjs' }));
    writeFileSync(path.join(pkg, 'index.mjs'), readFileSync(path.join(cwd, 'register-mystery.mjs'), 'utf8').replaceAll('MysteryLayer', 'EnigmaLayer'));
    const missing = await cli(['project/model/model.json', '--backend', 'cpu'], cwd);
    expect([missing.code, missing.stderr]).toEqual([1, "nf-spp: 'project/model/model.json' uses the layer class 'EnigmaLayer', which is not registered: pass --import enigma-layers (the module its metadata names).\n"]);
    // Run from elsewhere: the package is not under the current directory, but beside the model.
    const ok = await cli([path.join(project, 'model', 'model.json'), '--import', 'enigma-layers', '--backend', 'cpu', '--quiet', '--size', '4'], path.join(cwd, 'out'));
    expect([ok.code, ok.stderr]).toEqual([0, '']);
  });
});
