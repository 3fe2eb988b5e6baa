#!/usr/bin/env node
/**
 * Installs the published packages the way their users do: `pnpm pack` @nf/agc, @nf/ws-conv,
 * @nf/models, @nf/signal-prop and @nf/data (pnpm rewrites `workspace:` ranges to versions), then ONE
 * `npm install` of all the tarballs with @tensorflow/tfjs into a fresh temporary project, so npm
 * resolves @nf/ws-conv from its tarball. Then:
 * - browser: each package's main entry is bundled with esbuild as a web app would (platform browser,
 *   ESM, @tensorflow/* external; scripts/browser-bundle.mjs); reaching a Node module (`node:fs`, sharp,
 *   worker_threads…) or an unguarded `process` fails, naming the package and the import. The minified
 *   + gzipped size of the @nf/agc bundle is printed;
 * - Node: @nf/agc clips a gradient from ESM and CommonJS; each `/node` subpath (and @nf/data's bundled
 *   files through `./data/*`) imports and works from ESM and CommonJS; the `nf-spp` bin runs.
 * Last line: `pack: N passed, M failed` (CI sums it); exit code 1 when a check failed.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { browserBundle } from './browser-bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['agc', 'ws-conv', 'models', 'signal-prop', 'data'];
const work = mkdtempSync(path.join(tmpdir(), 'nf-pack-test-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
let passed = 0;
let failed = 0;

/** Runs one check; a failure is one line naming it, and the run goes on. */
async function check(name, fn) {
  try {
    const note = await fn();
    passed += 1;
    console.log(`pack: ok ${name}${note ? ` (${note})` : ''}`);
  } catch (error) {
    failed += 1;
    const detail = String(error?.stderr || error?.message || error).trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    console.log(`pack: FAIL ${name}: ${detail}`);
  }
}

