import { describe, expect, it } from 'vitest';
import { COMMANDS, parseArgs } from './cli-args.js';
import { TrainerError } from '../errors.js';

/** The BAD_ARGS error of parsing `argv`: one line. */
function errorOf(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(TrainerError);
    expect((e as TrainerError).code).toBe('BAD_ARGS');
    expect((e as Error).message).not.toMatch(/\n/);
    return (e as Error).message;
  }
  throw new Error(`expected an error for ${JSON.stringify(argv)}`);
}

describe('nf-train command line: help and version never run anything', () => {
  it.each([
    [[], 'help'],
    [['help'], 'help'],
    [['-h'], 'help'],
    [['--help'], 'help'],
    [['help', 'train'], 'train'],
    [['--help', 'spp'], 'spp'],
    [['help', 'predict'], 'predict'],
    [['predict', '-h'], 'predict'],
    [['predict', 'model', 'a.jpg', '--top-k', 'x', '--help'], 'predict'],
    [['eval', 'model', '--data', 'photos', '--json', '-h'], 'eval'],
    ...COMMANDS.flatMap((c) => [
      [[c, '-h'], c],
      [[c, '--help'], c],
      // Help wins over the rest of the line, even over its errors.
      [[c, '--epochs', '3', '-h'], c],
      [[c, '--no-such-flag', 'x', '--help'], c],
      [[c, 'stray', '-h'], c],
    ]),
  ] as Array<[string[], string]>)('%j asks for the usage of %s', (argv, command) => {
    const args = parseArgs(argv);
    expect(args.help).toBe(true);
    expect(args.command).toBe(command);
  });

  it.each([[['--version']], [['-V']], [['version']], [['train', '--version']], [['eval', 'model', '--version']]])('%j asks for the version', (argv) => {
    expect(parseArgs(argv).version).toBe(true);
  });
});

describe('nf-train command line: anything not understood is an error naming it', () => {
  it.each([
    [['trian'], /^unknown command 'trian'; commands: train, eval, spp, export, info/],
    [['help', 'trian'], /^unknown command 'trian'/],
    [['--epochs', '3'], /^unknown command '--epochs'/],
    [['train', 'now'], /^unexpected argument 'now' for 'train'/],
    [['train', '-x'], /^unknown option '-x' for 'train'/],
    [['train', '--no-such-flag', '1'], /^unknown option '--no-such-flag' for 'train'; see nf-train train --help\.$/],
    [['train', '--batchSize', '8'], /^unknown option '--batchSize' for 'train'; options are kebab-case/],
    [['train', '--model-overrides', '{}'], /\('modelOverrides' is set in a --config file\)/],
    [['train', '--checkpoint', 'x'], /^unknown option '--checkpoint' for 'train' \(not an option of 'train'\)/],
    [['eval', '--resume'], /^unknown option '--resume' for 'eval'/],
    [['spp', '--resume', 'x'], /^unknown option '--resume' for 'spp'/],
    [['info', 'extra'], /^unexpected argument 'extra' for 'info'/],
    [['eval', 'a', 'b'], /^unexpected argument 'b' for 'eval'/],
    [['export', 'only-one'], /^'export' needs 2 arguments/],
    [['train', '--lr'], /^--lr needs a value/],
    [['train', '--out', '--resume'], /^--out needs a value/],
    [['train', '--epochs', ''], /^--epochs must be a number, received ''/],
    [['train', '--epochs', 'ten'], /^--epochs must be a number, received 'ten'/],
    [['train', '--resume='], /^--resume= needs a run or checkpoint folder/],
    [['train', '--resume', '--overwrite'], /^--resume continues a run and --overwrite starts over: give one of them\.$/],
    [['train', '--overwrite=yes'], /^--overwrite takes no value/],
    [['eval', '--overwrite'], /^unknown option '--overwrite' for 'eval' \(not an option of 'eval'\)/],
    [['train', '--', '-h'], /^unexpected argument '-h' for 'train'/],
    // A name with a newline stays on one line.
    [['train', 'a\nb'], /^unexpected argument "a\\nb" for 'train'/],
    // predict: a model and at least one image or folder; --top-k N (N >= 1) and --json (no value).
    [['predict'], /^'predict' needs at least 2 arguments \(usage: nf-train predict <model dir> <image\|dir>\.\.\. \[--top-k 5\] \[--json\]\)\.$/],
    [['predict', 'runs/a/model'], /^'predict' needs at least 2 arguments/],
    [['predict', 'm', 'a.jpg', '--top-k', '0'], /^--top-k must be an integer >= 1, received '0'\.$/],
    [['predict', 'm', 'a.jpg', '--top-k', '2.5'], /^--top-k must be an integer >= 1, received '2\.5'\.$/],
    [['predict', 'm', 'a.jpg', '--top-k'], /^--top-k needs a value/],
    [['predict', 'm', 'a.jpg', '--top-k', '--json'], /^--top-k needs a value/],
    [['predict', 'm', 'a.jpg', '--json=yes'], /^--json takes no value \(received 'yes'\)\.$/],
    [['predict', 'm', 'a.jpg', '--topk', '3'], /^unknown option '--topk' for 'predict'; see nf-train predict --help\.$/],
    [['predict', 'm', 'a.jpg', '--limit', '3'], /^unknown option '--limit' for 'predict' \(not an option of 'predict'\)/],
    [['eval', '--top-k', '3'], /^unknown option '--top-k' for 'eval' \(not an option of 'eval'\)/],
    [['eval', '--limit', '0'], /^--limit must be an integer >= 1, received '0'/],
    [['eval', '--limit', ''], /^--limit must be an integer >= 1, received ''/],
    [['train', '--json'], /^unknown option '--json' for 'train' \(not an option of 'train'\)/],
  ] as Array<[string[], RegExp]>)('%j', (argv, message) => {
    expect(errorOf(argv)).toMatch(message);
  });
});

