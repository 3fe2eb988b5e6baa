#!/usr/bin/env node
/**
 * Installs @nf/agc the way its users do: `pnpm pack` the package, install the tarball into a
 * fresh temporary npm project that has only @tensorflow/tfjs besides it, then import it from an
 * ES module and from a CommonJS script and clip a gradient in each.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'nf-pack-test-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  run('pnpm', ['pack', '--pack-destination', work], path.join(root, 'packages/agc'));
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error('pnpm pack produced no tarball');
  const project = path.join(work, 'project');
  run('mkdir', ['-p', project], work);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'agc-consumer', private: true, version: '1.0.0' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', path.join(work, tarball), '@tensorflow/tfjs@4.22.0'], project);

  const check = `
    const w = tf.tensor2d([[3, 1], [4, 1]]);
    const g = tf.tensor2d([[6, 0.001], [8, 0.001]]);
    const out = agc.adaptiveClip(g, w, { clipping: 0.1 }).arraySync();
    const expected = [[0.3, 0.001], [0.4, 0.001]];
    const ok = out.every((row, i) => row.every((v, j) => Math.abs(v - expected[i][j]) < 1e-6));
    if (!ok) throw new Error('unexpected clip result ' + JSON.stringify(out));
    const opt = agc.withAGC(tf.train.sgd(0.1));
    if (opt.getClassName() !== 'AGCOptimizer') throw new Error('withAGC did not return an AGC optimizer');
    console.log(KIND + ': @nf/agc clipped a gradient from the packed tarball');
  `;
  writeFileSync(path.join(project, 'esm.mjs'), `import * as tf from '@tensorflow/tfjs';\nimport * as agc from '@nf/agc';\nconst KIND = 'ESM';\n${check}`);
  writeFileSync(path.join(project, 'cjs.cjs'), `const tf = require('@tensorflow/tfjs');\nconst agc = require('@nf/agc');\nconst KIND = 'CommonJS';\n${check}`);
  for (const script of ['esm.mjs', 'cjs.cjs']) {
    const out = run('node', [script], project);
    process.stdout.write(out.split('\n').filter((l) => l.includes('@nf/agc')).join('\n') + '\n');
  }
  console.log("pack: 2 passed, 0 failed");
} finally {
  rmSync(work, { recursive: true, force: true });
}
