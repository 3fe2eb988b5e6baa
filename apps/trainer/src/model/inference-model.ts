/**
 * A saved model ready to classify images, for `nf-train eval --data` and `nf-train predict`: the folder
 * (a model folder with model.json, or a run folder whose model/ holds it), and what its metadata
 * (model.json's `userDefinedMetadata.nf`, written by nf-train and @nf/models' saveModel) says about its
 * input: the test size, the channels, the class names (else model/labels.json) and the normalization
 * (else the preset table's for the dataset it names). Anything missing is one error line saying how to
 * record it; nothing is guessed.
 */
import * as tf from '@tensorflow/tfjs';
import { loadModel, modelMetadata } from '@nf/models/node';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { TrainerError, quote } from '../errors.js';
import { datasetNormalization } from './model-metadata.js';

export interface InferenceModel {
  model: tf.LayersModel;
  /** The folder model.json was read from. */
  dir: string;
  /** [height, width] the images are resized and centre-cropped to (the model's test size). */
  testSize: [number, number];
  channels: 1 | 3;
  /** One name per output, in output order. */
  classNames: string[];
  normalization: { mean: number[]; std: number[] };
}

/** labels.json holds a few names; a larger file is not one nf-train wrote. */
const MAX_LABELS_BYTES = 16 << 20;

const isFile = (p: string) => stat(p).then((s) => s.isFile(), () => false);

/** The model folder of `target`: `target` itself when it holds model.json, else its `model/` (a run folder). */
export async function modelFolder(target: string): Promise<string> {
  if (await isFile(path.join(target, 'model.json'))) return target;
  if (await isFile(path.join(target, 'model', 'model.json'))) return path.join(target, 'model');
  throw new TrainerError('BAD_MODEL', `${quote(target)} holds no model.json, nor model/model.json; give a saved model folder (e.g. runs/my-run/model) or a run folder.`);
}

/** Class names from `dir/labels.json` ({ classNames: [...] }, written by nf-train), or undefined when there is none. */
async function labelsFile(dir: string): Promise<string[] | undefined> {
  const file = path.join(dir, 'labels.json');
  if (!(await isFile(file))) return undefined;
  const bad = (why: string) => new TrainerError('BAD_MODEL', `${quote(file)}: ${why}; it should be { "classNames": ["cat", "dog", ...] }, one name per output of the model.`);
  if ((await stat(file)).size > MAX_LABELS_BYTES) throw bad(`larger than ${MAX_LABELS_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const names = (value as { classNames?: unknown } | null)?.classNames;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string')) throw bad('no list of class names');
  return names as string[];
}

/**
 * Loads the model of `target` (a model folder or a run folder) with what classifying needs. Errors
 * (BAD_MODEL) name the folder and the field to record: the test size and class names have no default.
 */
export async function loadInferenceModel(target: string): Promise<InferenceModel> {
  const dir = await modelFolder(target);
  const model = await loadModel(dir);
  try {
    const meta = modelMetadata(model) ?? {};
    const fix = (field: string, example: string) => `record it when saving: saveModel(model, dir, { metadata: { ${field}: ${example} } }) (nf-train train records it)`;
    if (!meta.testSize) throw new TrainerError('BAD_MODEL', `model ${quote(dir)} records no test size (userDefinedMetadata.nf.testSize in model.json), so the image size to classify at is unknown; ${fix('testSize', '224')}.`);
    const inputChannels = model.inputs[0]?.shape[3];
    const channels = meta.channels ?? inputChannels;
    if (channels !== 1 && channels !== 3) throw new TrainerError('BAD_MODEL', `model ${quote(dir)} takes ${channels ?? 'an unknown number of'} input channels; images are classified with 1 (gray) or 3 (RGB).`);
    const classNames = meta.classNames ? [...meta.classNames] : await labelsFile(dir);
    if (!classNames) throw new TrainerError('BAD_MODEL', `model ${quote(dir)} records no class names (userDefinedMetadata.nf.classNames in model.json, or labels.json beside it); ${fix('classNames', "['cat', 'dog']")}.`);
    const outputs = model.outputs[0]?.shape.at(-1);
    if (typeof outputs === 'number' && outputs !== classNames.length) {
      throw new TrainerError('BAD_MODEL', `model ${quote(dir)} has ${outputs} outputs but ${classNames.length} class names; its metadata or labels.json belongs to another model.`);
    }
    const normalization = meta.normalization ?? (meta.dataset ? datasetNormalization(meta.dataset) : undefined);
    if (!normalization) throw new TrainerError('BAD_MODEL', `model ${quote(dir)} records no input normalization (userDefinedMetadata.nf.normalization in model.json); ${fix('normalization', '{ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }')}.`);
    return { model, dir, testSize: [meta.testSize[0], meta.testSize[1]], channels, classNames, normalization: { mean: [...normalization.mean], std: [...normalization.std] } };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
