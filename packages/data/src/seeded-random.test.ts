import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../test/reference.js';
import { exampleRng, hashSeed, Rng } from './seeded-random.js';

describe('seeded randomness', () => {
  it('Rng is mulberry32 (same stream as the reference implementation)', () => {
    const ref = mulberry32(12345);
    const rng = new Rng(12345);
    for (let i = 0; i < 100; i++) expect(rng.next()).toBe(ref());
  });

  it('state resumes the stream', () => {
    const a = new Rng(9);
    a.next();
    const b = new Rng(a.state);
    expect(b.next()).toBe(a.next());
  });

  it('hashSeed is a function of every part and of large values', () => {
    const seen = new Set<number>();
    for (let e = 0; e < 20; e++) for (let i = 0; i < 500; i++) seen.add(hashSeed(0, 2, e, i));
    expect(seen.size).toBe(10000);
    expect(hashSeed(2 ** 40)).not.toBe(hashSeed(0));
    expect(hashSeed(1, 2)).not.toBe(hashSeed(2, 1));
  });

  it('example streams are reproducible and look uniform', () => {
    expect(exampleRng(1, 2, 3).next()).toBe(exampleRng(1, 2, 3).next());
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += exampleRng(0, 0, i).next();
    expect(sum / 20000).toBeCloseTo(0.5, 2);
  });

  it('int draws cover [0, n) evenly; normal has mean 0 and variance 1', () => {
    const rng = new Rng(3);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[rng.int(7)]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < 20000; i++) {
      const z = rng.normal();
      s += z;
      s2 += z * z;
    }
    expect(s / 20000).toBeCloseTo(0, 1);
    expect(s2 / 20000).toBeCloseTo(1, 1);
  });

  it('gamma(k) has mean k for shapes below and above 1', () => {
    const rng = new Rng(4);
    for (const k of [0.2, 1, 3.5]) {
      let s = 0;
      for (let i = 0; i < 20000; i++) s += rng.gamma(k);
      expect(s / 20000).toBeCloseTo(k, 1);
    }
  });
});