try {
  const tarballs = {};
  for (const name of PACKAGES) {
    const before = new Set(readdirSync(work));
    run('pnpm', ['pack', '--pack-destination', work], path.join(root, 'packages', name));
    const made = readdirSync(work).find((f) => f.endsWith('.tgz') && !before.has(f));
    if (!made) throw new Error(`pnpm pack produced no tarball for @nf/${name}`);
    tarballs[name] = path.join(work, made);
  }
  const project = path.join(work, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'nf-consumer', private: true, version: '1.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES.map((p) => tarballs[p]), '@tensorflow/tfjs@4.22.0'], project);

  // Browser: every main entry bundles without Node.
  for (const name of PACKAGES) {
    await check(`@nf/${name} bundles for the browser`, async () => {
      const { problems } = await browserBundle(`@nf/${name}`, { resolveDir: project });
      if (problems.length > 0) throw new Error(`@nf/${name}'s main entry reaches Node in a browser bundle: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (+${problems.length - 3} more)` : ''}; move the import behind @nf/${name}/node`);
    });
  }
  await check('@nf/agc browser bundle size', async () => {
    const { problems, bytes } = await browserBundle('@nf/agc', { resolveDir: project, minify: true });
    if (!bytes) throw new Error(problems.join('; '));
    console.log(`pack: @nf/agc browser bundle ${(gzipSync(bytes, { level: 9 }).length / 1000).toFixed(1)} kB min+gz`);
  });

  // Node: ESM and CommonJS.
  const agcCheck = `
    const w = tf.tensor2d([[3, 1], [4, 1]]);
    const g = tf.tensor2d([[6, 0.001], [8, 0.001]]);
    const out = agc.adaptiveClip(g, w, { clipping: 0.1 }).arraySync();
    const expected = [[0.3, 0.001], [0.4, 0.001]];
    const ok = out.every((row, i) => row.every((v, j) => Math.abs(v - expected[i][j]) < 1e-6));
    if (!ok) throw new Error('unexpected clip result ' + JSON.stringify(out));
    const opt = agc.withAGC(tf.train.sgd(0.1));
    if (opt.getClassName() !== 'AGCOptimizer') throw new Error('withAGC did not return an AGC optimizer');
  `;
  const nodeCheck = `
    const same = (a, b, what) => { if (a !== b) throw new Error(what + ': the /node entry does not re-export the main one'); };
    same(models.createModel, modelsMain.createModel, '@nf/models');
    same(data.fromArrays, dataMain.fromArrays, '@nf/data');
    same(spp.analyzeSignalPropagation, sppMain.analyzeSignalPropagation, '@nf/signal-prop');
    same(models.ModelsError, modelsMain.ModelsError, '@nf/models ModelsError');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nf-pack-model-'));
    try {
      const model = models.createModel('nfnet_tiny_mnist', { numClasses: 3 });
      await models.saveModel(model, dir, { metadata: { classNames: ['a', 'b', 'c'] } });
      const loaded = await models.loadModel(dir);
      if (models.modelMetadata(loaded).classNames.join() !== 'a,b,c') throw new Error('metadata lost in save/load');
      const bytes = { 'model.json': fs.readFileSync(path.join(dir, 'model.json')), 'weights.bin': fs.readFileSync(path.join(dir, 'weights.bin')) };
      const fromBytes = await modelsMain.loadModel(bytes);
      if (fromBytes.countParams() !== model.countParams()) throw new Error('the main entry loaded other weights');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const test = await data.fashionMnist({ split: 'test' });
    const file = (n) => fs.readFileSync(req.resolve('@nf/data/data/fashion-mnist/' + n));
    const fromBytes = await dataMain.fashionMnistFromBytes({ images: file('t10k-images-idx3-ubyte.gz'), labels: file('t10k-labels-idx1-ubyte.gz'), split: 'test' });
    if (test.size !== 2000 || fromBytes.size !== 2000 || Buffer.compare(test.spec.data, fromBytes.spec.data) !== 0) throw new Error('the bundled Fashion-MNIST differs between fashionMnist and fashionMnistFromBytes');
    const pipeline = data.createPipeline(test, { batchSize: 8, workers: 1, output: 'arrays' });
    for await (const batch of pipeline) { if (batch.images.length !== 8 * 28 * 28) throw new Error('bad batch'); break; }
    const out = [];
    if (await spp.runCli(['--version'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), cwd: process.cwd() }) !== 0) throw new Error('runCli --version failed: ' + out.join(''));
  `;
  writeFileSync(
    path.join(project, 'esm.mjs'),
    `import * as tf from '@tensorflow/tfjs';\nimport * as agc from '@nf/agc';\nimport fs from 'node:fs';\nimport os from 'node:os';\nimport path from 'node:path';\nimport { createRequire } from 'node:module';\n` +
      `import * as models from '@nf/models/node';\nimport * as modelsMain from '@nf/models';\nimport * as data from '@nf/data/node';\nimport * as dataMain from '@nf/data';\nimport * as spp from '@nf/signal-prop/node';\nimport * as sppMain from '@nf/signal-prop';\n` +
      `const req = createRequire(import.meta.url);\nconst step = process.argv[2];\nif (step === 'agc') {${agcCheck}} else {${nodeCheck}}\nconsole.log('done');\n`,
  );
  writeFileSync(
    path.join(project, 'cjs.cjs'),
    `const tf = require('@tensorflow/tfjs');\nconst agc = require('@nf/agc');\nconst fs = require('node:fs');\nconst os = require('node:os');\nconst path = require('node:path');\nconst req = require;\n` +
      `const models = require('@nf/models/node');\nconst modelsMain = require('@nf/models');\nconst data = require('@nf/data/node');\nconst dataMain = require('@nf/data');\nconst spp = require('@nf/signal-prop/node');\nconst sppMain = require('@nf/signal-prop');\n` +
      `(async () => { const step = process.argv[2]; if (step === 'agc') {${agcCheck}} else {${nodeCheck}} console.log('done'); })().catch((e) => { console.error(e); process.exitCode = 1; });\n`,
  );
  for (const [script, kind] of [
    ['esm.mjs', 'ESM'],
    ['cjs.cjs', 'CommonJS'],
  ]) {
    await check(`${kind}: @nf/agc clips a gradient`, () => void run('node', [script, 'agc'], project));
    await check(`${kind}: @nf/models/node, @nf/data/node (bundled data, worker pipeline), @nf/signal-prop/node`, () => void run('node', [script, 'node'], project));
  }
  await check('the nf-spp bin runs', () => run('npx', ['--no-install', 'nf-spp', '--version'], project).trim());
} catch (error) {
  failed += 1;
  console.log(`pack: FAIL setup: ${String(error?.stderr || error?.message || error).trim().split('\n').slice(-3).join(' | ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`pack: ${passed} passed, ${failed} failed`);
if (failed > 0) process.exitCode = 1;
