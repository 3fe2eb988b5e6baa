/**
 * Activation gains gamma = 1 / std(f(z)), z ~ N(0, 1): multiplying an activation's output by its
 * gamma keeps unit variance through the nonlinearity, which Scaled WS relies on.
 * Constants: deepmind-research `nfnets/base.py` `nonlinearities` (timm `_nonlin_gamma` has the same
 * numbers). They are empirical estimates, 0.05–0.09 % above the exact values that
 * `computeGamma` integrates; the table keeps DeepMind's literals for weight compatibility.
 */
import * as tf from '@tensorflow/tfjs-core';
import { backendHasKernels } from './backend-kernels.js';
import { WsConvError } from './errors.js';

/** DeepMind's activation gains, exact float literals (base.py). */
export const ACTIVATION_GAMMA = {
  identity: 1,
  linear: 1,
  celu: 1.270926833152771,
  elu: 1.2716004848480225,
  gelu: 1.7015043497085571,
  gelu_tanh: 1.7015043497085571,
  glu: 1.8484294414520264,
  leaky_relu: 1.70590341091156,
  log_sigmoid: 1.9193484783172607,
  log_softmax: 1.0002083778381348,
  relu: 1.7139588594436646,
  relu6: 1.7131484746932983,
  selu: 1.0008515119552612,
  sigmoid: 4.803835391998291,
  silu: 1.7881293296813965,
  swish: 1.7881293296813965,
  soft_sign: 2.338853120803833,
  softsign: 2.338853120803833,
  softplus: 1.9203323125839233,
  tanh: 1.5939117670059204,
} as const satisfies Record<string, number>;

export type ActivationName = keyof typeof ACTIVATION_GAMMA;

/**
 * An elementwise activation with an analytic derivative as one op on the tape that keeps only its
 * input: autodiff through GELU's composite kept four activation-sized intermediates per call (the
 * largest share of a training step's memory) and ran ~10 kernels backward.
 */
function withDerivative(value: (x: tf.Tensor) => tf.Tensor, derivative: (x: tf.Tensor) => tf.Tensor): (x: tf.Tensor) => tf.Tensor {
  const f = tf.customGrad(((x: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
    save([x]);
    return { value: value(x), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(dy, derivative(saved[0]!))] };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (x) => f(x);
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Kernel names of a fused exact GELU: `NfGelu` (inputs `x`) → ½x(1 + erf(x/√2)), and its backward
 * `NfGeluGrad` (inputs `dy`, `x`) → dy·(Φ(x) + x·φ(x)). Any backend may register them (e.g.
 * @nf/wasm-kernels for wasm, in SIMD): where both exist, `ACTIVATIONS.gelu` is one kernel forward and
 * one backward instead of ~5 and ~11; elsewhere it is the composite below.
 */
export const GELU_KERNEL = 'NfGelu';
export const GELU_GRAD_KERNEL = 'NfGeluGrad';

/** The gradient of the fused GELU kernel (registered once, on import; not differentiable again). */
export const GELU_GRADIENT: tf.GradConfig = {
  kernelName: GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => ({ x: () => tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: dy as tf.Tensor, x: saved[0]! }) as tf.Tensor }),
};

/** True when the current backend has both fused GELU kernels. */
export function hasFusedGelu(): boolean {
  return backendHasKernels(GELU_KERNEL, GELU_GRAD_KERNEL);
}

/** x·Φ(x) = ½x(1 + erf(x/√2)); d/dx = Φ(x) + x·φ(x). */
const geluErf = withDerivative(
  (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
  (x) => tf.add(tf.mul(tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1), 0.5), tf.mul(x, tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), INV_SQRT_2PI))),
);

/** ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³); d/dx = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 0.134145x²). */
const tanhArg = (x: tf.Tensor) => tf.mul(tf.add(x, tf.mul(tf.pow(x, 3), 0.044715)), SQRT_2_OVER_PI);
const geluTanh = withDerivative(
  (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tanhArg(x)), 1)),
  (x) => {
    const t = tf.tanh(tanhArg(x));
    const du = tf.mul(tf.add(tf.mul(tf.square(x), 3 * 0.044715), 1), SQRT_2_OVER_PI);
    return tf.add(tf.mul(tf.add(t, 1), 0.5), tf.mul(tf.mul(tf.mul(x, 0.5), tf.sub(1, tf.square(t))), du));
  },
);

