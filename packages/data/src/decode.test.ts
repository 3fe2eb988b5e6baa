import { describe, expect, it } from 'vitest';
import { encode, gradient, type Variant } from '../test/files.js';
import { decodeImage } from './decode.js';

const W = 9;
const H = 6;

function meanAbs(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('decodeImage (sharp)', () => {
  it.each<[Variant, number]>([
    ['png', 0],
    ['webp', 0],
    ['rgba-png', 0],
    ['png16', 1],
    ['palette-png', 4],
    ['jpeg', 6],
    ['cmyk-jpeg', 24], // CMYK → sRGB goes through ICC profiles (gamut mapping)
  ])('%s becomes 8-bit RGB close to the source (mean |Δ| ≤ %i)', async (variant, tolerance) => {
    const out = await decodeImage(await encode(variant, W, H), 3);
    expect([out.width, out.height, out.channels, out.data.length]).toEqual([W, H, 3, W * H * 3]);
    expect(meanAbs(out.data, gradient(W, H))).toBeLessThanOrEqual(tolerance + 0.5);
  });

  it.each<Variant>(['gray-png', 'gray-alpha-png'])('%s becomes RGB with equal channels, or one channel', async (variant) => {
    const bytes = await encode(variant, W, H);
    const rgb = await decodeImage(bytes, 3);
    expect(rgb.channels).toBe(3);
    for (let i = 0; i < rgb.data.length; i += 3) expect(rgb.data[i]).toBe(rgb.data[i + 2]);
    const gray = await decodeImage(bytes, 1);
    expect(gray.channels).toBe(1);
    for (let i = 0; i < gray.data.length; i++) expect(gray.data[i]).toBe(rgb.data[3 * i]);
  });

  it('rejects truncated, corrupt and unsupported data', async () => {
    const jpeg = await encode('jpeg', 64, 64);
    await expect(decodeImage(jpeg.subarray(0, jpeg.length >> 1))).rejects.toThrow(/premature end|truncated|corrupt/i);
    await expect(decodeImage(Buffer.from('definitely not an image'))).rejects.toThrow(/unsupported image format/);
    await expect(decodeImage(Buffer.from('BM' + '\0'.repeat(60)))).rejects.toThrow();
  });
});
