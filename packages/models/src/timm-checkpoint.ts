/**
 * timm state dicts ↔ our models. Layer names are timm's module paths, so a key maps to
 * `<layer>/<weight>` with the layout changed at this border and nowhere else:
 * conv OIHW → HWIO (transpose 2,3,1,0), gains [out,1,1,1] → [out], SE 1×1 convs [out,in,1,1] → dense
 * [in,out], linear [out,in] → [in,out], skipinit_gain scalar → the residual layer's skip_gain.
 * Strict by default, like PyTorch's load_state_dict: every missing, unexpected or wrongly shaped
 * tensor is listed in one error.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { readSafetensors, writeSafetensors, type NamedArray } from './safetensors.js';
import { ModelsError } from './errors.js';
import { DEFAULT_FILE_LIMITS, limitOption, type FileLimits } from './file-limits.js';
import { readSource, type ByteSource, type FetchLike } from './byte-source.js';
import { quote } from './quote.js';

type Layout = 'conv' | 'vector' | 'dense' | 'se' | 'scalar';

interface Slot {
  key: string;
  variable: tfl.LayerVariable;
  layout: Layout;
}

/** timm key and layout of every weight of the model. */
function slots(model: tfl.LayersModel): Slot[] {
  const out: Slot[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    for (const variable of layer.weights) {
      const local = variable.originalName.split('/').pop()!;
      const name = layer.name;
      if (cls === 'WSConv2D' || cls === 'GroupedConv2D' || cls === 'Conv2D') {
        out.push({ key: `${name}.${local === 'kernel' ? 'weight' : local}`, variable, layout: local === 'kernel' ? 'conv' : 'vector' });
      } else if (cls === 'NfSqueezeExcite') {
        const [fc, part] = local.split('_') as [string, string];
        out.push({ key: `${name}.${fc}.${part === 'kernel' ? 'weight' : 'bias'}`, variable, layout: part === 'kernel' ? 'se' : 'vector' });
      } else if (cls === 'NfResidual') {
        out.push({ key: `${name.replace(/\.residual$/, '')}.skipinit_gain`, variable, layout: 'scalar' });
      } else if (cls === 'Dense') {
        out.push({ key: `${name}.${local === 'kernel' ? 'weight' : 'bias'}`, variable, layout: local === 'kernel' ? 'dense' : 'vector' });
      } else {
        out.push({ key: `${name}.${local}`, variable, layout: variable.shape.length <= 1 ? 'vector' : 'dense' });
      }
    }
  }
  return out;
}

/** PyTorch shape of a tfjs weight of this layout. */
function torchShape(layout: Layout, shape: readonly number[], key: string): number[] {
  if (layout === 'conv') return [shape[3]!, shape[2]!, shape[0]!, shape[1]!];
  if (layout === 'se') return [shape[1]!, shape[0]!, 1, 1];
  if (layout === 'dense') return [shape[1]!, shape[0]!];
  if (layout === 'scalar') return [];
  // timm conv gains are [out, 1, 1, 1]; biases [out]
  return key.endsWith('.gain') ? [shape[0]!, 1, 1, 1] : [...shape];
}

function toTfjs(layout: Layout, t: NamedArray, tfShape: readonly number[]): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor(t.data, t.shape.length === 0 ? [] : t.shape);
    if (layout === 'conv') return tf.transpose(x, [2, 3, 1, 0]);
    if (layout === 'se' || layout === 'dense') return tf.transpose(tf.reshape(x, [t.shape[0]!, t.shape[1]!]));
    return tf.reshape(x, tfShape as number[]);
  });
}

function toTorch(layout: Layout, v: tf.Tensor, key: string): NamedArray {
  const shape = torchShape(layout, v.shape, key);
  const data = tf.tidy(() => {
    if (layout === 'conv') return tf.transpose(v, [3, 2, 0, 1]);
    if (layout === 'se' || layout === 'dense') return tf.transpose(v);
    return tf.clone(v);
  });
  const out = { shape, data: Float32Array.from(data.dataSync()) };
  data.dispose();
  return out;
}

