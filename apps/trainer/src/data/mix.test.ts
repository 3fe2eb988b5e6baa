import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import '@nf/wasm-kernels';
import { beforeAll, describe, expect, it } from 'vitest';
import { boxLam, drawMix, mixBatch, mixImages, mixRng, mixTargets, mixingEnabled, randBox, type MixOptions, type MixRandom } from './mix.js';
import { lossOf } from '../step/train-step.js';

/** A generator that replays the given uniform draws and Beta draws, in order. */
function scripted(uniform: number[], beta: number[] = []): MixRandom & { left: () => number } {
  const u = [...uniform];
  const b = [...beta];
  const next = () => {
    const v = u.shift();
    if (v === undefined) throw new Error('no uniform draw left');
    return v;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    beta: () => {
      const v = b.shift();
      if (v === undefined) throw new Error('no beta draw left');
      return v;
    },
    left: () => u.length + b.length,
  };
}

const BOTH: MixOptions = { mixup: 0.2, cutmix: 1, prob: 1, switchProb: 0.5 };

describe('mixing draws (timm batch mode)', () => {
  it('draws: mixed? → CutMix or MixUp? → λ ~ Beta → box, in that order', () => {
    // 0.3 < prob 1: mixed; 0.7 >= switch 0.5: MixUp; λ = 0.3.
    const m = scripted([0.3, 0.7], [0.3]);
    expect(drawMix(m, BOTH, 8, 8)).toEqual({ kind: 'mixup', lam: 0.3 });
    expect(m.left()).toBe(0);
    // 0.2 < 0.5: CutMix with λ 0.75: cut √0.25·8 = 4 (half 2); centre (cy, cx) = (⌊0.3·8⌋, ⌊0.9·8⌋) = (2, 7)
    // → rows [0, 4), columns [5, 9) clipped to [5, 8): 12 of 64 pixels, λ = 1 − 12/64 = 0.8125.
    const c = scripted([0.1, 0.2, 0.3, 0.9], [0.75]);
    expect(drawMix(c, BOTH, 8, 8)).toEqual({ kind: 'cutmix', lam: 0.8125, box: { y0: 0, y1: 4, x0: 5, x1: 8 } });
    expect(c.left()).toBe(0);
  });

  it('prob skips the batch; a single method draws no switch; λ = 1 leaves the batch alone', () => {
    expect(drawMix(scripted([0.6]), { ...BOTH, prob: 0.5 }, 8, 8)).toEqual({ kind: 'none', lam: 1 });
    // CutMix only, on 6×10: λ 0.5 → cuts ⌊6·0.7071⌋ = 4, ⌊10·0.7071⌋ = 7 (halves 2, 3); centre (5, 0)
    // → rows [3, 6) (7 clipped), columns [0, 3) (−3 clipped): 9 of 60 pixels, λ = 0.85.
    const c = scripted([0, 0.95, 0.05], [0.5]);
    const p = drawMix(c, { mixup: 0, cutmix: 1, prob: 1, switchProb: 0.5 }, 6, 10);
    expect(p).toEqual({ kind: 'cutmix', lam: 0.85, box: { y0: 3, y1: 6, x0: 0, x1: 3 } });
    expect(c.left()).toBe(0);
    // λ drawn as exactly 1: the batch stays as it is (timm returns before drawing a box).
    const one = scripted([0.1, 0.1], [1]);
    expect(drawMix(one, BOTH, 8, 8)).toEqual({ kind: 'none', lam: 1 });
    expect(one.left()).toBe(0);
  });

  it('MixUp only: no switch draw; off when both alphas or prob are 0', () => {
    const m = scripted([0.99], [0.25]);
    expect(drawMix(m, { mixup: 0.4, cutmix: 0, prob: 1, switchProb: 0.5 }, 4, 4)).toEqual({ kind: 'mixup', lam: 0.25 });
    expect(mixingEnabled({ mixup: 0, cutmix: 0, prob: 1, switchProb: 0.5 })).toBe(false);
    expect(mixingEnabled({ ...BOTH, prob: 0 })).toBe(false);
    expect(drawMix(scripted([]), { mixup: 0, cutmix: 0, prob: 1, switchProb: 0.5 }, 4, 4)).toEqual({ kind: 'none', lam: 1 });
  });

  it('a box too small to hold a pixel corrects λ to 1', () => {
    const box = randBox(scripted([0.5, 0.5]), 0.999, 8, 8); // cut ⌊8·0.0316⌋ = 0
    expect(box).toEqual({ y0: 4, y1: 4, x0: 4, x1: 4 });
    expect(boxLam(box, 8, 8)).toBe(1);
  });

  it('is a pure function of (seed, step): same draws on resume, other draws on other steps', () => {
    const at = (seed: number, step: number) => drawMix(mixRng(seed, step), BOTH, 28, 28);
    expect(at(3, 17)).toEqual(at(3, 17));
    const draws = Array.from({ length: 20 }, (_, s) => at(3, s).lam);
    expect(new Set(draws).size).toBeGreaterThan(15);
    expect(at(4, 17)).not.toEqual(at(3, 17));
  });

  it('over many steps: CutMix share ≈ switchProb, E[λ] ≈ 1/2, boxes inside with λ = 1 − area', () => {
    let cut = 0;
    let none = 0;
    let lamSum = 0;
    const n = 4000;
    for (let s = 0; s < n; s++) {
      // prob 1: every batch is mixed, except when λ comes out as exactly 1 (Beta(0.2, 0.2) does, rarely).
      const p = drawMix(mixRng(0, s), BOTH, 28, 28);
      if (p.kind === 'none') none += 1;
      lamSum += p.lam;
      if (p.kind === 'cutmix') {
        cut += 1;
        const { y0, y1, x0, x1 } = p.box;
        expect(0 <= y0 && y0 <= y1 && y1 <= 28 && 0 <= x0 && x0 <= x1 && x1 <= 28).toBe(true);
        expect(p.lam).toBeCloseTo(1 - ((y1 - y0) * (x1 - x0)) / 784, 12);
      }
    }
    expect(none / n).toBeLessThan(0.05);
    expect(Math.abs(cut / n - 0.5)).toBeLessThan(0.04);
    // MixUp λ ~ Beta(0.2, 0.2) has mean 1/2; CutMix's corrected λ sits a little above 1/2 (clipping).
    expect(lamSum / n).toBeGreaterThan(0.45);
    expect(lamSum / n).toBeLessThan(0.62);
  });
});

