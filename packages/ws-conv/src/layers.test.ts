import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from '../test/backends.js';
import { expectNoLeaks, tensorOf } from '../test/leak-check.js';
import { closeness, conv2dRef, mulberry32, numericGrad, randomNormal, standardizeRef } from '../test/reference.js';
import {
  FanInNormal,
  foldWeightStandardization,
  GroupedConv2D,
  groupedConv2dLayer,
  groupNormalization,
  WSConv2D,
  wsConv2d,
  WsConvError,
  type Padding,
  type WSConv2DArgs,
} from './index.js';

const CONFIGS: Array<[string, WSConv2DArgs, number[]]> = [
  ['deepmind 3x3 same stride 2 (even input)', { filters: 6, kernelSize: 3, strides: 2 }, [2, 8, 8, 4]],
  ['timm gamma, grouped 2, symmetric padding', { filters: 8, kernelSize: 3, groups: 2, convention: 'timm', gamma: 1.7139588594436646, padding: [[1, 1], [1, 1]] }, [1, 7, 6, 4]],
  ['plain, no gain, no bias, valid', { filters: 5, kernelSize: [3, 2], convention: 'plain', useGain: false, useBias: false, padding: 'valid' }, [2, 6, 5, 3]],
  ['depthwise x2 multiplier', { filters: 8, kernelSize: 3, groups: 4 }, [1, 5, 5, 4]],
  ['1x1 grouped 4, stride 2 odd input', { filters: 12, kernelSize: 1, groups: 4, strides: 2 }, [2, 7, 7, 8]],
  ['dilated 2', { filters: 4, kernelSize: 3, dilationRate: 2, groups: 2 }, [1, 9, 9, 4]],
];

/** Layers applied to concrete tensors are not 'used' for tfjs-layers' dispose(): free their weights. */
function disposeWeights(layer: tf.layers.Layer): void {
  for (const w of layer.weights) w.dispose();
}

/** Random gain/bias so they matter, then the float64 forward of the same layer. */
function randomizeAndReference(layer: WSConv2D, x: Float32Array, xShape: number[], seed: number) {
  const rand = mulberry32(seed);
  const byName = Object.fromEntries(layer.weights.map((w) => [w.originalName.split('/').pop()!, w]));
  const values: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(byName)) {
    const base = name === 'kernel' ? randomNormal((v.shape as number[]).reduce((a, b) => a * b, 1), rand, 0.4) : randomNormal(v.shape[0]!, rand, 0.3).map((g) => (name === 'gain' ? 1 + g : g));
    values[name] = Float32Array.from(base);
    const t = tensorOf(values[name]!, v.shape as number[]);
    v.write(t);
    t.dispose();
  }
  const kernelShape = byName.kernel!.shape as number[];
  const reference = (xv: ArrayLike<number>, kernel: ArrayLike<number>, gain?: ArrayLike<number>) => {
    const w = standardizeRef(kernel, kernelShape, layer.convention, { eps: layer.eps, gamma: layer.gamma, ...(gain ? { gain } : {}) });
    const y = conv2dRef(xv, xShape, w, kernelShape, {
      strides: layer.core.strides,
      dilations: layer.core.dilationRate,
      padding: layer.core.padding as never,
      groups: layer.core.groups,
    });
    if (values.bias) {
      const c = kernelShape[3]!;
      for (let i = 0; i < y.data.length; i++) y.data[i]! += values.bias[i % c]!;
    }
    return y;
  };
  return { values, reference, kernelShape };
}

