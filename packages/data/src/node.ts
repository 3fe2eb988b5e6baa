/**
 * `@nf/data/node`: everything the main entry exports, plus what needs Node — IDX, MNIST,
 * Fashion-MNIST (the bundled subset by path) and CIFAR files, image folders, image decoding with
 * sharp, and the pipeline with worker threads (`createPipeline` here defaults to min(2, cores)
 * workers and reads image files; `readImage` here decodes them).
 */
export * from './index.js';
export { loadIdx } from './idx-file.js';
export { fashionMnist, mnist, DEBIAN_FASHION_MNIST_DIR, type IdxDatasetOptions } from './mnist.js';
export { cifar, CIFAR10_CLASSES, type CifarOptions } from './cifar.js';
export { imageFolder, IMAGE_EXTENSIONS, type ImageFolderOptions } from './image-folder.js';
export { readImage } from './file-example-reader.js';
export { decodeImage, type DecodeOptions } from './decode.js';
export { createPipeline } from './pipeline-node.js';
