/** `@nf/signal-prop/node` is the main entry plus the Node parts: Node users change one import. */
import { describe, expect, it } from 'vitest';
import * as main from './index.js';
import * as node from './node.js';

describe('@nf/signal-prop/node', () => {
  it('re-exports every export of the main entry, the same objects', () => {
    for (const [name, value] of Object.entries(main)) expect(node[name as keyof typeof node], name).toBe(value);
  });

  it('adds the CLI as a function, the fs model handler and the module lookup', async () => {
    const out: string[] = [];
    expect(await node.runCli(['--version'], { stdout: (t) => out.push(t), stderr: (t) => out.push(t), cwd: process.cwd() })).toBe(0);
    expect(out.join('')).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof node.fileModel('model.json').load).toBe('function');
    expect(await node.importModule('./no-such-module.js', { cwd: process.cwd() })).toMatchObject({ found: false });
    expect(Object.keys(node).filter((k) => !(k in main)).sort()).toEqual(['USAGE', 'fileModel', 'importModule', 'parseArgs', 'parseModelJson', 'runCli']);
  });
});
