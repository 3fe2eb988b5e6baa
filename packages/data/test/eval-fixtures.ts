/**
 * Reference pixels of the evaluation transforms (timm on Pillow 9.4, DeepMind with TF2's resize
 * written out in NumPy), made by scripts/make-eval-fixtures.py into src/augment/__fixtures__/eval/.
 */
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import type { ImageBuffer } from '../src/image-buffer.js';

const DIR = new URL('../src/augment/__fixtures__/eval/', import.meta.url);

export interface EvalCase {
  readonly name: string;
  readonly picture: string;
  readonly convention: 'timm' | 'deepmind';
  readonly cropMode: 'center' | 'squash';
  readonly size: [number, number];
  readonly cropPct?: number;
  readonly padding?: number;
  readonly interpolation: 'bilinear' | 'bicubic';
  readonly file: string;
}

interface Manifest {
  readonly pillow: string;
  readonly pictures: Record<string, { file: string; height: number; width: number; channels: number }>;
  readonly cases: EvalCase[];
}

/** The bytes of a fixture file. */
export function fixtureBytes(file: string): Buffer {
  return readFileSync(new URL(file, DIR));
}

export const EVAL_FIXTURES = JSON.parse(readFileSync(new URL('cases.json', DIR), 'utf8')) as Manifest;

/** A fixture PNG as an 8-bit HWC image with the given channel count (PNG decoding is lossless). */
export async function readFixturePng(file: string, channels: number): Promise<ImageBuffer> {
  const { data, info } = await sharp(fixtureBytes(file))
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== channels) throw new Error(`${file}: decoded ${info.channels} channels, expected ${channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels };
}

export async function fixturePicture(name: string): Promise<ImageBuffer> {
  const p = EVAL_FIXTURES.pictures[name]!;
  return readFixturePng(p.file, p.channels);
}

/** Mean and largest absolute difference, on the 0–255 scale. */
export function pixelDiff(a: Uint8Array, b: Uint8Array): { mean: number; max: number } {
  if (a.length !== b.length) return { mean: Infinity, max: Infinity };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}