describe.each(BACKENDS)('WSConv2D on %s', (backend) => {
  beforeAll(() => useBackend(backend));
  expectNoLeaks();

  it.each(CONFIGS)('forward equals standardize + convolve in float64: %s', (_, args, xShape) => {
    const layer = wsConv2d(args);
    const xv = Float32Array.from(randomNormal(xShape.reduce((a, b) => a * b, 1), mulberry32(1)));
    const x = tensorOf(xv, xShape);
    layer.build(x.shape);
    const { values, reference } = randomizeAndReference(layer, xv, xShape, 2);
    const y = layer.apply(x) as tf.Tensor;
    const ref = reference(xv, values.kernel!, values.gain);
    expect(y.shape).toEqual(ref.shape);
    expect(layer.computeOutputShape([null, xShape[1]!, xShape[2]!, xShape[3]!])).toEqual([null, ...ref.shape.slice(1)]);
    expect(closeness(y.dataSync(), ref.data, 1e-4, 1e-4)).toBeLessThan(1);
    tf.dispose([x, y]);
    disposeWeights(layer);
  });

  it('saves and loads through a tf.io handler with identical outputs; folding keeps them within 1e-5', async () => {
    const input = tf.input({ shape: [9, 9, 4] });
    let h = wsConv2d({ filters: 8, kernelSize: 3, strides: 2, name: 'stem' }).apply(input) as tf.SymbolicTensor;
    h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
    const branch = wsConv2d({ filters: 8, kernelSize: 3, groups: 2, convention: 'timm', gamma: 1.7, padding: [[1, 1], [1, 1]], name: 'grouped' }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.add().apply([h, branch]) as tf.SymbolicTensor;
    h = groupNormalization({ groups: 4 }).apply(h) as tf.SymbolicTensor;
    h = wsConv2d({ filters: 6, kernelSize: 1, convention: 'plain', useGain: false, name: 'head' }).apply(h) as tf.SymbolicTensor;
    h = groupedConv2dLayer({ filters: 6, kernelSize: 3, groups: 6, name: 'dw' }).apply(h) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: h });
    // Non-trivial gains and biases.
    for (const w of model.weights) {
      if (/gain|bias/.test(w.name)) {
        const t = tf.randomUniform(w.shape as number[], 0.5, 1.5, 'float32', 7);
        w.write(t);
        t.dispose();
      }
    }
    const x = tf.randomNormal([2, 9, 9, 4], 0, 1, 'float32', 11);
    const y = model.predict(x) as tf.Tensor;

    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    // The topology goes through JSON text, as it would through a model.json file.
    const loaded = await tf.loadLayersModel(tf.io.fromMemory({ ...saved!, modelTopology: JSON.parse(JSON.stringify(saved!.modelTopology)) }));
    const grouped = loaded.getLayer('grouped') as WSConv2D;
    expect(grouped).toBeInstanceOf(WSConv2D);
    expect(grouped.getConfig()).toEqual((model.getLayer('grouped') as WSConv2D).getConfig());
    const y2 = loaded.predict(x) as tf.Tensor;
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y.dataSync()));

    const folded = await foldWeightStandardization(model);
    expect(folded.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv2D', 'Activation', 'GroupedConv2D', 'Add', 'GroupNormalization', 'Conv2D', 'GroupedConv2D']);
    expect(folded.layers.some((l) => l instanceof WSConv2D)).toBe(false);
    const y3 = folded.predict(x) as tf.Tensor;
    const scale = tf.tidy(() => tf.max(tf.abs(y)).dataSync()[0]!);
    expect(closeness(y3.dataSync(), y.dataSync(), 1e-5, 1e-5 * scale)).toBeLessThan(1);
    // The original model is untouched and still standardizes.
    expect(model.getLayer('stem')).toBeInstanceOf(WSConv2D);
    tf.dispose([x, y, y2, y3]);
    model.dispose();
    loaded.dispose();
    folded.dispose();
  });
});