describe('nf-train command line: values', () => {
  it('config keys as kebab-case flags, inline or separate values, negative numbers', () => {
    const a = parseArgs(['train', '--batch-size', '16', '--lr=0.05', '--seed', '-3', '--out', 'runs/x', '--preset', 'synthetic']);
    expect(a.overrides).toEqual({ batchSize: 16, lr: 0.05, seed: -3, out: 'runs/x' });
    expect(a.preset).toBe('synthetic');
    expect(a.presetGiven).toBe(true);
    expect(a.resume).toBe(false);
    expect(parseArgs(['train']).presetGiven).toBe(false);
    expect(parseArgs(['train', '--overwrite']).overwrite).toBe(true);
    expect(parseArgs(['train']).overwrite).toBe(false);
  });

  it('--resume alone, with a folder after it, or with =folder', () => {
    expect(parseArgs(['train', '--resume']).resume).toBe(true);
    expect(parseArgs(['train', '--resume', '--epochs', '4']).resume).toBe(true);
    expect(parseArgs(['train', '--epochs', '4', '--resume']).resume).toBe(true);
    expect(parseArgs(['train', '--resume', 'runs/a/checkpoints/step-00000010']).resume).toBe('runs/a/checkpoints/step-00000010');
    expect(parseArgs(['train', '--resume=runs/a', '--epochs', '4']).resume).toBe('runs/a');
  });

  it('positional arguments where a command takes them', () => {
    expect(parseArgs(['eval', 'runs/a/model']).positional).toEqual(['runs/a/model']);
    expect(parseArgs(['export', 'a', 'b']).positional).toEqual(['a', 'b']);
    expect(parseArgs(['predict', 'runs/a', 'x.jpg', 'photos', 'y.png']).positional).toEqual(['runs/a', 'x.jpg', 'photos', 'y.png']);
  });

  it('eval --data DIR --json --limit N; predict --top-k N --json, before, between or after the files', () => {
    const e = parseArgs(['eval', 'runs/a', '--data', 'photos', '--json', '--limit', '50']);
    expect(e.overrides).toEqual({ data: 'photos' });
    expect(e.commandFlags).toEqual({ json: true, limit: 50 });
    expect(e.positional).toEqual(['runs/a']);
    expect(parseArgs(['eval', 'runs/a']).commandFlags).toEqual({});
    const p = parseArgs(['predict', '--top-k=3', 'runs/a', 'x.jpg', '--json', 'photos', '--backend', 'wasm']);
    expect(p.commandFlags).toEqual({ topK: 3, json: true });
    expect(p.positional).toEqual(['runs/a', 'x.jpg', 'photos']);
    expect(p.overrides).toEqual({ backend: 'wasm' });
    // A file whose name starts with a dash, after --.
    expect(parseArgs(['predict', 'runs/a', '--', '--odd.jpg']).positional).toEqual(['runs/a', '--odd.jpg']);
  });
});
