/**
 * nf-train as a user runs it: the built bin (dist/cli.js) in a child process. Help never trains, an
 * option that is not understood never trains, and a run killed with SIGKILL resumes bit-exactly with
 * `--resume` alone (the configuration comes from the checkpoint).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SMALL_RUN, metricRows, tempDirs, built } from '../../test/runs.js';
import { CONFIG_KEYS } from '../config/train-config.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const isBuilt = built(cli);
const tempDir = tempDirs('cli');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const losses = (dir: string) => metricRows(dir).filter((r) => r.kind === 'train');

describe.skipIf(!isBuilt)('nf-train bin (needs `pnpm build` first)', () => {
  it.each([
    [['train', '-h'], /^nf-train train \[options\]\n/],
    [['train', '--help'], /^nf-train train \[options\]\n/],
    [['train', '--epochs', '3', '-h'], /^nf-train train \[options\]\n/],
    [['eval', '--help'], /^nf-train eval \[<model dir>\] \[options\]\n/],
    [['spp', '-h'], /^nf-train spp \[options\]\n/],
    [['export', '-h'], /^nf-train export <model dir> <out dir>\n/],
    [['info', '--help'], /^nf-train info \[options\]\n/],
    [['predict', '-h'], /^nf-train predict <model dir> <image\|dir>\.\.\. \[--top-k 5\] \[--json\]\n/],
    [['--help'], /^nf-train <command> \[options\]/],
    [[], /^nf-train <command> \[options\]/],
    [['--version'], /^nf-train \d+\.\d+\.\d+ \(tfjs 4\.\d+\.\d+, node v\d+/],
  ])('%j prints usage and exits 0 without creating anything', (args, out) => {
    const cwd = tempDir();
    const r = run(args, cwd);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(out);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('info turns relaxed SIMD on for itself (Node 20: a V8 flag set at start) and names the kernels\' build; NF_WASM_RELAXED=0 keeps plain', () => {
    const info = (env: Record<string, string>) =>
      spawnSync(process.execPath, [cli, 'info', '--preset', 'synthetic', '--backend', 'wasm'], { cwd: tempDir(), encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
    // Without the test runner's own --experimental-wasm-relaxed-simd: the bin must set it.
    const relaxed = info({ NODE_OPTIONS: '' });
    expect(relaxed.status).toBe(0);
    expect(relaxed.stdout).toMatch(/^wasm SIMD kernels: relaxed SIMD \(FMA\)$/m);
    const plain = info({ NF_WASM_RELAXED: '0' });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toMatch(/^wasm SIMD kernels: plain SIMD/m);
  });

  it('--help names every config key (as a flag, kebab-case)', () => {
    const help = run(['--help'], tempDir()).stdout;
    const missing = [...CONFIG_KEYS].filter((k) => k !== 'modelOverrides').map((k) => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)).filter((flag) => !new RegExp(`(^|[\\s,(])${flag}\\b`).test(help));
    expect(missing).toEqual([]);
    expect(help).toContain('modelOverrides');
  });

  it.each([
    [['train', '--epohcs', '3'], /^nf-train: unknown option '--epohcs' for 'train'; see nf-train train --help\. \[BAD_ARGS\]\n$/],
    [['train', 'h'], /^nf-train: unexpected argument 'h' for 'train'/],
    [['train', '--out', ''], /^nf-train: flags: 'out' must name a folder, e\.g\. runs\/my-run, received ""\. \[BAD_CONFIG\]\n$/],
    [['train', '--preset', 'synthetic', '--out', '/proc/nf-cli-test'], /^nf-train: cannot write the output folder '\/proc\/nf-cli-test': .*; choose another --out\. \[OUT_DIR\]\n$/],
    [['train', '--resume'], /^nf-train: --resume: no checkpoint in '.*runs\/fashion-mnist\/checkpoints'; start without --resume .*\[BAD_CHECKPOINT\]\n$/],
  ])('%j fails with one line and a code, training nothing', (args, err) => {
    const cwd = tempDir();
    const r = run(args, cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(err);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('kill -9 mid-run, then `train --resume --out DIR` alone: the run keeps its configuration and its losses, across an epoch boundary', async () => {
    const dir = tempDir();
    // 512 synthetic images at batch 16: 32 steps an epoch; 40 steps cross into epoch 2.
    const config = path.join(dir, 'run.json');
    writeFileSync(
      config,
      JSON.stringify({
        dataset: 'synthetic',
        backend: 'wasm',
        epochs: 2,
        workers: 1,
        batchSize: 16,
        maxSteps: 40,
        evalLimit: 32,
        checkpointSteps: 1,
        keepCheckpoints: 2,
        modelOverrides: SMALL_RUN.modelOverrides,
      }),
    );
    const killed = path.join(dir, 'killed');
    const child = spawn(process.execPath, [cli, 'train', '--preset', 'synthetic', '--config', config, '--out', killed], { cwd: dir, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 90_000;
    while (!existsSync(path.join(killed, 'checkpoints', 'step-00000003')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const done = losses(killed).length;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(done).toBeLessThan(40);

    // Flags that change the recipe are refused; the folder is left as it was.
    const refused = run(['train', '--resume', '--out', killed, '--lr', '0.5'], dir);
    expect(refused.code).toBe(1);
    // The killed run's lock was left behind: the next run takes it over, saying so.
    expect(refused.stdout).toMatch(/removing a stale lock/);
    expect(refused.stderr).toMatch(/^nf-train: --resume: the configuration differs from the run's .*lr \(--lr\) 0\.5, the run has 0\.2\. .*\[RESUME_CONFLICT\]\n$/);
    expect(losses(killed)).toHaveLength(done);

    const resumed = run(['train', '--resume', '--out', killed], dir);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resumed from .*step-\d+ at step \d+/);
    expect(resumed.stdout).toMatch(/after 40 steps/);

    const whole = path.join(dir, 'whole');
    expect(run(['train', '--preset', 'synthetic', '--config', config, '--out', whole], dir).code).toBe(0);
    const a = losses(killed);
    expect(a.map((r) => r.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(a.map((r) => r.loss)).toEqual(losses(whole).map((r) => r.loss));
  }, 240_000);
});