// Both backends: wasm's OneHot kernel ignores on/off values and float dtype (mixTargets works around it).
describe.each(['cpu', 'wasm'])('mixed images and targets (%s)', (backend) => {
  beforeAll(async () => {
    await tf.setBackend(backend);
  });
  // Two 2×3 images with 2 channels (channel 1 = −channel 0), NHWC.
  const a = [1, 2, 3, 4, 5, 6];
  const b = [10, 20, 30, 40, 50, 60];
  const nhwc = (...imgs: number[][]) => tf.tensor4d(imgs.flatMap((img) => img.flatMap((v) => [v, -v])), [imgs.length, 2, 3, 2]);
  const channel0 = (t: tf.Tensor) => Array.from(t.dataSync()).filter((_, i) => i % 2 === 0);

  it('MixUp: λ·x + (1 − λ)·x.flip(0)', () => {
    const x = nhwc(a, b);
    const y = mixImages(x, { kind: 'mixup', lam: 0.25 });
    // 0.25·a + 0.75·b and 0.25·b + 0.75·a.
    expect(channel0(y)).toEqual([7.75, 15.5, 23.25, 31, 38.75, 46.5, 3.25, 6.5, 9.75, 13, 16.25, 19.5]);
    expect(Array.from(y.dataSync()).filter((_, i) => i % 2 === 1)).toEqual(channel0(y).map((v) => -v));
    tf.dispose([x, y]);
  });

  it('CutMix: the box (every channel) comes from the flipped batch, the rest stays', () => {
    const x = nhwc(a, b);
    const y = mixImages(x, { kind: 'cutmix', lam: 2 / 3, box: { y0: 1, y1: 2, x0: 0, x1: 2 } });
    expect(channel0(y)).toEqual([1, 2, 3, 40, 50, 6, 10, 20, 30, 4, 5, 60]);
    expect(Array.from(y.dataSync()).filter((_, i) => i % 2 === 1)).toEqual(channel0(y).map((v) => -v));
    const none = mixImages(x, { kind: 'none', lam: 1 });
    expect(Array.from(none.dataSync())).toEqual(Array.from(x.dataSync()));
    tf.dispose([x, y, none]);
  });

  it("targets: λ·smooth(y) + (1 − λ)·smooth(y.flip(0)) with timm's smoothing; rows sum to 1", () => {
    const labels = tf.tensor1d([0, 2, 1], 'int32');
    // ε 0.1, K 4: off 0.025, on 0.925; the middle example pairs with itself.
    const t = mixTargets(labels, 4, 0.7, 0.1);
    const rows = t.arraySync();
    const expected = [
      [0.655, 0.295, 0.025, 0.025],
      [0.025, 0.025, 0.925, 0.025],
      [0.295, 0.655, 0.025, 0.025],
    ];
    rows.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 6)));
    rows.forEach((row) => expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 6));
    tf.dispose([labels, t]);
  });

  it('unmixed dense targets with the smoothing in give the same loss as int labels smoothed by lossOf', () => {
    const logits = tf.tensor2d([[2, -1, 0.5, 0], [0, 0, 3, -2], [1, 1, 1, 1]]);
    const labels = tf.tensor1d([0, 2, 1], 'int32');
    const dense = mixTargets(labels, 4, 1, 0.1);
    const [viaDense, viaInt] = [lossOf(logits, dense, 4, 0), lossOf(logits, labels, 4, 0.1)];
    expect(viaDense.dataSync()[0]!).toBeCloseTo(viaInt.dataSync()[0]!, 6);
    tf.dispose([logits, labels, dense, viaDense, viaInt]);
  });

  it('mixBatch: seeded by (seed, step), new tensors, no leak', () => {
    const x = nhwc(a, b);
    const labels = tf.tensor1d([3, 1], 'int32');
    const live = tf.memory().numTensors;
    const opts = { ...BOTH, seed: 5, step: 9, numClasses: 4, smoothing: 0 };
    const m1 = mixBatch(x, labels, opts);
    const m2 = mixBatch(x, labels, opts);
    expect(m1.params).toEqual(m2.params);
    expect(m1.params).toEqual(drawMix(mixRng(5, 9), BOTH, 2, 3));
    expect(Array.from(m1.images.dataSync())).toEqual(Array.from(m2.images.dataSync()));
    const lam = m1.params.lam;
    expect(Array.from(m1.targets.dataSync()).map((v) => +v.toFixed(6))).toEqual([0, 1 - lam, 0, lam, 0, lam, 0, 1 - lam].map((v) => +v.toFixed(6)));
    tf.dispose([m1.images, m1.targets, m2.images, m2.targets]);
    expect(tf.memory().numTensors).toBe(live);
    tf.dispose([x, labels]);
  });
});
