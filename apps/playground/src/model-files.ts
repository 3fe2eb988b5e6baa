/**
 * A model dropped on the page: the folder `nf-train train` writes (model/: model.json, its weight
 * files, labels.json) — read by @nf/models from the File objects, with the sizes, class names and
 * normalization it records — or a timm state dict (`.safetensors`, as `nf-train export --format timm`
 * writes for this page's Fashion-MNIST NFNets), loaded strictly into the first of the table's
 * Fashion-MNIST architectures whose names and shapes it matches.
 */
import * as tf from '@tensorflow/tfjs';
import { FASHION_MNIST_CLASSES, NORMALIZATION } from '@nf/data';
import { createModel, loadModel, loadTimmCheckpoint, modelConfigs, modelMetadata, type ModelName } from '@nf/models';
import type { ModelInput } from './classify.js';

export interface LoadedModel extends ModelInput {
  model: tf.LayersModel;
  classNames: string[];
  description: string;
}

/** The table's models for 28×28 grayscale images, tried in this order for a safetensors file. */
const MNIST_MODELS: readonly ModelName[] = ['nfnet_base_mnist', 'nfnet_tiny_mnist', 'nfnet_small_mnist'];

export async function loadDroppedModel(files: readonly File[]): Promise<LoadedModel> {
  if (files.length === 0) throw new Error('no files were dropped.');
  const weights = files.filter((f) => f.name.toLowerCase().endsWith('.safetensors'));
  const classMap = files.find((f) => f.name === 'class_map.txt' || f.name === 'labels.json');
  if (weights.length > 1) throw new Error(`drop one .safetensors file at a time (received ${weights.map((f) => f.name).join(', ')}).`);
  if (weights.length === 1) return loadStateDict(weights[0]!, classMap);
  if (!files.some((f) => f.name === 'model.json')) {
    throw new Error(`none of ${files.map((f) => f.name).join(', ')} is a model.json or a .safetensors: drop the files of an nf-train run's model/ folder (model.json, weights.bin, labels.json) or a timm .safetensors.`);
  }
  const model = await loadModel(files.filter((f) => f.name !== 'labels.json' && f.name !== 'class_map.txt'));
  try {
    const meta = modelMetadata(model) ?? {};
    const inputChannels = model.inputs[0]?.shape[3];
    const channels = meta.channels ?? inputChannels;
    if (channels !== 1 && channels !== 3) throw new Error(`this model takes ${channels ?? 'an unknown number of'} input channels; images are classified with 1 (gray) or 3 (RGB).`);
    if (!meta.testSize) throw new Error('this model.json records no test size (userDefinedMetadata.nf.testSize), so the size to classify at is unknown; models saved by nf-train record it.');
    const classNames = meta.classNames ? [...meta.classNames] : classMap ? await readClassNames(classMap) : undefined;
    if (!classNames) throw new Error('this model records no class names: drop its labels.json with it (nf-train writes one beside model.json).');
    const outputs = model.outputs[0]?.shape.at(-1);
    if (typeof outputs === 'number' && outputs !== classNames.length) throw new Error(`the model has ${outputs} outputs but ${classNames.length} class names: the labels belong to another model.`);
    if (!meta.normalization) throw new Error('this model records no input normalization (userDefinedMetadata.nf.normalization); models saved by nf-train record it.');
    const name = meta.model ? `${meta.model} ` : '';
    return {
      model,
      classNames,
      size: [meta.testSize[0], meta.testSize[1]],
      channels,
      normalization: meta.normalization,
      description: `${name}model.json (${model.countParams().toLocaleString('en')} parameters, ${meta.testSize[0]}×${meta.testSize[1]}×${channels})`,
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

async function loadStateDict(file: File, classMap: File | undefined): Promise<LoadedModel> {
  const names = classMap ? await readClassNames(classMap) : [...FASHION_MNIST_CLASSES];
  const tried: string[] = [];
  for (const name of MNIST_MODELS) {
    const model = createModel(name, { numClasses: names.length });
    try {
      await loadTimmCheckpoint(model, file, { strict: true });
      const config = modelConfigs[name];
      return {
        model,
        classNames: names,
        size: [config.testSize, config.testSize],
        channels: 1,
        normalization: NORMALIZATION.fashionMnist,
        description: `${name} from ${file.name}`,
      };
    } catch (e) {
      model.dispose();
      tried.push(`${name}: ${(e instanceof Error ? e.message : String(e)).slice(0, 160)}`);
    }
  }
  throw new Error(`${file.name} fits none of this page's Fashion-MNIST models (${tried.join('; ')}).`);
}

/** labels.json (`{ classNames: [...] }`, nf-train) or class_map.txt (one name per line, timm). */
async function readClassNames(file: File): Promise<string[]> {
  if (file.size > 1 << 20) throw new Error(`${file.name} is ${file.size} bytes; a class list is far smaller.`);
  const text = await file.text();
  if (file.name.endsWith('.txt')) return text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const parsed = JSON.parse(text) as { classNames?: unknown };
  if (!Array.isArray(parsed.classNames) || !parsed.classNames.every((n) => typeof n === 'string')) throw new Error(`${file.name} has no "classNames" list of strings.`);
  return parsed.classNames as string[];
}
