import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CONFIG_BYTES, configFormat, firstDuplicateJsonKey, parseConfigText, readConfigFile } from './config-file.js';
import { ConfigError, PRESETS, resolveConfig } from './train-config.js';
import { parseArgs } from '../cli/cli-args.js';

const dir = mkdtempSync(path.join(tmpdir(), 'nf-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
/** The error of `fn`, checked to be a one-line ConfigError (or, from the command line, a BAD_ARGS TrainerError). */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ConfigError)) expect(e).toMatchObject({ name: 'TrainerError', code: 'BAD_ARGS' });
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected an error');
}
const fromFile = (name: string, text: string) => resolveConfig('fashion-mnist', [parseConfigText(text, name), name]);

describe('--config: YAML or JSON', () => {
  it('YAML and JSON give the same config; flags still win', async () => {
    const yaml = file('run.yaml', '# a comment\nepochs: 2\nlr: 5e-2\nnesterov: false\nmodelOverrides:\n  channels: [16, 16, 32, 32]\nmixup: 0.2\ncutmix: 1.0\n');
    const json = file('run.json', JSON.stringify({ epochs: 2, lr: 0.05, nesterov: false, modelOverrides: { channels: [16, 16, 32, 32] }, mixup: 0.2, cutmix: 1 }));
    const [a, b] = [await readConfigFile(yaml), await readConfigFile(json)];
    expect(a).toEqual(b);
    const c = resolveConfig('fashion-mnist', [a, yaml], [{ lr: 0.2 }, 'flags']);
    expect([c.epochs, c.lr, c.nesterov, c.mixup, c.cutmix, c.mixupProb, c.mixupSwitchProb]).toEqual([2, 0.2, false, 0.2, 1, 1, 0.5]);
    expect(c.modelOverrides).toEqual({ channels: [16, 16, 32, 32] });
    expect(await readConfigFile(file('empty.yml', '# nothing yet\n'))).toEqual({});
    expect(configFormat('A.YML')).toBe('yaml');
  });

  it('every problem is one line naming the file and the key', async () => {
    expect(errorOf(() => fromFile('c.yaml', 'epoch: 2'))).toMatch(/^c\.yaml: unknown key 'epoch'; known keys: model, /);
    expect(errorOf(() => fromFile('c.yaml', 'batch-size: 2'))).toMatch(/^c\.yaml: unknown key 'batch-size' \(did you mean 'batchSize'\? keys are camelCase\)/);
    expect(errorOf(() => fromFile('c.yaml', 'lr: "0.1"'))).toBe(`c.yaml: 'lr' must be a number, received "0.1".`);
    expect(errorOf(() => fromFile('c.yaml', 'nesterov: yes'))).toBe(`c.yaml: 'nesterov' must be a boolean, received "yes".`);
    expect(errorOf(() => fromFile('c.yaml', 'data:'))).toBe(`c.yaml: 'data' must be a string, received null.`);
    expect(errorOf(() => fromFile('c.yaml', 'modelOverrides: [1, 2]'))).toBe(`c.yaml: 'modelOverrides' must be a mapping, received [1,2].`);
    expect(errorOf(() => fromFile('c.yaml', 'lr: .inf'))).toBe(`c.yaml: 'lr' must be a finite number, received Infinity.`);
    expect(errorOf(() => fromFile('c.yaml', 'epochs: 1.5'))).toBe(`c.yaml: 'epochs' must be an integer >= 1, received 1.5.`);
    expect(errorOf(() => fromFile('c.yaml', 'mixup: -0.2'))).toBe(`c.yaml: 'mixup' must be >= 0 (0 turns MixUp off), received -0.2.`);
    expect(errorOf(() => fromFile('c.yaml', 'cutmix: -1'))).toMatch(/^c\.yaml: 'cutmix' must be >= 0/);
    expect(errorOf(() => fromFile('c.yaml', 'mixupProb: 1.5'))).toBe(`c.yaml: 'mixupProb' must be in [0, 1], received 1.5.`);
    expect(errorOf(() => fromFile('c.yaml', 'mixupSwitchProb: -0.1'))).toBe(`c.yaml: 'mixupSwitchProb' must be in [0, 1], received -0.1.`);
    expect(errorOf(() => fromFile('c.yaml', 'backend: cuda'))).toMatch(/^c\.yaml: 'backend' must be one of auto, /);
    expect(errorOf(() => fromFile('c.yaml', 'toString: 1'))).toMatch(/^c\.yaml: unknown key 'toString'/);
    expect(errorOf(() => fromFile('c.json', '{"epochs": 2,}'))).toMatch(/^config file 'c\.json': invalid JSON: /);
  });

  it('syntax errors, a list or a scalar instead of a mapping, a bad extension, a missing file', async () => {
    expect(errorOf(() => parseConfigText('epochs: 2\n  lr: 1', 'bad.yaml'))).toMatch(/^config file 'bad\.yaml': invalid YAML: .* at line \d+, column \d+\.$/);
    expect(errorOf(() => parseConfigText('epochs: 2\nepochs: 3', 'dup.yaml'))).toMatch(/^config file 'dup\.yaml': invalid YAML: Map keys must be unique at line 2, column 1\.$/);
    expect(errorOf(() => parseConfigText('a: 1\n---\nb: 2', 'docs.yaml'))).toMatch(/invalid YAML: Source contains multiple documents/);
    expect(errorOf(() => parseConfigText('- epochs\n- 2', 'list.yaml'))).toBe(`config file 'list.yaml': expected a mapping of config keys (e.g. 'epochs: 2'), found a list.`);
    expect(errorOf(() => parseConfigText('7', 'n.json'))).toBe(`config file 'n.json': expected a mapping of config keys (e.g. 'epochs: 2'), found a number.`);
    expect(errorOf(() => parseConfigText('', 'e.json'))).toMatch(/^config file 'e\.json': invalid JSON: /);
    expect(errorOf(() => configFormat('run.toml'))).toBe(`config file 'run.toml': unknown extension '.toml'; use .yaml, .yml or .json.`);
    await expect(readConfigFile(path.join(dir, 'missing.yaml'))).rejects.toThrow(/^cannot read config file '.*missing\.yaml': no such file\.$/);
  });
});

