/** `@nf/data/node` is the main entry plus the Node parts: Node users change one import. */
import { describe, expect, it } from 'vitest';
import * as main from './index.js';
import * as node from './node.js';

/** The main entry's functions that `/node` extends (worker threads, image files). */
const EXTENDED = ['createPipeline', 'readImage'];

describe('@nf/data/node', () => {
  it('re-exports every export of the main entry, the same objects (the pipeline and readImage aside)', () => {
    for (const [name, value] of Object.entries(main)) {
      if (EXTENDED.includes(name)) expect(node[name as keyof typeof node], name).not.toBe(value);
      else expect(node[name as keyof typeof node], name).toBe(value);
    }
  });

  it('adds the file, folder and decoding loaders', () => {
    expect(Object.keys(node).filter((k) => !(k in main)).sort()).toEqual(['CIFAR10_CLASSES', 'DEBIAN_FASHION_MNIST_DIR', 'IMAGE_EXTENSIONS', 'cifar', 'decodeImage', 'fashionMnist', 'imageFolder', 'loadIdx', 'mnist']);
  });
});