/** Elementwise activations available as tfjs functions (glu, log_softmax are not elementwise). */
export const ACTIVATIONS: Readonly<Record<Exclude<ActivationName, 'glu' | 'log_softmax'>, (x: tf.Tensor) => tf.Tensor>> = {
  identity: (x) => x,
  linear: (x) => x,
  celu: (x) => tf.where(tf.greater(x, 0), x, tf.sub(tf.exp(x), 1)), // alpha = 1: same as elu
  elu: (x) => tf.elu(x),
  // Exact (erf) GELU as timm and PyTorch; DeepMind's JAX code uses the tanh form (`gelu_tanh`).
  gelu: (x) => (x.dtype === 'float32' && hasFusedGelu() ? (tf.engine().runKernel(GELU_KERNEL, { x }) as tf.Tensor) : geluErf(x)),
  gelu_tanh: (x) => geluTanh(x),
  leaky_relu: (x) => tf.leakyRelu(x, 0.01),
  log_sigmoid: (x) => tf.logSigmoid(x),
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  selu: (x) => tf.selu(x),
  sigmoid: (x) => tf.sigmoid(x),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  soft_sign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  softplus: (x) => tf.softplus(x),
  tanh: (x) => tf.tanh(x),
};

function knownNames(): string {
  return Object.keys(ACTIVATION_GAMMA).join(', ');
}

/** DeepMind's gamma for an activation name (case-insensitive; '-' and '_' alike). */
export function gammaOf(name: string): number {
  const key = String(name).toLowerCase().replace(/-/g, '_');
  const gamma = (ACTIVATION_GAMMA as Record<string, number>)[key];
  if (gamma === undefined) {
    throw new WsConvError('UNKNOWN_ACTIVATION', `gammaOf: unknown activation '${name}'; known: ${knownNames()}. For your own activation use computeGamma(fn).`);
  }
  return gamma;
}

/** The activation multiplied by its gamma, as DeepMind applies it (`act(x) * gamma`). */
export function scaledActivation(name: string): (x: tf.Tensor) => tf.Tensor {
  const key = String(name).toLowerCase().replace(/-/g, '_') as keyof typeof ACTIVATIONS;
  const fn = ACTIVATIONS[key];
  if (fn === undefined) {
    throw new WsConvError('UNKNOWN_ACTIVATION', `scaledActivation: '${name}' is not an elementwise activation we implement; known: ${Object.keys(ACTIVATIONS).join(', ')}.`);
  }
  return scaledActivationFn(key, gammaOf(key));
}

/**
 * x · c for a constant c, as one op on the tape that keeps nothing: `tf.mul(x, c)` under autodiff
 * also clones both operands for its gradient and runs Cast(c) before dy · c backward (5 kernel calls
 * per use instead of 2). Same numbers: the forward is that Multiply, the backward the Multiply of dy
 * by the same float32 scalar that tfjs's gradient computes. Non-float32 x: `tf.mul`.
 */
