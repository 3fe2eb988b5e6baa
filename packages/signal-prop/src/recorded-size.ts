/**
 * The image size a model records in its metadata, for models whose input has unknown dimensions
 * (`[null, null, null, C]`, as @nf/models builds them). The convention, written by @nf/models'
 * `saveModel` and by `nf-train`, read here by duck typing (no dependency):
 *
 *     model.json → "userDefinedMetadata": { "nf": { "trainSize": [28, 28], "testSize": [28, 28], "channels": 1, … } }
 *
 * tfjs keeps `userDefinedMetadata` on the loaded model (`model.getUserDefinedMetadata()`). The
 * training size is used (SPPs are drawn at the training resolution, as in the NF papers), else the
 * test size; each is `[height, width]` or one number for a square.
 */
export interface RecordedSize {
  readonly height: number;
  readonly width: number;
  /** Channels, when recorded. */
  readonly channels: number | null;
  /** The metadata field the size came from. */
  readonly from: 'trainSize' | 'testSize';
}

/** The key of @nf's entry in a model's `userDefinedMetadata`. */
export const METADATA_KEY = 'nf';

const positiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function asSize(v: unknown): [number, number] | null {
  if (positiveInt(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every(positiveInt)) return [v[0] as number, v[1] as number];
  return null;
}

/** The `nf` entry of a model's (or a model.json's) user-defined metadata, or null. */
export function nfMetadata(metadata: unknown): Record<string, unknown> | null {
  const entry = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>)[METADATA_KEY] : undefined;
  return typeof entry === 'object' && entry !== null && !Array.isArray(entry) ? (entry as Record<string, unknown>) : null;
}

/** The size recorded in `model`'s metadata, or null when there is none (or it is malformed). */
export function recordedSize(model: unknown): RecordedSize | null {
  const get = (model as { getUserDefinedMetadata?: () => unknown } | null)?.getUserDefinedMetadata;
  if (typeof get !== 'function') return null;
  const nf = nfMetadata(get.call(model));
  if (!nf) return null;
  for (const from of ['trainSize', 'testSize'] as const) {
    const size = asSize(nf[from]);
    if (size) return { height: size[0], width: size[1], channels: positiveInt(nf.channels) ? nf.channels : null, from };
  }
  return null;
}
