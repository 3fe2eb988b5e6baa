/**
 * @nf/data, for any environment (browsers, workers, Node): no Node module is reached from here. Files,
 * folders, worker threads and image decoding (sharp) are `@nf/data/node` (node.ts), which re-exports
 * all of this.
 */

// Sources
export { parseIdx, decodeIdx, type IdxArray, type IdxData, type IdxDtype, type IdxReadOptions, type IdxDecodeOptions } from './idx.js';
export {
  fashionMnistFromBytes,
  fashionMnistFromUrls,
  mnistFromBytes,
  mnistFromUrls,
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  IDX_FILES,
  type IdxBytesOptions,
  type IdxUrlOptions,
  type Split,
} from './idx-dataset.js';
export type { FetchLike } from './fetch-bytes.js';
export { fromArrays, type FromArraysOptions } from './from-arrays.js';
export { syntheticImages, syntheticImage, type SyntheticOptions } from './synthetic.js';
export type { DataSource, SourceSpec, ImageFileLimits } from './source.js';
export { readImage, type SkippedFile } from './read-example.js';
export { imageFromImageData, imageFromCanvas, type ImageDataLike, type CanvasLike, type DrawableLike } from './pixels.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { NORMALIZATION, normalize, type Normalization } from './normalization.js';

// Pipeline
export {
  createPipeline,
  type Pipeline,
  type BatchInfo,
  type TensorBatch,
  type ArrayBatch,
} from './pipeline.js';
export type { PipelineOptions, PipelinePosition, AugmentOptions } from './pipeline-options.js';
export { nfnetAugment, type NfnetVariant } from './nfnet-augment.js';
export { epochOrder } from './batch-plan.js';
export { Rng, hashSeed, exampleRng, batchRng } from './seeded-random.js';

// Augmentations (pure functions on 8-bit HWC image buffers)
export { createImage, imageFrom, type ImageBuffer } from './image-buffer.js';
export { crop, centerCrop, centerCropBox, type CropBox } from './augment/crop.js';
export { resize, keysCubic, type ResizeMethod, type ResizeEdges } from './augment/resize.js';
export { pilResize } from './augment/pil-resize.js';
export {
  randomResizedCrop,
  sampleCropBox,
  RANDOM_RESIZED_CROP_DEFAULTS,
  type RandomResizedCropOptions,
} from './augment/random-resized-crop.js';
export { flipHorizontal } from './augment/flip.js';
export { resizeCenterCrop } from './augment/resize-center-crop.js';
export {
  evalTransform,
  evalGeometry,
  resolveEvalTransform,
  EVAL_DEFAULTS,
  type EvalTransformOptions,
  type ResolvedEvalTransform,
  type EvalGeometry,
  type EvalConvention,
  type EvalCropMode,
} from './augment/eval-transform.js';
export { convertChannels, grayscale, luma } from './augment/convert-channels.js';
export { affineTransform, rotate, shearX, shearY, translateX, translateY, type AffineMatrix } from './augment/affine.js';
export { autocontrast } from './augment/autocontrast.js';
export { equalize } from './augment/equalize.js';
export { invert } from './augment/invert.js';
export { posterize } from './augment/posterize.js';
export { solarize, solarizeAdd } from './augment/solarize.js';
export { adjustBrightness, adjustColor, adjustContrast, adjustSharpness, blend } from './augment/enhance.js';
export { cutout, cutoutBox } from './augment/cutout.js';
export {
  randAugment,
  applyRandAugmentOp,
  RAND_AUGMENT_OPS,
  RAND_AUGMENT_DEFAULTS,
  type RandAugmentOp,
  type RandAugmentOptions,
} from './augment/rand-augment.js';
export { mixup, sampleMixupRatio } from './augment/mixup.js';
export { cutmix, sampleCutmixBox, boxAreaFraction } from './augment/cutmix.js';
export { oneHot, mixedLabels, smoothLabels } from './labels.js';

export { DataError, isNfError, type DataErrorCode } from './errors.js';
