/**
 * `--pretrained FILE` (config key `pretrained`): weights to fine-tune from, loaded into the freshly
 * built model before the first step by @nf/models' loaders — a timm state dict (safetensors,
 * `loadTimmCheckpoint`) or a converted DeepMind checkpoint (NumPy .npz, `loadHaikuCheckpoint`). The
 * format is read from the file's first bytes, never from its name.
 *
 * Strict, as PyTorch's load_state_dict: every tensor of the model must be in the file under its name
 * with its shape, and the file may hold nothing else — with one exception, the classifier (`head.fc`):
 * when the file was trained for another number of classes (or has no classifier), the head keeps the
 * model's fresh initialisation, and one line says which tensors were skipped and why. Anything else
 * (a file for another architecture or another overlay of it) is one error listing the first
 * mismatches; the run then stops before training. A `--resume`d run never reads the file: its
 * checkpoint's weights win (train.ts).
 */
import type * as tf from '@tensorflow/tfjs';
import { loadHaikuCheckpoint, loadTimmCheckpoint, type LoadReport } from '@nf/models/node';
import { open, stat } from 'node:fs/promises';
import { TrainerError, quote } from '../errors.js';

export type WeightsFormat = 'safetensors' | 'npz' | 'pickle' | 'torch-zip' | 'unknown';

/**
 * The format of a weights file from its first bytes (at least 64 when the file has them):
 * safetensors (8-byte little-endian header length, then a JSON object), a zip whose first entry is a
 * `.npy` (NumPy's .npz), a zip of PyTorch's `torch.save` (`…/data.pkl`, `…/version`), a pickle
 * (DeepMind's original `F0_haiku.npz`, legacy `.pth`), or unknown.
 */
export function weightsFormat(head: Uint8Array, fileSize: number): WeightsFormat {
  if (head.length >= 9) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const headerLength = Number(view.getBigUint64(0, true));
    if (headerLength >= 2 && 8 + headerLength <= fileSize && head[8] === 0x7b) return 'safetensors';
  }
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x05 && head[3] === 0x06) return 'npz'; // an empty zip: readNpz says so
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04 && head.length >= 30) {
    // The first local file header names its entry: NAME.npy in an .npz, archive/data.pkl or
    // archive/version in torch.save's zip.
    const nameLength = head[26]! | (head[27]! << 8);
    const name = new TextDecoder().decode(head.subarray(30, 30 + nameLength));
    if (/\.npy$/.test(name) || 30 + nameLength > head.length) return 'npz';
    if (/(^|\/)(data\.pkl|version|\.data\/)/.test(name) || name.includes('/')) return 'torch-zip';
    return 'npz';
  }
  if (head[0] === 0x80) return 'pickle';
  return 'unknown';
}

/** What was loaded, and the one line that says so. */
export interface PretrainedResult {
  format: 'safetensors' | 'npz';
  /** Tensors loaded from the file. */
  loaded: number;
  /** Tensors of the model, all together. */
  total: number;
  /** Classifier tensors left at their fresh initialisation, with why. */
  skipped: Array<{ name: string; why: string }>;
  line: string;
}

/** The classifier's tensors under timm's names (`head.fc.weight`) and ours (`head.fc/kernel`). */
const isHeadKey = (key: string) => /^head\.fc[./](weight|bias|kernel)$/.test(key);

const shape = (s: readonly number[]) => `[${s.join(', ')}]`;

/** Up to `n` items, then how many more. */
function firstOf(items: string[], n = 4): string {
  return items.length <= n ? items.join(', ') : `${items.slice(0, n).join(', ')} and ${items.length - n} more`;
}

/** Reads the first bytes of `file` after checking that it is a regular file. */
async function fileHead(file: string): Promise<{ head: Uint8Array; size: number }> {
  const info = await stat(file).catch((e: NodeJS.ErrnoException) => {
    const why = e.code === 'ENOENT' ? 'does not exist' : `cannot be read (${e.code ?? 'error'})`;
    throw new TrainerError('BAD_CHECKPOINT', `--pretrained ${quote(file)} ${why}; give a timm .safetensors file or a converted DeepMind .npz.`);
  });
  if (!info.isFile()) throw new TrainerError('BAD_CHECKPOINT', `--pretrained ${quote(file)} is not a regular file; give a timm .safetensors file or a converted DeepMind .npz.`);
  const handle = await open(file, 'r');
  try {
    const head = new Uint8Array(Math.min(256, info.size));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { head: head.subarray(0, bytesRead), size: info.size };
  } finally {
    await handle.close();
  }
}

