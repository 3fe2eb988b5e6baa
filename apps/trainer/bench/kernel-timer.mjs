/**
 * Wraps every kernel registered for `backend` with a timer, for the profiling scripts. Time is
 * exclusive: a kernel that runs other kernels (our conv backprops) is charged only its own part, and
 * the nested ones are recorded as `Parent>Child`. `onCall(kernelName, inputs, ms, depth)` sees every
 * call. Returns the stats map: name → { n calls, ms, el output elements }.
 */
import * as tf from '@tensorflow/tfjs';

export function timeKernels(backend, onCall = () => {}) {
  const stats = new Map();
  const stack = [];
  for (const k of tf.getKernelsForBackend(backend)) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        const name = stack.length ? `${stack[stack.length - 1].name}>${k.kernelName}` : k.kernelName;
        const frame = { name: k.kernelName, child: 0 };
        stack.push(frame);
        const t0 = performance.now();
        const r = f(a);
        const dt = performance.now() - t0;
        stack.pop();
        if (stack.length) stack[stack.length - 1].child += dt;
        onCall(k.kernelName, a.inputs, dt, stack.length);
        const s = stats.get(name) ?? { n: 0, ms: 0, el: 0 };
        s.n++;
        s.ms += dt - frame.child;
        for (const o of [r].flat()) s.el += o.shape.reduce((p, q) => p * q, 1);
        stats.set(name, s);
        return r;
      },
    });
  }
  return stats;
}
