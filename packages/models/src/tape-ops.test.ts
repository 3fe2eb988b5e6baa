/**
 * ScaledActivation (act·scale through @nf/ws-conv's scaledActivationFn) and NfResidual (α·branch
 * through mulConstant) give the numbers of the plain tf.mul composites bit for bit, values and
 * gradients, on cpu and wasm.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { ACTIVATIONS } from '@nf/ws-conv';
import { describe, expect, it } from 'vitest';
import { NfResidual, ScaledActivation } from './index.js';

const input = (shape: number[], seed: number) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.731 + seed) * 2.5), shape);

function valueAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const shape = tf.tidy(() => f(...xs).shape);
    const dy = input(shape, 9);
    const { value, grads } = tf.valueAndGrads((...ins: tf.Tensor[]) => f(...ins))(xs, dy);
    return [value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

for (const backend of ['cpu', 'wasm']) {
  describe(`tape forms of the block layers equal tf.mul composites bit for bit (${backend})`, () => {
    for (const activation of ['gelu', 'relu']) {
      it(`ScaledActivation ${activation}·1.37`, async () => {
        await tf.setBackend(backend);
        const layer = new ScaledActivation({ activation, scale: 1.37 });
        const x = input([2, 4, 4, 6], 1);
        const before = tf.memory().numTensors;
        const ours = valueAndGrads((t) => layer.apply(t) as tf.Tensor, [x]);
        const ref = valueAndGrads((t) => tf.mul(ACTIVATIONS[activation as 'gelu'](t!), 1.37), [x]);
        expect(tf.memory().numTensors).toBe(before);
        ours.forEach((a, i) => expect(a).toEqual(ref[i]));
        x.dispose();
      });
    }

    it('NfResidual branch·α·skip_gain + shortcut', async () => {
      await tf.setBackend(backend);
      const layer = new NfResidual({ alpha: 0.2, skipGain: true });
      const branch = input([2, 3, 3, 4], 2);
      const shortcut = input([2, 3, 3, 4], 3);
      layer.apply([branch, shortcut]);
      const gain = layer.trainableWeights[0]!.read() as tf.Variable;
      gain.assign(tf.scalar(0.7));
      const ours = valueAndGrads((b, s, g) => { void g; return layer.apply([b!, s!]) as tf.Tensor; }, [branch, shortcut, gain]);
      const ref = valueAndGrads((b, s, g) => tf.add(tf.mul(tf.mul(b!, 0.2), g!), s!), [branch, shortcut, gain]);
      ours.forEach((a, i) => expect(a).toEqual(ref[i]));
      tf.dispose([branch, shortcut]);
      layer.dispose();
    });
  });
}