describe('WSConv2D gradients (cpu, float64 central differences)', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it.each(CONFIGS.filter(([, a]) => a.useGain !== false))('d/dx, d/dkernel, d/dgain: %s', (_, args, xShape) => {
    const layer = wsConv2d(args);
    const shape = [1, ...xShape.slice(1)];
    const xv = Float32Array.from(randomNormal(shape.reduce((a, b) => a * b, 1), mulberry32(3)));
    layer.build(shape);
    const { values, reference, kernelShape } = randomizeAndReference(layer, xv, shape, 4);
    const outShape = reference(xv, values.kernel!, values.gain).shape;
    const r = randomNormal(outShape.reduce((a, b) => a * b, 1), mulberry32(5));
    const loss = (xx: ArrayLike<number>, k: ArrayLike<number>, g: ArrayLike<number>) => reference(xx, k, g).data.reduce((s, v, i) => s + v * r[i]!, 0);
    const x = tensorOf(xv, shape);
    const rt = tensorOf(r, outShape);
    const kernel = layer.weights.find((w) => w.originalName.endsWith('kernel'))!;
    const gain = layer.weights.find((w) => w.originalName.endsWith('gain'))!;
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, rt)) as tf.Scalar, [
      (kernel as unknown as { val: tf.Variable }).val,
      (gain as unknown as { val: tf.Variable }).val,
    ]);
    const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, rt)))(x);
    const kName = (kernel as unknown as { val: tf.Variable }).val.name;
    const gName = (gain as unknown as { val: tf.Variable }).val.name;
    expect(closeness(dx.dataSync(), numericGrad((v) => loss(v, values.kernel!, values.gain!), xv, 1e-2), 2e-3, 2e-4)).toBeLessThan(1);
    expect(closeness(grads[kName]!.dataSync(), numericGrad((v) => loss(xv, v, values.gain!), values.kernel!, 1e-3), 5e-3, 5e-4)).toBeLessThan(1);
    expect(closeness(grads[gName]!.dataSync(), numericGrad((v) => loss(xv, values.kernel!, v), values.gain!, 1e-3), 2e-3, 2e-4)).toBeLessThan(1);
    expect(kernelShape.length).toBe(4);
    tf.dispose([x, rt, dx, value, grads]);
    disposeWeights(layer);
  });

  it('a training step leaks no tensors', () => {
    const model = tf.sequential({ layers: [wsConv2d({ filters: 4, kernelSize: 3, inputShape: [6, 6, 2], groups: 2 }), tf.layers.flatten(), tf.layers.dense({ units: 2 })] });
    const opt = tf.train.sgd(0.01);
    const x = tf.randomNormal([2, 6, 6, 2]);
    const step = () => opt.minimize(() => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    step();
    const live = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(live);
    x.dispose();
    opt.dispose();
    model.dispose();
  });
});

describe('layer arguments and initialisation', () => {
  beforeAll(() => useBackend('cpu'));
  expectNoLeaks();

  it('default raw kernel: untruncated N(0, 1/fan_in) (about 4.6 % beyond 2 sigma; a truncated normal has none)', () => {
    const w = new FanInNormal({ seed: 3 }).apply([3, 3, 64, 256]);
    const values = Array.from(w.dataSync());
    const sigma = 1 / Math.sqrt(3 * 3 * 64);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    const tail = values.filter((v) => Math.abs(v) > 2 * sigma).length / values.length;
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.01);
    expect(Math.abs(tail - 0.0455)).toBeLessThan(0.003);
    w.dispose();
    const layer = wsConv2d({ filters: 8, kernelSize: 3 });
    layer.build([null, 8, 8, 4]);
    expect(layer.getConfig().kernelInitializer).toEqual({ className: 'FanInNormal', config: { scale: 1 } });
    disposeWeights(layer);
  });

  it('bad arguments name the layer, the value and what is allowed', () => {
    expect(() => wsConv2d({ filters: 6, kernelSize: 3, groups: 4, name: 'c_bad' })).toThrow(/WSConv2D 'c_bad': filters=6 is not divisible by groups=4/);
    expect(() => wsConv2d({ filters: 8, kernelSize: 3, groups: 4, name: 'c_in' }).build([null, 8, 8, 6])).toThrow(/WSConv2D 'c_in': 6 input channels are not divisible by groups=4/);
    expect(() => wsConv2d({ filters: 8, kernelSize: 3, convention: 'torch' as never, name: 'c_conv' })).toThrow(/WSConv2D 'c_conv': unknown weight-standardization convention "torch"; use one of 'deepmind', 'timm', 'plain'/);
    expect(() => wsConv2d({ filters: 8, kernelSize: 3, padding: 'full' as Padding, name: 'c_pad' })).toThrow(/WSConv2D 'c_pad': padding must be 'same', 'valid'/);
    expect(() => wsConv2d({ filters: 8, kernelSize: 0, name: 'c_k' })).toThrow(/kernelSize must be positive integers/);
    expect(() => groupedConv2dLayer({ filters: 8, kernelSize: 3, groups: 0, name: 'g0' })).toThrow(WsConvError);
    expect(() => wsConv2d({ filters: 8, kernelSize: 3, gamma: -1, name: 'c_g' })).toThrow(/gamma must be a finite number > 0/);
    const valid = wsConv2d({ filters: 2, kernelSize: 5, padding: 'valid', name: 'c_valid' });
    const x = tf.zeros([1, 3, 3, 2]);
    expect(() => valid.apply(x)).toThrow(/a 5×5 kernel .* does not fit a 3×3 input with 'valid' padding/);
    x.dispose();
    disposeWeights(valid);
    expect(GroupedConv2D.className).toBe('GroupedConv2D');
    expect(WSConv2D.className).toBe('WSConv2D');
  });
});
