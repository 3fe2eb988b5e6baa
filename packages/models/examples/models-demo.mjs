// A tour of @nf/models: the table, counts without building, a custom tiny NFNet for 28×28
// grayscale, a forward pass, timm-named export, and save/load to a directory.
// Run after `pnpm build`:  node packages/models/examples/models-demo.mjs
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countMacs, countParams, createModel, listModels, loadModel, modelMetadata, readSafetensors, saveModel, saveTimmCheckpoint } from '@nf/models/node';

await tf.setBackend('cpu');
for (const name of ['dm_nfnet_f0', 'dm_nfnet_f6', 'nf_resnet50']) {
  console.log(`${name.padEnd(12)} ${(countParams(name) / 1e6).toFixed(1)}M params, ${(countMacs(name) / 1e9).toFixed(2)} GMACs at test size`);
}
console.log(`${listModels().length} models in the table`);

const model = createModel('dm_nfnet_f0', { depths: [1, 1, 1, 1], channels: [32, 64, 96, 128], stemChannels: 32, groupSize: 8, numFeatures: 256, inChannels: 1, numClasses: 10 });
const x = tf.randomNormal([2, 28, 28, 1]);
console.log('logits', (model.predict(x)).shape, 'params', model.countParams());

const stateDict = readSafetensors(saveTimmCheckpoint(model)).tensors;
console.log('timm keys:', Object.keys(stateDict).slice(0, 4).join(', '), '…');

const dir = path.join(mkdtempSync(path.join(tmpdir(), 'nf-demo-')), 'tiny');
const classNames = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
await saveModel(model, dir, { metadata: { trainSize: 28, testSize: 28, classNames, normalization: { mean: [0.286], std: [0.353] }, dataset: 'fashion-mnist' } });
const loaded = await loadModel(dir);
console.log('reloaded from', dir, '— max difference', tf.max(tf.abs(tf.sub(loaded.predict(x), model.predict(x)))).dataSync()[0]);
console.log('metadata in model.json:', JSON.stringify(modelMetadata(loaded)).slice(0, 120), '…');