export function mulConstant(x: tf.Tensor, c: number): tf.Tensor {
  if (x.dtype !== 'float32') return tf.mul(x, c);
  const f = tf.customGrad(((xIn: tf.Tensor) => ({
    value: tf.mul(xIn, c),
    gradFunc: (dy: tf.Tensor) => [tf.mul(dy, c)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}

/**
 * `ACTIVATIONS[name](x) · scale` (e.g. gamma·β of an NFNet block). Fused GELU (where the backend has
 * NfGelu and NfGeluGrad): one taped op keeping only x, NfGelu then · scale forward, dy · scale then
 * NfGeluGrad backward — the kernels autodiff runs, minus its clones and Cast (4 kernel calls instead
 * of 8). Otherwise the activation, then `mulConstant` (scale ≠ 1).
 */
export function scaledActivationFn(name: string, scale: number): (x: tf.Tensor) => tf.Tensor {
  const key = String(name).toLowerCase().replace(/-/g, '_') as keyof typeof ACTIVATIONS;
  const fn = Object.hasOwn(ACTIVATIONS, key) ? ACTIVATIONS[key] : undefined;
  if (fn === undefined) {
    throw new WsConvError('UNKNOWN_ACTIVATION', `scaledActivationFn: '${name}' is not an elementwise activation we implement; known: ${Object.keys(ACTIVATIONS).join(', ')}.`);
  }
  if (scale === 1) return fn;
  if (key === 'gelu') {
    return (x) => {
      if (!(x.dtype === 'float32' && hasFusedGelu())) return tf.tidy(() => mulConstant(fn(x), scale));
      const f = tf.customGrad(((xIn: tf.Tensor, save: (t: tf.Tensor[]) => void) => {
        save([xIn]);
        return {
          value: tf.mul(tf.engine().runKernel(GELU_KERNEL, { x: xIn }) as tf.Tensor, scale),
          gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.engine().runKernel(GELU_GRAD_KERNEL, { dy: tf.mul(dy, scale), x: saved[0]! }) as tf.Tensor],
        };
      }) as unknown as Parameters<typeof tf.customGrad>[0]);
      return f(x);
    };
  }
  return (x) => tf.tidy(() => mulConstant(fn(x), scale));
}

/** Nodes and weights of composite Simpson's rule for E[g(z)], z ~ N(0,1), on [-12, 12]. */
function normalExpectationRule(intervals = 8000): { z: Float64Array; w: Float64Array } {
  const lo = -12;
  const h = 24 / intervals;
  const z = new Float64Array(intervals + 1);
  const w = new Float64Array(intervals + 1);
  const norm = 1 / Math.sqrt(2 * Math.PI);
  for (let i = 0; i <= intervals; i++) {
    z[i] = lo + i * h;
    const simpson = i === 0 || i === intervals ? 1 : i % 2 === 1 ? 4 : 2;
    w[i] = ((simpson * h) / 3) * norm * Math.exp(-0.5 * z[i]! * z[i]!);
  }
  return { z, w };
}

function gammaFromValues(values: ArrayLike<number>, w: Float64Array, what: string): number {
  let mass = 0;
  let mean = 0;
  for (let i = 0; i < w.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) {
      throw new WsConvError('BAD_OPTION', `${what}: the activation returned ${v} at z = ${(-12 + (24 * i) / (w.length - 1)).toFixed(3)}; gamma needs finite values on [-12, 12].`);
    }
    mass += w[i]!;
    mean += w[i]! * v;
  }
  mean /= mass;
  // Second pass around the mean: no cancellation for activations with a large mean.
  let variance = 0;
  let scale = 0;
  for (let i = 0; i < w.length; i++) {
    variance += w[i]! * (values[i]! - mean) ** 2;
    scale = Math.max(scale, Math.abs(values[i]!));
  }
  variance /= mass;
  if (!(variance > 1e-20 * Math.max(scale * scale, 1e-300))) {
    throw new WsConvError('BAD_OPTION', `${what}: the activation has zero variance under N(0, 1); gamma is undefined.`);
  }
  return 1 / Math.sqrt(variance);
}

/**
 * gamma = 1 / std(f(z)) for z ~ N(0, 1), by composite Simpson integration on [-12, 12]
 * (8000 intervals, a node at 0 for kinks there): deterministic, accurate to ~1e-9 for smooth
 * activations. `fn` maps one number to one number.
 */
export function computeGamma(fn: (x: number) => number): number {
  const { z, w } = normalExpectationRule();
  return gammaFromValues(Array.from(z, (v) => fn(v)), w, 'computeGamma');
}

/** As `computeGamma`, for an activation written with tfjs ops (evaluated once on all nodes). */
export function computeGammaTf(fn: (x: tf.Tensor) => tf.Tensor): number {
  const { z, w } = normalExpectationRule();
  const values = tf.tidy(() => fn(tf.tensor1d(Float32Array.from(z))).dataSync());
  return gammaFromValues(values, w, 'computeGammaTf');
}
