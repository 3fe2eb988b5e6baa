// A runnable tour of @nf/agc: clip one gradient, then train a small Keras-style model with
// withAGC around Nesterov momentum, the classifier excluded as in the NFNet paper.
// Run after `pnpm build`:  node packages/agc/examples/clip-demo.mjs
import * as tf from '@tensorflow/tfjs';
import { adaptiveClip, clipGradients, withAGC } from '@nf/agc';

await tf.setBackend('cpu');

// 1. One tensor: a dense kernel [in=2, out=2]; unit 0's gradient is 10x too large.
const w = tf.tensor2d([[3, 1], [4, 1]]);
const g = tf.tensor2d([[6, 0.001], [8, 0.001]]);
console.log('clipped gradient:', await adaptiveClip(g, w, { clipping: 0.1 }).array()); // unit 0 → norm 0.5

// 2. A model trained with model.fit; AGC clips every layer but the classifier's kernel.
const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [16], units: 64, activation: 'relu', name: 'hidden' }),
    tf.layers.dense({ units: 4, name: 'classifier' }),
  ],
});
let lastStats = [];
const optimizer = withAGC(tf.train.momentum(0.1, 0.9, true), {
  clipping: 0.01,
  exclude: /^classifier\/kernel/,
  onStats: (stats) => (lastStats = stats),
});
model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
const xs = tf.randomNormal([256, 16], 0, 1, 'float32', 1);
const labels = tf.argMax(tf.matMul(xs, tf.randomNormal([16, 4], 0, 1, 'float32', 2)), 1);
const ys = tf.oneHot(labels, 4);
const history = await model.fit(xs, ys, { epochs: 10, batchSize: 32, verbose: 0 });
const acc = history.history.acc ?? history.history.accuracy;
console.log(`loss ${history.history.loss[0].toFixed(3)} → ${history.history.loss.at(-1).toFixed(3)}, accuracy ${acc.at(-1).toFixed(3)}`);
for (const s of lastStats) {
  console.log(`  ${s.name.padEnd(22)} units ${String(s.units).padStart(3)}  clipped ${(100 * s.clippedFraction).toFixed(0).padStart(3)} %  max ratio ${s.maxRatio.toFixed(2)}${s.excluded ? '  (excluded)' : ''}`);
}

// 3. The pure function on a whole map, with statistics.
const { grads, stats } = clipGradients({ w: g }, { w }, { clipping: 0.1, stats: true });
console.log('stats:', stats);
tf.dispose([w, g, xs, labels, ys, grads]);
