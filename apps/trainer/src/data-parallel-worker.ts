/**
 * A data-parallel worker thread (see data-parallel.ts): builds a replica of the model on its own
 * backend, then for each step copies the shared weights in, computes the gradients of the parts of
 * the batch it was given and writes their sum into its shared gradient buffer.
 */
import * as tf from '@tensorflow/tfjs';
import { parentPort } from 'node:worker_threads';
import { createModel } from '@nf/models';
import { loadBackend, type BackendName } from './step/load-backend.js';
import type { WorkerInit, WorkerReply, WorkerStep } from './step/data-parallel.js';
import { flatOffsets } from './step/flat-layout.js';
import { readFloat32Into } from './step/host-io.js';
import { namedWeights, partialGradients } from './step/train-step.js';

interface Replica {
  model: tf.LayersModel;
  vars: tf.Variable[];
  offsets: number[];
  shapes: number[][];
  weights: Float32Array;
  grads: Float32Array;
}

let replica: Replica | undefined;

async function init(msg: WorkerInit): Promise<WorkerReply> {
  const threads = msg.acceleratorThreads ?? 0;
  const choice = await loadBackend(msg.backend as BackendName, threads > 0 ? { accelerator: 'onednn', acceleratorThreads: threads } : { accelerator: 'none' });
  const model = createModel(msg.modelConfig);
  const named = namedWeights(model);
  const names = named.map((w) => w.name);
  if (names.join('\n') !== msg.names.join('\n')) throw new Error('the replica\'s weights differ from the main model\'s (names or order).');
  named.forEach((w, i) => {
    if (w.variable.shape.join(',') !== msg.shapes[i]!.join(',')) throw new Error(`weight ${w.name}: shape ${w.variable.shape} vs ${msg.shapes[i]}.`);
  });
  replica = {
    model,
    vars: named.map((w) => w.variable),
    offsets: flatOffsets(msg.shapes).offsets,
    shapes: msg.shapes,
    weights: new Float32Array(msg.weights),
    grads: new Float32Array(msg.grads),
  };
  return { type: 'ready', backend: choice.name };
}

function step(msg: WorkerStep): WorkerReply {
  if (!replica) throw new Error('step before init.');
  const r = replica;
  tf.tidy(() => {
    r.vars.forEach((v, k) => v.assign(tf.tensor(r.weights.subarray(r.offsets[k]!, r.offsets[k]! + v.size), r.shapes[k]!)));
  });
  const images = tf.tensor4d(msg.images, msg.imageShape);
  const labels = tf.tensor(msg.labels, msg.labelShape, msg.labelShape.length === 1 ? 'int32' : 'float32');
  try {
    const g = partialGradients(r.model, r.vars, images, labels, msg.parts, msg.batch, msg.seed, { labelSmoothing: msg.labelSmoothing, numClasses: msg.numClasses, headOnly: msg.headOnly });
    try {
      // Frozen variables (head-only steps) have no gradient: zeros in the shared buffer.
      r.vars.forEach((v, k) => {
        const grad = g.grads[v.name];
        if (grad) readFloat32Into(grad, r.grads, r.offsets[k]!);
        else r.grads.fill(0, r.offsets[k]!, r.offsets[k]! + v.size);
      });
      return { type: 'done', loss: g.loss.dataSync()[0]!, correct: g.correct.dataSync()[0]! };
    } finally {
      tf.dispose([g.grads, g.loss, g.correct]);
    }
  } finally {
    tf.dispose([images, labels]);
  }
}

parentPort!.on('message', (msg: WorkerInit | WorkerStep) => {
  const run = async (): Promise<WorkerReply> => (msg.type === 'init' ? init(msg) : step(msg));
  run().then(
    (reply) => parentPort!.postMessage(reply),
    (e: unknown) => parentPort!.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) } satisfies WorkerReply),
  );
});