describe('--config: hostile files', () => {
  it('duplicate keys in JSON are errors, as in YAML (JSON.parse alone keeps the last)', () => {
    expect(errorOf(() => parseConfigText('{"epochs": 2,\n "lr": 0.1,\n "epochs": 30}', 'dup.json'))).toBe(`config file 'dup.json': duplicate key 'epochs' at line 3; give each key once.`);
    expect(errorOf(() => parseConfigText('{"modelOverrides": {"depths": [1], "depths": [2]}}', 'nested.json'))).toMatch(/duplicate key 'depths' at line 1/);
    // The same key in different objects, keys inside strings, escapes: not duplicates.
    expect(parseConfigText('{"a": {"x": 1}, "b": {"x": 2}, "c": "\\"a\\": \\"a\\"", "d": [{"x": 1}, {"x": 2}]}', 'ok.json')).toMatchObject({ a: { x: 1 } });
  });

  it.each([
    ['{}', undefined],
    ['{"a": 1, "b": 2}', undefined],
    ['{"a": 1, "a": 2}', { key: 'a', line: 1 }],
    ['{"a\\"b": 1, "a\\"b": 2}', { key: 'a"b', line: 1 }],
    ['{"\\u0061": 1, "a": 2}', { key: 'a', line: 1 }],
    ['[{"a": 1}, {"a": 1}]', undefined],
    ['{"x": [1, {"a": 1, "b": {"a": 2}}], "a": 3,\n"x": 4}', { key: 'x', line: 2 }],
    ['{"k": "v\\\\", "k": 2}', { key: 'k', line: 1 }],
  ])('firstDuplicateJsonKey(%s)', (text, expected) => {
    expect(firstDuplicateJsonKey(text)).toEqual(expected);
  });

  it('a file past the size cap is refused before it is parsed (YAML key checks are quadratic)', async () => {
    const big = file('big.yaml', Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join('\n'));
    const started = performance.now();
    await expect(readConfigFile(big)).rejects.toThrow(new RegExp(`^config file '.*big\\.yaml' is [\\d,]+ bytes; a config is a few dozen keys \\(at most ${MAX_CONFIG_BYTES / 1024} KiB\\)`));
    expect(performance.now() - started).toBeLessThan(1_000);
    // Just under the cap still parses (and fast).
    const ok = file('ok.yaml', `epochs: 2\n${'# padding\n'.repeat(Math.floor((MAX_CONFIG_BYTES - 20) / 10))}`);
    expect(await readConfigFile(ok)).toEqual({ epochs: 2 });
  });

  it('a YAML alias bomb (billion laughs) is refused by the alias limit, quickly', () => {
    const lines = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const started = performance.now();
    expect(errorOf(() => parseConfigText(lines.join('\n'), 'lol.yaml'))).toMatch(/^config file 'lol\.yaml': invalid YAML: .*Excessive alias count/);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('a device, a FIFO, a folder or bytes that are not UTF-8: one line, never a hang', async () => {
    const zero = path.join(dir, 'zero.yaml');
    symlinkSync('/dev/zero', zero);
    await expect(readConfigFile(zero)).rejects.toThrow(/^cannot read config file '.*zero\.yaml': not a regular file\.$/);
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    await expect(readConfigFile(fifo)).rejects.toThrow(/^cannot read config file '.*pipe\.yaml': not a regular file\.$/);
    const folder = path.join(dir, 'folder.json');
    execFileSync('mkdir', [folder]);
    await expect(readConfigFile(folder)).rejects.toThrow(/^cannot read config file '.*folder\.json': is a directory\.$/);
    writeFileSync(path.join(dir, 'latin1.yaml'), Buffer.from([0x65, 0x3a, 0x20, 0xe9, 0xff]));
    await expect(readConfigFile(path.join(dir, 'latin1.yaml'))).rejects.toThrow(/^config file '.*latin1\.yaml' is not UTF-8 text\.$/);
    const newline = file('a\nb.json', '{"epochs": }');
    await expect(readConfigFile(newline)).rejects.toThrow(/^config file ".*a\\nb\.json": invalid JSON/);
  });
});

describe('flags and presets', () => {
  it('mixing flags are numbers; spp has its own --checkpoint and --batch; booleans are true|false', () => {
    const a = parseArgs(['train', '--mixup', '0.8', '--cutmix=1', '--mixup-prob', '0.5', '--mixup-switch-prob', '0.25']);
    expect(a.overrides).toEqual({ mixup: 0.8, cutmix: 1, mixupProb: 0.5, mixupSwitchProb: 0.25 });
    expect(errorOf(() => parseArgs(['train', '--mixup', 'lots']))).toBe(`--mixup must be a number, received 'lots'.`);
    const s = parseArgs(['spp', '--checkpoint', 'runs/x', '--batch', '4', '--model', 'nf_resnet26', '--out', 'o']);
    expect(s.commandFlags).toEqual({ checkpoint: 'runs/x', batch: 4 });
    expect(s.overrides).toEqual({ model: 'nf_resnet26', out: 'o' });
    expect(errorOf(() => parseArgs(['spp', '--batch', '0']))).toBe(`--batch must be an integer >= 1, received '0'.`);
    // Outside spp, --checkpoint is no flag.
    expect(errorOf(() => parseArgs(['train', '--checkpoint', 'x']))).toMatch(/^unknown option '--checkpoint' for 'train' \(not an option of 'train'\)/);
    expect(errorOf(() => parseArgs(['train', '--nesterov', 'yes']))).toBe(`--nesterov must be true or false, received 'yes'.`);
    expect(parseArgs(['train', '--nesterov', 'false']).overrides).toEqual({ nesterov: false });
  });

  it('mixing is off in every preset but the F0 reference recipe (MixUp 0.2 / CutMix 1, every batch)', () => {
    for (const [name, p] of Object.entries(PRESETS)) {
      const expected = name === 'imagenet-f0' ? [0.2, 1, 1, 0.5] : [0, 0, 1, 0.5];
      expect([p.mixup, p.cutmix, p.mixupProb, p.mixupSwitchProb], name).toEqual(expected);
    }
  });
});
