// A runnable tour of @nf/ws-conv: a small NF-style block with scaled WS convs (one grouped),
// gamma-scaled activations, save/load through a tf.io handler, and folding WS away for export.
// Run after `pnpm build`:  node packages/ws-conv/examples/ws-conv-demo.mjs
import * as tf from '@tensorflow/tfjs';
import { foldWeightStandardization, gammaOf, computeGamma, wsConv2d } from '@nf/ws-conv';

await tf.setBackend('cpu');

// Gammas: DeepMind's constant, and one computed for your own activation.
console.log('gamma(relu) =', gammaOf('relu'), ' gamma(mish) =', computeGamma((x) => x * Math.tanh(Math.log1p(Math.exp(x)))).toFixed(6));

const input = tf.input({ shape: [32, 32, 3] });
let h = wsConv2d({ filters: 32, kernelSize: 3, strides: 2, name: 'stem' }).apply(input);
h = tf.layers.activation({ activation: 'relu' }).apply(h);
h = wsConv2d({ filters: 64, kernelSize: 3, groups: 4, name: 'grouped' }).apply(h); // group width 8
h = tf.layers.globalAveragePooling2d({}).apply(h);
const model = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(h) });
model.summary(80);

const x = tf.randomNormal([4, 32, 32, 3], 0, 1, 'float32', 1);
const y = model.predict(x);

// Save and load (the layers register themselves for serialization on import).
let artifacts;
await model.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
console.log('max |loaded − original| =', tf.max(tf.abs(tf.sub(loaded.predict(x), y))).dataSync()[0]);

// Fold WS into plain convs for inference / export.
const folded = await foldWeightStandardization(model);
console.log('folded layers:', folded.layers.map((l) => l.getClassName()).join(', '));
console.log('max |folded − original| =', tf.max(tf.abs(tf.sub(folded.predict(x), y))).dataSync()[0]);
