/**
 * Shared by the fine-tuning tests (pretrained.test.ts, export-timm.test.ts): small PNG class folders
 * of distinct colours (any number of classes up to 6), the tiny dm_nfnet_f0 overlay of the timm fixture
 * (fixtures/timm/README.md: depths 1,1,1,1, channels 16,32,64,128, group size 8, stem 16, 128 final
 * features) as a 'finetune' run at 32×32, and a NumPy .npz writer for DeepMind-named weights.
 */
import { crc32 } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { haikuToOurs, type NamedArray } from '@nf/models';
import type { TrainConfig } from '../src/config/train-config.js';
import { tinyFolderRun } from './image-tree.js';

const COLOURS: Array<[number, number, number]> = [
  [220, 40, 40],
  [40, 200, 40],
  [40, 40, 220],
  [220, 200, 40],
  [200, 40, 200],
  [40, 200, 200],
];

/** `per` PNG pictures per class under `root/<class>/`: the class's colour with a stripe pattern, 40×36. */
export async function writeColourTree(root: string, classes: readonly string[], per: number): Promise<void> {
  const [w, h] = [40, 36];
  for (const [c, name] of classes.entries()) {
    const [r, g, b] = COLOURS[c % COLOURS.length]!;
    mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < per; i++) {
      const px = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const stripe = ((x + y * (i % 3) + i) % 7) * 6;
          px.set([Math.min(255, r + stripe), Math.min(255, g + stripe), Math.min(255, b + stripe)], (y * w + x) * 3);
        }
      }
      writeFileSync(path.join(root, name, `${name}-${i}.png`), await sharp(px, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    }
  }
}

/** train/ (`per` a class) and val/ (2 a class) under `root`. */
export async function writeDataset(root: string, classes: readonly string[], per = 5): Promise<string> {
  await writeColourTree(path.join(root, 'train'), classes, per);
  await writeColourTree(path.join(root, 'val'), classes, 2);
  return root;
}

/** The timm fixture's tiny dm_nfnet_f0 overlay (its `cfg_overlay`), in our field names. */
export const TIMM_TINY = { depths: [1, 1, 1, 1], channels: [16, 32, 64, 128], groupSize: 8, stemChannels: 16, numFeatures: 128 };

/** A 'finetune' run of the tiny overlay at 32×32 on `data`: batch 4, 2 epochs, one thread, one data worker. */
export const tinyFinetune = (data: string, out: string, extra: Record<string, unknown> = {}): TrainConfig => tinyFolderRun('finetune', TIMM_TINY, data, out, extra);

/** DeepMind's (haiku) name of one of our weights ('stages.1.0.conv2/kernel' → 'NFNet/~/nf_block_1/~/conv1/w'), checked by haikuToOurs. */
export function haikuName(ours: string, depths: readonly number[]): string {
  const [layer, weight] = ours.split('/') as [string, string];
  // Convs: w, bias, gain; linear layers: w, b.
  const p = ({ kernel: 'w', bias: 'bias', gain: 'gain' } as Record<string, string>)[weight] ?? weight;
  let name: string | undefined;
  let m = /^stem\.conv(\d)$/.exec(layer);
  if (m) name = `NFNet/~/stem_conv${Number(m[1]) - 1}/${p}`;
  else if (layer === 'final_conv') name = `NFNet/~/final_conv/${p}`;
  else if (layer === 'head.fc') name = `NFNet/~/linear/${p === 'bias' ? 'b' : p}`;
  else if ((m = /^stages\.(\d+)\.(\d+)\.(.+)$/.exec(layer))) {
    const k = depths.slice(0, Number(m[1])).reduce((a, b) => a + b, 0) + Number(m[2]);
    const block = k === 0 ? 'NFNet/~/nf_block' : `NFNet/~/nf_block_${k}`;
    const part = m[3]!;
    const conv = ({ conv1: 'conv0', conv2: 'conv1', conv2b: 'conv1b', conv3: 'conv2', 'downsample.conv': 'conv_shortcut' } as Record<string, string>)[part];
    if (conv) name = `${block}/~/${conv}/${p}`;
    else if (part === 'attn_last') {
      const [fc, kind] = weight.split('_') as [string, string];
      name = `${block}/~/squeeze_excite/~/${fc === 'fc1' ? 'linear' : 'linear_1'}/${kind === 'kernel' ? 'w' : 'b'}`;
    } else if (part === 'residual') name = `${block}/skip_gain`;
  }
  if (!name || haikuToOurs(name, depths) !== ours) throw new Error(`no haiku name for ${ours} (tried ${name})`);
  return name;
}

/** A NumPy .npz (stored zip of little-endian float32 .npy v1.0 files), as np.savez writes one. */
export function writeNpz(arrays: Record<string, NamedArray>): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const [key, { shape, data }] of Object.entries(arrays)) {
    const dims = shape.length === 0 ? '()' : shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
    dict += ' '.repeat(63 - ((10 + dict.length) % 64)) + '\n';
    const header = new Uint8Array(10 + dict.length);
    header.set([0x93, ...enc.encode('NUMPY'), 1, 0, dict.length & 0xff, dict.length >> 8]);
    header.set(enc.encode(dict), 10);
    const body = new Uint8Array(header.length + data.byteLength);
    body.set(header);
    body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), header.length);
    const name = enc.encode(`${key}.npy`);
    const crc = crc32(body) >>> 0;
    const local = new Uint8Array(30 + name.length + body.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, body.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(body, 30 + name.length);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, body.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const centralSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, locals.length, true);
  ev.setUint16(10, locals.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + 22);
  let at = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
