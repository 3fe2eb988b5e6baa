import { describe, expect, it } from 'vitest';
import { workerScriptPath } from './package-paths.js';
import type { BatchPlan } from './prepare-batch.js';
import type { SourceSpec } from './source.js';
import { WorkerPool } from './worker-pool.js';

const plan = {
  seed: 0,
  example: { height: 2, width: 2, channels: 1, mode: 'none', eval: { convention: 'timm', cropMode: 'center', cropPct: 0.875, padding: null, interpolation: 'bilinear' }, randomResizedCrop: null, flip: false, randAugment: null },
  mix: null,
  randAugmentAfterMix: true,
  numClasses: 2,
  labels: 'int',
  labelSmoothing: 0,
  normalization: { mean: [0], std: [1] },
} satisfies BatchPlan;

describe('WorkerPool', () => {
  it('a missing worker script is an error that says how to fix it', () => {
    expect(() => new WorkerPool('/nonexistent/worker.js', 1, { spec: { kind: 'files', paths: [] }, labels: new Int32Array(), plan })).toThrow(
      /worker script "\/nonexistent\/worker\.js" is missing; build @nf\/data \(pnpm build\) or pass workers: 0/,
    );
  });

  it('runs tasks, and a failing task rejects with WORKER_FAILED and the cause', async () => {
    const spec: SourceSpec = { kind: 'raster', data: new Uint8Array(new SharedArrayBuffer(8)).fill(7), height: 2, width: 2, channels: 1 };
    const pool = new WorkerPool(workerScriptPath(), 2, { spec, labels: Int32Array.from([0, 1]), plan });
    try {
      const batch = await pool.run({ epoch: 0, start: 0, indices: Int32Array.from([1, 0]) });
      for (const v of batch.images) expect(v).toBeCloseTo(7 / 255, 6);
      expect([...batch.labels]).toEqual([1, 0]);
      expect(pool.size).toBe(2);
    } finally {
      await pool.close();
    }
    expect(pool.size).toBe(0);
    const broken = new WorkerPool(workerScriptPath(), 1, { spec: { kind: 'unknown' } as unknown as SourceSpec, labels: Int32Array.from([0]), plan });
    await expect(broken.run({ epoch: 0, start: 0, indices: Int32Array.from([0]) })).rejects.toMatchObject({ code: 'WORKER_FAILED', message: expect.stringContaining('preparing a batch failed in a worker') });
    await broken.close();
  });
});
