import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../test/backends.js';
import { expectNoLeaks } from '../test/leak-check.js';
import { nfResNet, withNet } from '../test/models.js';
import { makeTempDir } from '../test/temp-dir.js';
import { fileModel } from './fs-model-io.js';

describe('fileModel', () => {
  const tmp = makeTempDir('fs-io');
  beforeAll(() => useBackend('cpu'));
  afterAll(() => tmp.remove());
  expectNoLeaks();

  it('saves and loads a model (with @nf/ws-conv layers) with identical outputs; a directory means its model.json', () =>
    withNet(nfResNet({ blocksPerStage: [1, 1], widths: [4, 8], inputShape: [8, 8, 3] }), async (net) => {
      const dir = path.join(tmp.dir, 'nf');
      await net.model.save(fileModel(path.join(dir, 'model.json')));
      for (const target of [path.join(dir, 'model.json'), dir]) {
        const loaded = await tf.loadLayersModel(fileModel(target));
        const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1);
        const [a, b] = [net.model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
        expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
        tf.dispose([x, a, b]);
        loaded.dispose();
      }
    }));

  it('fails with one line naming the file and the fix', async () => {
    const d = path.join(tmp.dir, 'bad');
    mkdirSync(d, { recursive: true });
    const write = (name: string, text: string) => {
      writeFileSync(path.join(d, name), text);
      return path.join(d, name);
    };
    const load = (p: string) => fileModel(p).load!();
    const cases: Array<[string, RegExp]> = [
      [path.join(d, 'missing.json'), /^cannot read model file '.*missing\.json': no such file; pass the path of a tfjs model\.json\.$/],
      [write('text.json', 'hello'), /^'.*text\.json' is not JSON \(.*\); pass a tfjs model\.json\.$/],
      [write('other.json', '{"name": "package"}'), /is JSON but not a tfjs model \(no modelTopology\)/],
      [write('graph.json', '{"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": []}'), /is a tfjs graph model; nf-spp analyzes Layers models/],
      [write('noshard.json', '{"modelTopology": {"class_name": "Sequential", "config": {}}, "weightsManifest": [{"paths": ["gone.bin"], "weights": []}]}'), /weight file 'gone\.bin' listed in .* cannot be read: no such file/],
    ];
    for (const [p, message] of cases) {
      const err = await load(p).catch((e: unknown) => e);
      expect((err as { code?: string }).code).toBe('BAD_MODEL_FILE');
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
    rmSync(d, { recursive: true, force: true });
  });
});
