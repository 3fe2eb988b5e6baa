/**
 * Shared by the trainer's image-folder tests: small pictures written with sharp (JPEG, uppercase .JPG,
 * PNG, grayscale and CMYK JPEGs, some in nested folders) under one folder per class, and the tiny NFNet
 * run configuration (32×32, the 'images' preset) that trains on such a folder in seconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { resolveConfig, type TrainConfig } from '../src/config/train-config.js';

export const CLASSES = ['cat', 'dog', 'fox'];
const COLOURS: Record<string, [number, number, number]> = { cat: [220, 40, 40], dog: [40, 200, 40], fox: [40, 40, 220] };

/** A picture of class `name`: its colour with a seeded stripe pattern, `w`×`h`. */
export function pixels(name: string, i: number, w: number, h: number): Buffer {
  const [r, g, b] = COLOURS[name] ?? [128, 128, 128];
  const out = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const stripe = ((x + y * (i % 3) + i) % 7) * 6;
      out.set([Math.min(255, r + stripe), Math.min(255, g + stripe), Math.min(255, b + stripe)], (y * w + x) * 3);
    }
  }
  return out;
}

export type Kind = 'jpg' | 'JPG' | 'png' | 'gray-jpg' | 'cmyk-jpg';
export async function writeImage(file: string, name: string, i: number, kind: Kind, w = 40 + (i % 3) * 8, h = 36 + (i % 2) * 12): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const image = sharp(pixels(name, i, w, h), { raw: { width: w, height: h, channels: 3 } });
  const bytes =
    kind === 'png'
      ? await image.png().toBuffer()
      : kind === 'gray-jpg'
        ? await image.grayscale().jpeg({ quality: 90 }).toBuffer()
        : kind === 'cmyk-jpg'
          ? await image.toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer()
          : await image.jpeg({ quality: 90 }).toBuffer();
  writeFileSync(file, bytes);
}

const KINDS: Kind[] = ['jpg', 'JPG', 'png', 'gray-jpg', 'cmyk-jpg'];
/** `per` images per class under `root/<class>/`, of every kind, some in a nested folder. */
export async function writeTree(root: string, per: number, classes = CLASSES): Promise<void> {
  for (const name of classes) {
    for (let i = 0; i < per; i++) {
      const kind = KINDS[i % KINDS.length]!;
      const ext = kind === 'png' ? 'png' : kind === 'JPG' ? 'JPG' : 'jpg';
      const sub = i % 4 === 3 ? 'nested/deeper' : '';
      await writeImage(path.join(root, name, sub, `${name}-${i}.${ext}`), name, i, kind);
    }
  }
}

/** A corrupt JPEG (a header, then garbage). */
export const BROKEN_JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]);

/**
 * A wasm-sized run of `preset` on the image folder `data` at 32×32: batch 4, 2 epochs, one thread, one data
 * worker, no dropout, the given model overlay.
 */
export function tinyFolderRun(preset: string, overlay: Record<string, unknown>, data: string, out: string, extra: Record<string, unknown> = {}): TrainConfig {
  return resolveConfig(preset, [
    { data, out, batchSize: 4, epochs: 2, workers: 1, dataWorkers: 1, evalLimit: 0, modelOverrides: { ...overlay, dropRate: 0, trainSize: 32, testSize: 32 }, ...extra },
    'test',
  ]);
}

/** A tiny NFNet at 32×32 on the image folder `data` ('images' preset). */
export const tinyImageConfig = (data: string, out: string, extra: Record<string, unknown> = {}): TrainConfig =>
  tinyFolderRun('images', { depths: [1, 1, 1, 1], channels: [8, 16, 16, 16], stemChannels: 8, groupSize: 8, numFeatures: 16 }, data, out, extra);

/** With `tinyImageConfig`: 10 epochs that learn the colours (val loss ~0.75 vs ln 3), so that predictions have margins. */
export const LEARNS = { epochs: 10, lr: 0.4, emaDecay: 0, randAugmentLayers: 0, weightDecay: 0 } as const;
