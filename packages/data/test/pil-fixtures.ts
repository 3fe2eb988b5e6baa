/** Pillow 9.4's outputs for the RandAugment pixel ops (scripts/make-pil-fixtures.py). */
import { readFileSync } from 'node:fs';
import type { ImageBuffer } from '../src/image-buffer.js';

interface Fixtures {
  pillow: string;
  images: Record<string, { height: number; width: number; channels: number; data: number[] }>;
  cases: { image: string; op: string; arg: number | null; data: number[] }[];
}

const fixtures = JSON.parse(readFileSync(new URL('../src/augment/__fixtures__/pil-ops.json', import.meta.url), 'utf8')) as Fixtures;

export function fixtureImage(name: string): ImageBuffer {
  const f = fixtures.images[name]!;
  return { data: Uint8Array.from(f.data), width: f.width, height: f.height, channels: f.channels };
}

/** Every case of `op`: the input image, the argument and Pillow's output bytes. */
export function pilCases(op: string): { name: string; image: ImageBuffer; arg: number | null; expected: Uint8Array }[] {
  return fixtures.cases
    .filter((c) => c.op === op)
    .map((c) => ({ name: `${c.image}${c.arg === null ? '' : ` ${c.arg}`}`, image: fixtureImage(c.image), arg: c.arg, expected: Uint8Array.from(c.data) }));
}

/** Largest absolute difference between two byte arrays. */
export function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}
