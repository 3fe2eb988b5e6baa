/**
 * What a model saved by nf-train records for the tools that load it later (nf-spp, an app that
 * classifies images), through @nf/models' saveModel into model.json's `userDefinedMetadata.nf`: the
 * image sizes it was trained and tested at (a preset dataset's own, or the model's for image folders),
 * its channels, class names and the input normalization its training images had, the dataset and the model.
 */
import { NORMALIZATION, syntheticImages, type Normalization } from '@nf/data';
import type { ModelMetadataInput } from '@nf/models';
import type { Dataset } from '../data/dataset.js';
import type { TrainConfig } from '../config/train-config.js';

/**
 * The normalization `(x/255 − mean)/std` the trainer applies to a preset dataset: its @nf/data
 * source's own (dataset.ts `fromSource` reads `source.normalization`; the loaders use these).
 * Undefined for a dataset this table does not know.
 */
export function datasetNormalization(dataset: string): Normalization | undefined {
  if (dataset === 'fashion-mnist') return NORMALIZATION.fashionMnist;
  if (dataset === 'cifar10') return NORMALIZATION.cifar10;
  // The synthetic source's constant, read from a one-image source (nothing is rendered).
  if (dataset === 'synthetic') return syntheticImages({ size: 1, height: 1, width: 1, channels: 1, numClasses: 1, seed: 0 }).normalization;
  return undefined;
}

/** The metadata of a model trained by `config` on `train` and evaluated on `test` (normalization: the training set's). */
export function trainedModelMetadata(config: TrainConfig, train: Dataset, test: Dataset): ModelMetadataInput {
  const [h, w, c] = train.shape;
  const n = train.normalization;
  return {
    trainSize: [h, w],
    testSize: [test.shape[0], test.shape[1]],
    channels: c,
    classNames: [...train.classNames],
    normalization: { mean: [...n.mean], std: [...n.std] },
    dataset: config.dataset,
    model: config.model,
  };
}
