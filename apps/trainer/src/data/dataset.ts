/**
 * The trainer's datasets: the preset sets (bundled Fashion-MNIST, CIFAR-10 batches, synthetic) in
 * memory through `fromSource` (raster-dataset.ts), and image folders streamed through @nf/data's workers.
 */
import { cifar, fashionMnist, syntheticImage, syntheticImages, type DataSource } from '@nf/data/node';
import { configOf } from '@nf/models';
import type { TrainConfig } from '../config/train-config.js';
import { loadFolderDatasets } from './folder-dataset.js';
import { fromSource, type Dataset, type RasterDataset } from './raster-dataset.js';

export * from './raster-dataset.js';

/** Classes and channels of each preset dataset, known without loading it: what a model trained on
 * it was built with (for checkpoints that predate `modelConfig` in state.json). */
type Geometry = { numClasses: number; channels: number };
export const DATASET_GEOMETRY: Readonly<Record<'fashion-mnist' | 'cifar10' | 'synthetic', Geometry>> & Readonly<Partial<Record<'folder', Geometry>>> = {
  'fashion-mnist': { numClasses: 10, channels: 1 },
  synthetic: { numClasses: 10, channels: 1 },
  cifar10: { numClasses: 10, channels: 3 },
};

/** Train and test sets of a preset's dataset. */
export async function loadDatasets(name: 'fashion-mnist' | 'cifar10' | 'synthetic', dir: string | undefined, seed: number): Promise<{ train: RasterDataset; test: RasterDataset }> {
  if (name === 'synthetic') {
    const make = (size: number, s: number) => rasterize(syntheticImages({ size, height: 28, width: 28, channels: 1, numClasses: 10, seed: s }));
    return { train: fromSource(make(512, seed), seed), test: fromSource(make(128, seed + 1), seed) };
  }
  if (name === 'cifar10') {
    if (!dir) throw new Error("dataset cifar10 is not bundled: pass --data <folder with CIFAR-10's binary batches (data_batch_1.bin … test_batch.bin)>.");
    const [train, test] = await Promise.all([cifar({ dir, split: 'train' }), cifar({ dir, split: 'test' })]);
    return { train: fromSource(train, seed), test: fromSource(test, seed) };
  }
  const opts = dir ? { dir } : {};
  const [train, test] = await Promise.all([fashionMnist({ ...opts, split: 'train' }), fashionMnist({ ...opts, split: 'test' })]);
  return { train: fromSource(train, seed), test: fromSource(test, seed) };
}

/**
 * The train and test sets of a configuration: a preset dataset in memory at its own size, or an image
 * folder streamed through @nf/data's workers at the model's train and test sizes and channels.
 */
export async function loadTrainingData(config: TrainConfig, log: (line: string) => void): Promise<{ train: Dataset; test: Dataset }> {
  if (config.dataset !== 'folder') return loadDatasets(config.dataset, config.data, config.seed);
  const sized = configOf(config.model as never, config.modelOverrides);
  return loadFolderDatasets({
    dir: config.data!,
    valSplit: config.valSplit,
    seed: config.seed,
    trainSize: sized.trainSize,
    testSize: sized.testSize,
    channels: sized.inChannels === 1 ? 1 : 3,
    randAugment: { layers: config.randAugmentLayers, magnitude: config.randAugmentMagnitude },
    workers: config.dataWorkers,
    log,
  });
}

/** A generated source as a raster one (its images rendered once). */
function rasterize(source: DataSource): DataSource {
  if (source.spec.kind !== 'synthetic') return source;
  const spec = source.spec;
  const pixels = spec.height * spec.width * spec.channels;
  const data = new Uint8Array(source.size * pixels);
  for (let i = 0; i < source.size; i++) data.set(syntheticImage(spec as never, i).data, i * pixels);
  return { ...source, imageSize: { height: spec.height, width: spec.width }, spec: { kind: 'raster', data, height: spec.height, width: spec.width, channels: spec.channels } };
}
