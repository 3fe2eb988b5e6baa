#!/usr/bin/env node
/**
 * Training throughput of an @nf/models network on one backend, for increasing batch sizes until one
 * does not fit (an exception, a WebGPU device error such as an allocation over the device's limits,
 * or a non-finite loss) or the time budget runs out. One JSON line per batch size on stdout.
 *
 * The step: forward (training mode), label-smoothed softmax cross-entropy, backward
 * (tf.variableGrads), AGC (@nf/agc clipGradients, λ 0.01, classifier weight excluded), coupled
 * weight decay 2e-5 on kernels, SGD with Nesterov momentum 0.9 — nf-train's step order, without its
 * statistics read-backs (they use dataSync, which the webgpu backend cannot do in Node); the loss
 * is read asynchronously after every step, which also waits for the GPU. Dropout off (timm's
 * default, as in the PyTorch side). Inputs: random normal images, random labels.
 *
 * node scripts/gpu/bench-train.mjs --backend webgpu --model dm_nfnet_f0 --res 224
 *   --batches 8,16,32,64 [--steps 5] [--warmup 2] [--budget-s 240] [--classes 1000]
 *   [--overrides '{"depths":[1,1,1,1]}']
 */
import { tf, useBackend, settle, parseFlags, emit } from './backend.mjs';
import { loadFrom } from './resolve.mjs';

const f = parseFlags(process.argv.slice(2));
const backend = f.backend ?? 'webgpu';
const modelName = f.model ?? 'dm_nfnet_f0';
const res = Number(f.res ?? 224);
const batches = String(f.batches ?? '8,16,32').split(',').map(Number);
const steps = Number(f.steps ?? 5);
const warmup = Number(f.warmup ?? 2);
const budget = Number(f['budget-s'] ?? 240) * 1000;
const classes = Number(f.classes ?? 1000);
const overrides = JSON.parse(f.overrides ?? '{}');

const started = performance.now();
const { adapter, errors } = await useBackend(backend);
const { createModel, configOf, countParams, countMacs } = await loadFrom('@nf/models');
const { clipGradients } = await loadFrom('@nf/agc');

const mc = configOf(modelName, { numClasses: classes, dropRate: 0, ...overrides });
const model = createModel(mc);
const params = countParams(mc);
const macs = countMacs({ ...mc, testSize: res });
const weights = model.trainableWeights;
const vars = weights.map((w) => w.read());
const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
const original = Object.fromEntries(vars.map((v, i) => [v.name, weights[i].originalName]));
const isClassifier = (name) => /^head\.fc\/kernel/.test(original[name] ?? '');
const decays = (name) => byName[name].rank >= 2;
const optimizer = tf.train.momentum(0.1, 0.9, true);

function step(x, y) {
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.apply(x, { training: true });
    return tf.losses.softmaxCrossEntropy(y, logits, undefined, 0.1);
  }, vars);
  const clipped = clipGradients(grads, byName, { clipping: 0.01, exclude: isClassifier }).grads;
  const final = tf.tidy(() => Object.fromEntries(Object.entries(clipped).map(([n, g]) => [n, decays(n) ? tf.add(g, tf.mul(byName[n], 2e-5)) : tf.clone(g)])));
  optimizer.applyGradients(final);
  tf.dispose([grads, clipped, final]);
  return value;
}

const base = { bench: 'train', impl: 'tfjs', backend, adapter, model: modelName, res, params, gmacsPerImage: macs / 1e9, steps, warmup };
let lastSeconds = 0;
for (const batch of batches) {
  const elapsed = performance.now() - started;
  // The next batch costs at least about twice the last one (compilation included).
  if (elapsed + 2 * lastSeconds * 1000 > budget) {
    emit({ ...base, batch, ok: false, skipped: true, error: `time budget (${budget / 1000} s) would be exceeded` });
    break;
  }
  const t0 = performance.now();
  let x;
  let y;
  const record = { ...base, batch };
  try {
    errors.length = 0;
    x = tf.randomNormal([batch, res, res, mc.inChannels], 0, 1, 'float32', 1);
    y = tf.oneHot(tf.randomUniform([batch], 0, classes, 'int32', 2), classes);
    let first = 0;
    const losses = [];
    for (let i = 0; i < warmup; i++) {
      const s0 = performance.now();
      const loss = step(x, y);
      losses.push((await loss.data())[0]);
      loss.dispose();
      if (i === 0) first = (performance.now() - s0) / 1000;
    }
    await settle();
    if (errors.length) throw new Error(`WebGPU: ${errors[0]}`);
    const s0 = performance.now();
    for (let i = 0; i < steps; i++) {
      const loss = step(x, y);
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    const seconds = (performance.now() - s0) / 1000;
    await settle();
    if (errors.length) throw new Error(`WebGPU: ${errors[0]} (${errors.length} device errors)`);
    if (!losses.every(Number.isFinite)) throw new Error(`non-finite loss ${losses.find((l) => !Number.isFinite(l))}`);
    const mem = tf.memory();
    Object.assign(record, {
      ok: true,
      imgPerSec: (batch * steps) / seconds,
      stepMs: (seconds * 1000) / steps,
      firstStepS: first,
      // training ≈ 3 × the forward MACs (forward, dX, dW), 2 FLOPs per MAC
      tflops: (6 * macs * batch * steps) / seconds / 1e12,
      losses: losses.map((l) => Number(l.toFixed(5))),
      tensorMiB: Math.round(mem.numBytes / 2 ** 20),
    });
    emit(record);
  } catch (e) {
    emit({ ...record, ok: false, error: String(e?.message ?? e).split('\n')[0].slice(0, 300) });
    break;
  } finally {
    tf.dispose([x, y].filter(Boolean));
    lastSeconds = (performance.now() - t0) / 1000;
  }
}
process.exit(0);
