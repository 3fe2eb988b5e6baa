/**
 * DeepMind's released NFNet checkpoints (`F0_haiku.npz` … — Python pickles written with dill,
 * despite the name). TypeScript cannot unpickle safely, so they go through one documented
 * conversion to a flat NumPy archive (keys `module/param`, e.g. `NFNet/~/stem_conv0/w`):
 *
 *   python3 -c "import dill,numpy as np,sys; p=dill.load(open(sys.argv[1],'rb')); np.savez(sys.argv[2], **{m+'/'+k: np.asarray(v, np.float32) for m,d in p.items() for k,v in d.items()})" F0_haiku.npz F0_flat.npz
 *
 * Names (nfnet-facts.md §8): stem_conv{i} → stem.conv{i+1}; nf_block{,_k}/~/conv0/conv1/conv1b/conv2 →
 * stages.s.b.conv1/conv2/conv2b/conv3; conv_shortcut → downsample.conv; squeeze_excite/~/linear,
 * linear_1 → attn_last fc1, fc2; nf_block skip_gain; final_conv; linear → head.fc. Layouts are
 * already TensorFlow's (HWIO, [in, out]). Build the model with `createModel('dm_nfnet_fN')`; for
 * DeepMind's exact numerics also override `{ wsConvention: 'deepmind', wsEps: 1e-4, activation: 'gelu_tanh' }`.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { readNpz } from './npz.js';
import type { LoadReport } from './timm-checkpoint.js';
import type { NamedArray } from './safetensors.js';
import { ModelsError } from './errors.js';
import { DEFAULT_FILE_LIMITS, limitOption, type FileLimits } from './file-limits.js';
import { readPlainFile } from './plain-file.js';
import { quote } from './quote.js';
import { haikuToOurs } from './haiku-names.js';

/**
 * Loads a converted DeepMind checkpoint (see the module comment); strict as `loadTimmCheckpoint`.
 * A path must name a regular file of at most `maxBytes` (default 4 GiB); the archive is read by
 * `readNpz` with the same `maxBytes` and `maxInflateRatio` (README "Untrusted files").
 */
export async function loadHaikuCheckpoint(
  model: tfl.LayersModel,
  bytesOrPath: Uint8Array | string,
  options: { strict?: boolean; depths?: readonly number[] } & FileLimits = {},
): Promise<LoadReport> {
  const where = typeof bytesOrPath === 'string' ? bytesOrPath : 'haiku checkpoint';
  const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
  const bytes = typeof bytesOrPath === 'string' ? await readPlainFile(bytesOrPath, maxBytes, { what: 'checkpoint' }) : bytesOrPath;
  if (bytes[0] === 0x80) {
    throw new ModelsError('BAD_FILE', `${quote(where)} is a Python pickle (DeepMind's original format), which is never unpickled here; convert it once with the one-liner in the @nf/models README ("DeepMind checkpoints").`);
  }
  const arrays = readNpz(bytes, where, { maxBytes, ...(options.maxInflateRatio !== undefined ? { maxInflateRatio: options.maxInflateRatio } : {}) });
  const depths = options.depths ?? inferDepths(model);
  const byOurs = new Map<string, NamedArray>();
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [] };
  for (const [key, value] of Object.entries(arrays)) {
    const ours = haikuToOurs(key, depths);
    if (ours === undefined) report.unexpected.push(key);
    else byOurs.set(ours, value);
  }
  const targets: Array<[tfl.LayerVariable, NamedArray]> = [];
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      const local = `${layer.name}/${variable.originalName.split('/').pop()}`;
      const value = byOurs.get(local);
      if (!value) {
        report.missing.push(local);
        continue;
      }
      byOurs.delete(local);
      const want = variable.shape as number[];
      if (want.length !== value.shape.length || want.some((d, i) => d !== value.shape[i])) {
        report.mismatched.push({ key: local, expected: want, received: value.shape });
        continue;
      }
      targets.push([variable, value]);
    }
  }
  report.unexpected.push(...byOurs.keys());
  const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
  if ((options.strict ?? true) && problems > 0) {
    throw new ModelsError(
      'WEIGHTS_MISMATCH',
      `${quote(where)} does not match the model (missing ${report.missing.length}: ${report.missing.slice(0, 10).join(', ')}; unexpected ${report.unexpected.length}: ${report.unexpected.slice(0, 10).join(', ')}; wrong shape ${report.mismatched.length}: ${report.mismatched.slice(0, 10).map((m) => `${m.key} expected [${m.expected}] received [${m.received}]`).join('; ')}). Build the model with the checkpoint's variant, or pass { strict: false }.`,
    );
  }
  for (const [variable, value] of targets) {
    const t = tf.tensor(value.data, value.shape);
    variable.write(t);
    t.dispose();
    report.loaded.push(variable.originalName);
  }
  return report;
}

/** Blocks per stage, read from the model's layer names. */
function inferDepths(model: tfl.LayersModel): number[] {
  const depths: number[] = [];
  for (const layer of model.layers) {
    const m = /^stages\.(\d+)\.(\d+)\.residual$/.exec(layer.name);
    if (m) depths[Number(m[1])] = Math.max(depths[Number(m[1])] ?? 0, Number(m[2]) + 1);
  }
  return depths;
}