/**
 * Loads `file` into `model` (built for this run: its classes, channels and overrides) as described
 * in the module comment. Returns what was loaded and the one line to print; throws one line naming
 * the file otherwise.
 */
export async function loadPretrained(model: tf.LayersModel, file: string): Promise<PretrainedResult> {
  const { head, size } = await fileHead(file);
  const format = weightsFormat(head, size);
  const where = `--pretrained ${quote(file)}`;
  if (format === 'pickle') {
    throw new TrainerError(
      'BAD_CHECKPOINT',
      `${where} is a Python pickle (DeepMind's original F0_haiku.npz, or a legacy PyTorch .pth), which is never unpickled here; convert DeepMind's with the one-liner in the @nf/models README ("DeepMind checkpoints"), or save a timm model's state_dict with safetensors.torch.save_file.`,
    );
  }
  if (format === 'torch-zip') {
    throw new TrainerError(
      'BAD_CHECKPOINT',
      `${where} is a PyTorch torch.save archive (.pth/.pt), which holds pickles and is never read here; save the state dict as safetensors: python -c "import torch,sys; from safetensors.torch import save_file; sd=torch.load(sys.argv[1],map_location='cpu'); sd=sd.get('state_dict',sd); save_file({k:v.contiguous() for k,v in sd.items()},sys.argv[2])" IN.pth OUT.safetensors (timm's hub weights are already model.safetensors).`,
    );
  }
  if (format === 'unknown') {
    const hex = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new TrainerError('BAD_CHECKPOINT', `${where} is neither safetensors nor a NumPy .npz (it starts with ${hex || 'nothing'}); give a timm .safetensors file or a converted DeepMind .npz.`);
  }
  const total = model.weights.length;
  // Non-strict, so that the report lists every difference; the rules below are the strictness.
  const report: LoadReport = format === 'safetensors' ? await loadTimmCheckpoint(model, file, { strict: false }) : await loadHaikuCheckpoint(model, file, { strict: false });
  const kind = format === 'safetensors' ? 'timm safetensors' : 'DeepMind .npz';
  const headMismatched = report.mismatched.filter((m) => isHeadKey(m.key));
  const headMissing = report.missing.filter(isHeadKey);
  const otherMismatched = report.mismatched.filter((m) => !isHeadKey(m.key));
  const otherMissing = report.missing.filter((k) => !isHeadKey(k));
  if (otherMismatched.length + otherMissing.length + report.unexpected.length > 0) {
    const parts = [
      otherMismatched.length ? `${otherMismatched.length} with another shape (${firstOf(otherMismatched.map((m) => `${m.key}: file ${shape(m.received)}, model ${shape(m.expected)}`))})` : '',
      otherMissing.length ? `${otherMissing.length} of the model's missing from the file (${firstOf(otherMissing)})` : '',
      report.unexpected.length ? `${report.unexpected.length} in the file the model does not have (${firstOf(report.unexpected)})` : '',
    ].filter(Boolean);
    const ours = report.unexpected.length > 0 && report.unexpected.every((k) => /^[\w.]+\/\w+$/.test(k)) && format === 'safetensors';
    const hint = ours
      ? "its names are nf-train's own (an nf-train checkpoint's model.safetensors?): export that run with nf-train export RUN --format timm and pass the exported model.safetensors."
      : 'it was saved for another architecture, or another overlay of it: build the model the file was trained as (--model, modelOverrides in a --config file), e.g. --model dm_nfnet_f0 for timm\'s dm_nfnet_f0 weights.';
    throw new TrainerError('BAD_CHECKPOINT', `${where} (${kind}) does not fit the model: ${report.loaded.length} of ${total} tensors match; ${parts.join('; ')}. Only the classifier may differ; ${hint}`);
  }
  const skipped = [
    ...headMismatched.map((m) => ({ name: m.key, why: `file ${shape(m.received)}, model ${shape(m.expected)}` })),
    ...headMissing.map((k) => ({ name: k, why: 'not in the file' })),
  ];
  let line = `pretrained ${quote(file)} (${kind}): loaded all ${report.loaded.length} tensors (names and shapes match)`;
  if (skipped.length > 0) {
    const bias = headMismatched.find((m) => m.expected.length === 1);
    const classes = bias ? `: the file has ${bias.received[0]} classes, this run ${bias.expected[0]}` : headMissing.length ? ': the file has no classifier' : '';
    line = `pretrained ${quote(file)} (${kind}): loaded ${report.loaded.length} of ${total} tensors; the classifier is re-initialised${classes} — skipped ${skipped.map((s) => `${s.name} (${s.why})`).join(', ')}`;
  }
  return { format, loaded: report.loaded.length, total, skipped, line };
}