export interface LoadReport {
  loaded: string[];
  missing: string[];
  unexpected: string[];
  mismatched: Array<{ key: string; expected: number[]; received: number[] }>;
}

/** Options of `loadTimmCheckpoint`. */
export interface TimmLoadOptions {
  /** Fail on any missing, unexpected or mis-shaped tensor (default true); false loads what matches. */
  strict?: boolean;
  /** The most bytes read from a File/Blob, a URL (or, in `@nf/models/node`, a path). Default 4 GiB. */
  maxBytes?: FileLimits['maxBytes'];
  /** The `fetch` used for a URL (default the global one). */
  fetch?: FetchLike;
}

/**
 * Loads a timm state dict (safetensors) into a model built by `createModel` with the matching
 * timm name. `strict` (default true) fails on any missing, unexpected or mis-shaped tensor, listing
 * them all; `strict: false` loads what matches and returns the rest in the report. The checkpoint is
 * bytes (Uint8Array, ArrayBuffer), a File/Blob or a URL (`http(s):`, `blob:`, `data:`); a File or URL
 * holds at most `maxBytes` (default 4 GiB; SECURITY.md). A file path needs `@nf/models/node`.
 */
export async function loadTimmCheckpoint(model: tfl.LayersModel, source: ByteSource, options: TimmLoadOptions = {}): Promise<LoadReport> {
  const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
  const { bytes, where } = await readSource(source, { maxBytes, label: { what: 'checkpoint' }, fallbackName: 'checkpoint', fetch: options.fetch, owner: 'loadTimmCheckpoint' });
  return loadTimmBytes(model, bytes, where, options.strict ?? true);
}

/** `loadTimmCheckpoint` on bytes already read from `where`. */
export function loadTimmBytes(model: tfl.LayersModel, bytes: Uint8Array, where: string, strict: boolean): LoadReport {
  const tensors = new Map(Object.entries(readSafetensors(bytes, where).tensors));
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  const expected = slots(model);
  const known = new Set(expected.map((s) => s.key));
  report.unexpected = [...tensors.keys()].filter((k) => !known.has(k));
  const ready: Array<[Slot, NamedArray]> = [];
  for (const slot of expected) {
    const t = tensors.get(slot.key);
    if (!t) {
      report.missing.push(slot.key);
      continue;
    }
    const want = torchShape(slot.layout, slot.variable.shape as number[], slot.key);
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      report.mismatched.push({ key: slot.key, expected: want, received: t.shape });
      continue;
    }
    ready.push([slot, t]);
  }
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  if (strict && problems > 0) {
    const parts = [
      report.missing.length ? `missing ${report.missing.length}: ${report.missing.join(', ')}` : '',
      report.unexpected.length ? `unexpected ${report.unexpected.length}: ${report.unexpected.join(', ')}` : '',
      report.mismatched.length
        ? `wrong shape ${report.mismatched.length}: ${report.mismatched.map((m) => `${m.key} expected [${m.expected}] received [${m.received}]`).join('; ')}`
        : '',
    ].filter(Boolean);
    throw new ModelsError('WEIGHTS_MISMATCH', `${quote(where)} does not match the model (${parts.join(' | ')}). Build the model with the checkpoint's config, or pass { strict: false } to load what matches.`);
  }
  for (const [slot, t] of ready) {
    const value = toTfjs(slot.layout, t, slot.variable.shape as number[]);
    slot.variable.write(value);
    value.dispose();
    report.loaded.push(slot.key);
  }
  return report;
}

/** The model's weights as a timm-named safetensors state dict (PyTorch layouts). */
export function saveTimmCheckpoint(model: tfl.LayersModel, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: Record<string, NamedArray> = {};
  for (const slot of slots(model)) tensors[slot.key] = toTorch(slot.layout, slot.variable.read(), slot.key);
  return writeSafetensors(tensors, { format: 'pt', exported_by: '@nf/models', ...metadata });
}
