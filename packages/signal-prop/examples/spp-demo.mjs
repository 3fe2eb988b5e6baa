// A runnable tour of @nf/signal-prop on two residual networks: a BatchNorm ResNet (BN-ReLU-Conv,
// stock tfjs layers) and an NF-ResNet (x + α·f(γ·relu(x)·β), Scaled WS convolutions from
// @nf/ws-conv, which only builds the example model: the analyzer works on any tfjs LayersModel).
// Run after `pnpm build`:  pnpm --filter @nf/signal-prop demo   (node examples/spp-demo.mjs [out.svg])
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { FanInNormal, gammaOf, wsConv2d } from '@nf/ws-conv';
import {
  analyzeSignalPropagation,
  checkSignal,
  expectedVariance,
  formatTable,
  gradientStats,
  renderSvg,
  renderTerminalPlot,
} from '@nf/signal-prop';

await tf.setBackend('wasm');
const STAGES = [3, 3];
const WIDTHS = [32, 48];
const ALPHA = 0.3;

function resnet(kind) {
  let seed = 1;
  const conv = (filters, kernelSize, strides = 1) =>
    kind === 'bn'
      ? tf.layers.conv2d({ filters, kernelSize, strides, padding: 'same', kernelInitializer: tf.initializers.heNormal({ seed: seed++ }) })
      : wsConv2d({ filters, kernelSize, strides, kernelInitializer: new FanInNormal({ seed: seed++ }) });
  const relu = (x) => tf.layers.activation({ activation: 'relu' }).apply(x);
  // NF: γ·relu(x)·β, γ = 1/std(relu(N(0,1))), β = 1/√(expected variance of x).
  const act = (x, beta) => (kind === 'bn' ? relu(tf.layers.batchNormalization().apply(x)) : tf.layers.rescaling({ scale: gammaOf('relu') * beta }).apply(relu(x)));
  const input = tf.input({ shape: [48, 48, 3] });
  let x = conv(16, 3).apply(input);
  let expectedVar = 1;
  STAGES.forEach((n, s) => {
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const out = act(x, 1 / Math.sqrt(expectedVar));
      const shortcut = b === 0 ? conv(WIDTHS[s], 1, stride).apply(out) : x;
      let h = conv(WIDTHS[s], 3).apply(act(conv(WIDTHS[s], 3, stride).apply(out), 1));
      if (kind === 'nf') h = tf.layers.rescaling({ scale: ALPHA }).apply(h); // α; the analyzer measures the branch before it
      x = tf.layers.add().apply([shortcut, h]);
      expectedVar = (b === 0 ? 1 : expectedVar) + ALPHA * ALPHA;
    }
  });
  const logits = tf.layers.dense({ units: 4 }).apply(tf.layers.globalAveragePooling2d({}).apply(x));
  return tf.model({ inputs: input, outputs: logits, name: `${kind}_resnet` });
}

// 1. Analyze: the residual blocks are found from the graph; statistics are reduced on the device.
const bn = resnet('bn');
const nf = resnet('nf');
const bnReport = await analyzeSignalPropagation(bn, { batchSize: 8, seed: 1, label: 'BN-ReLU-Conv ResNet' });
const nfReport = await analyzeSignalPropagation(nf, { batchSize: 8, seed: 1, label: 'NF-ResNet (Scaled WS)' });
const curve = expectedVariance({ alpha: ALPHA, blocksPerStage: STAGES });
console.log(formatTable(nfReport), '\n');
console.log(renderTerminalPlot([bnReport, nfReport, curve]), '\n');

// 2. The SVG: three panels, the analytic NF curve dashed.
const svgPath = process.argv[2] ?? path.join(tmpdir(), 'spp-demo.svg');
writeFileSync(svgPath, renderSvg([bnReport, nfReport, curve], { title: 'BN vs NF at initialization' }));
console.log(`wrote ${svgPath}`);

// 3. Assertions you can put in your own tests (here: collect the violations instead of throwing).
const expectation = { expected: curve, maxVarianceDrift: 0.15 };
console.log('NF-ResNet violations:', checkSignal(nfReport, expectation));
console.log('BN-ResNet violations:', checkSignal(bnReport, expectation).length, '(its variance grows with every block)');

// 4. Gradient side: what AGC would see, per layer, here of a small residual MLP (gradients of
//    convolutions need the cpu backend, whose conv backprop is slow, or tfjs-node; wasm has none).
const inp = tf.input({ shape: [20] });
let z = tf.layers.dense({ units: 64, name: 'fc_in' }).apply(inp);
for (let i = 0; i < 3; i++) z = tf.layers.add().apply([z, tf.layers.dense({ units: 64, activation: 'relu', name: `fc_block${i}` }).apply(z)]);
const mlp = tf.model({ inputs: inp, outputs: tf.layers.dense({ units: 4, name: 'classifier' }).apply(z) });
const xs = tf.randomNormal([32, 20], 0, 1, 'float32', 2);
const ys = tf.oneHot(tf.randomUniform([32], 0, 4, 'int32', 3), 4);
const grads = await gradientStats(mlp, 'softmaxCrossEntropy', { xs, ys });
console.log(`\nloss ${grads.loss.toFixed(3)}; per kernel ‖G‖/‖W‖ and AGC's largest unit-wise ratio (AGC clips above λ = 0.01):`);
for (const l of grads.layers) {
  const kernel = l.weights.find((w) => w.name.endsWith('kernel'));
  console.log(`  ${l.name.padEnd(12)} ${kernel.ratio.toFixed(4)}  ${kernel.maxUnitRatio.toFixed(4)}`);
}

tf.dispose([xs, ys]);
[bn, nf, mlp].forEach((m) => m.dispose());
