// A runnable tour of @nf/data: the bundled Fashion-MNIST subset through the NFNet training
// augmentation in two worker threads, an evaluation pipeline, resuming from a saved position,
// and the skipped-file report of an image folder.
// Run after `pnpm build`:  pnpm --filter @nf/data demo
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { createPipeline, fashionMnist, imageFolder, nfnetAugment } from '@nf/data/node';

await tf.setBackend('cpu');
const train = await fashionMnist({ split: 'train' });
console.log(`${train.name}: ${train.size} images, classes ${train.classNames.join(', ')}`);

const options = { batchSize: 64, seed: 1, augment: nfnetAugment('F0'), labelSmoothing: 0.1, workers: 2, epochs: 2 };
const pipeline = createPipeline(train, options);
let saved;
for await (const { images, labels, epoch, index, position } of pipeline) {
  if (index === 0) console.log(`epoch ${epoch}: images ${images.shape} labels ${labels.shape} (soft, smoothed)`);
  tf.dispose([images, labels]);
  if (epoch === 0 && index === 640) saved = position; // what a checkpoint stores
  if (epoch === 1 && index >= 640) break;
}
const resumed = createPipeline(train, { ...options, start: saved });
const first = await resumed[Symbol.asyncIterator]().next();
console.log('resumed at', saved, '→ first batch starts at index', first.value.index);
tf.dispose([first.value.images, first.value.labels]);
await resumed.close();

const test = createPipeline(await fashionMnist({ split: 'test' }), { batchSize: 500, augment: 'eval', imageSize: 28, evalPadding: 4, workers: 0 });
for await (const { images, labels } of test) {
  console.log('eval batch', images.shape, labels.dtype);
  tf.dispose([images, labels]);
}

// An image folder with one bad file: it is skipped and reported, the run continues.
const dir = mkdtempSync(path.join(tmpdir(), 'nf-data-demo-'));
try {
  for (const cls of ['cat', 'dog']) {
    mkdirSync(path.join(dir, cls));
    for (let i = 0; i < 3; i++) {
      const img = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 40 * i, g: cls === 'cat' ? 200 : 50, b: 90 } } }).jpeg().toBuffer();
      writeFileSync(path.join(dir, cls, `${i}.jpg`), img);
    }
  }
  writeFileSync(path.join(dir, 'dog', 'broken.jpg'), 'not a jpeg');
  const folder = createPipeline(await imageFolder(dir), { batchSize: 4, imageSize: 32, workers: 1, output: 'arrays' });
  for await (const batch of folder) console.log('folder batch of', batch.size);
  console.log('skipped:', folder.skipped.map((s) => `${path.basename(s.path)} (${s.reason})`));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
