/**
 * Validation of what the tensor entry points receive, before anything is allocated: each
 * gradient and parameter must be a live float32 tensor, and a gradient must have its parameter's
 * shape. Every failure is a one-line AgcError naming the parameter, what was received and the fix.
 * float32 only: tfjs optimizers train float32 variables, and AGC's rescaling of an int32 gradient
 * would be truncated towards zero, so a non-float tensor is refused rather than silently zeroed.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { AgcError, kindOf, quoteName } from './errors.js';

/** How a parameter is named in messages: its quoted name, or a label for unnamed calls. */
export function labelOf(name: string | undefined, unnamed: string): string {
  return name === undefined ? unnamed : quoteName(name);
}

/** A tfjs tensor (duck-typed, so a second copy of tfjs-core in the process is recognised too). */
export function isTensorLike(value: unknown): value is tf.Tensor {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<tf.Tensor>;
  return Array.isArray(t.shape) && typeof t.dtype === 'string' && typeof t.rank === 'number' && 'dataId' in t;
}

/** Throws BAD_INPUT unless `value` is a tensor that is not disposed. */
export function checkTensor(role: 'gradient' | 'parameter', label: string, value: unknown): asserts value is tf.Tensor {
  const what = role === 'gradient' ? `Gradient of ${label}` : `Parameter ${label}`;
  if (!isTensorLike(value)) {
    throw new AgcError('BAD_INPUT', `${what} is not a tensor (received ${kindOf(value)}); pass a tf.Tensor${role === 'parameter' ? ' or tf.Variable' : ''}.`);
  }
  if (value.isDisposed) {
    throw new AgcError('BAD_INPUT', `${what} is a disposed tensor; pass a live tensor (dispose it after the call).`);
  }
}

/** Throws BAD_DTYPE unless `t` is float32. */
export function checkFloat(role: 'gradient' | 'parameter', label: string, t: tf.Tensor): void {
  if (t.dtype === 'float32') return;
  const what = role === 'gradient' ? `Gradient of ${label}` : `Parameter ${label}`;
  throw new AgcError(
    'BAD_DTYPE',
    `${what} has dtype ${t.dtype}; AGC works on float32 gradients and parameters (tfjs optimizers train float32 variables, ` +
      `and rescaling ${t.dtype} values would truncate them): cast it with tf.cast(x, 'float32') or leave this parameter out.`,
  );
}

/** Throws SHAPE_MISMATCH unless `grad` and `param` have the same shape. */
export function checkSameShape(label: string, grad: tf.Tensor, param: tf.Tensor): void {
  const same = grad.rank === param.rank && grad.shape.every((d, i) => d === param.shape[i]);
  if (!same) {
    throw new AgcError(
      'SHAPE_MISMATCH',
      `Gradient of ${label} has shape [${grad.shape.join(', ')}] but the parameter has shape [${param.shape.join(', ')}]; ` +
        `pass the gradient computed for this parameter.`,
    );
  }
}

/** Everything a gradient and its parameter must satisfy: live float32 tensors of one shape. */
export function checkGradientPair(label: string, grad: unknown, param: unknown): asserts grad is tf.Tensor {
  checkTensor('gradient', label, grad);
  checkTensor('parameter', label, param);
  checkFloat('gradient', label, grad);
  checkFloat('parameter', label, param as tf.Tensor);
  checkSameShape(label, grad, param as tf.Tensor);
}
