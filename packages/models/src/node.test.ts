/** `@nf/models/node` is the main entry plus the Node parts: Node users change one import. */
import { describe, expect, it } from 'vitest';
import * as main from './index.js';
import * as node from './node.js';

/** The main entry's functions that `/node` extends to paths (a superset: the same sources still work, tested in browser-io.test.ts). */
const EXTENDED = ['saveModel', 'loadModel', 'loadTimmCheckpoint', 'loadSafetensors'];

describe('@nf/models/node', () => {
  it('re-exports every export of the main entry, the same objects (the path-taking loaders aside)', () => {
    for (const [name, value] of Object.entries(main)) {
      if (EXTENDED.includes(name)) expect(typeof node[name as keyof typeof node], name).toBe('function');
      else expect(node[name as keyof typeof node], name).toBe(value);
    }
  });

  it('adds the folder handlers, the haiku loader and readNpz', () => {
    expect(Object.keys(node).filter((k) => !(k in main)).sort()).toEqual(['directoryLoadHandler', 'directorySaveHandler', 'loadHaikuCheckpoint', 'readNpz']);
    for (const name of EXTENDED) expect(node[name as keyof typeof node], name).not.toBe(main[name as keyof typeof main]);
  });
});
