/**
 * The `@nf/models/node` versions of the checkpoint readers: a path (or `file:` URL) is read as a
 * regular file within `maxBytes` (plain-file.ts); anything else goes to the main entry's reader.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ByteSource } from './byte-source.js';
import { DEFAULT_FILE_LIMITS, limitOption } from './file-limits.js';
import { localPath, readPlainFile } from './plain-file.js';
import { loadSafetensors as loadSafetensorsAnywhere, readSafetensors, type Safetensors } from './safetensors.js';
import { loadTimmBytes, loadTimmCheckpoint as loadTimmAnywhere, type LoadReport, type TimmLoadOptions } from './timm-checkpoint.js';

/**
 * Loads a timm state dict (safetensors) into a model built by `createModel` with the matching timm
 * name, from a path (a regular file of at most `maxBytes`, default 4 GiB; SECURITY.md) or, as the
 * main entry's `loadTimmCheckpoint`, from bytes, a File/Blob or a URL. Strict by default.
 */
export async function loadTimmCheckpoint(model: tfl.LayersModel, source: ByteSource, options: TimmLoadOptions = {}): Promise<LoadReport> {
  const file = localPath(source);
  if (file === undefined) return loadTimmAnywhere(model, source, options);
  const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
  return loadTimmBytes(model, await readPlainFile(file, maxBytes, { what: 'checkpoint' }), file, options.strict ?? true);
}

/** `readSafetensors` of a path (a regular file of at most `maxBytes`), or the main entry's `loadSafetensors`. */
export async function loadSafetensors(source: ByteSource, options: Parameters<typeof loadSafetensorsAnywhere>[1] = {}): Promise<Safetensors> {
  const file = localPath(source);
  if (file === undefined) return loadSafetensorsAnywhere(source, options);
  const maxBytes = limitOption('maxBytes', options?.maxBytes, DEFAULT_FILE_LIMITS.maxBytes);
  return readSafetensors(await readPlainFile(file, maxBytes, { what: 'safetensors file' }), file);
}
