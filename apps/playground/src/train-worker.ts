/**
 * The page's training thread: the page never blocks while a step runs. Starts the backend, reads
 * the bundled Fashion-MNIST subset once, and runs a `TrainingSession` step by step, posting each
 * step's metrics; answers SPP requests (a fresh model with the visitor's knobs), loads a model
 * trained by nf-train, and classifies images.
 */
import { startBackend } from './backends.js';
import { loadBundledFashionMnist } from './fashion-data.js';
import { prepareImage, probabilities, rgbaToRgb, topK } from './classify.js';
import { loadDroppedModel, type LoadedModel } from './model-files.js';
import { datasetsFrom, TrainingSession } from './session.js';
import type { BackendName, FromWorker, StartRequest, ToWorker } from './protocol.js';
import type { RasterDataset } from '@nf/trainer/step';

const post = (m: FromWorker) => (self as unknown as Worker).postMessage(m);

let backendName: BackendName | undefined;
let sources: ReturnType<typeof loadBundledFashionMnist> | undefined;
let data: { train: RasterDataset; test: RasterDataset; key: string } | undefined;
let session: TrainingSession | undefined;
let loaded: LoadedModel | undefined;
let stopRequested = false;
let busy: Promise<unknown> = Promise.resolve();

async function ensureBackend(wanted: BackendName): Promise<void> {
  if (backendName === wanted) return;
  const info = await startBackend(wanted);
  backendName = wanted;
  post({ type: 'backend', info });
}

async function ensureData(seed: number, trainLimit: number): Promise<{ train: RasterDataset; test: RasterDataset }> {
  const key = `${seed}/${trainLimit}`;
  if (data?.key === key) return data;
  // Fetched and parsed once; only the seeded order and the limit change between runs.
  if (!sources) {
    post({ type: 'status', text: 'reading the bundled Fashion-MNIST subset…' });
    sources = loadBundledFashionMnist();
    sources.catch(() => (sources = undefined));
  }
  const { train, test } = await sources;
  data = { ...datasetsFrom(train, test, seed, trainLimit), key };
  return data;
}

async function train(req: StartRequest): Promise<void> {
  stopRequested = false;
  // The last run's weights go before a backend switch (they live on the backend that made them).
  session?.dispose();
  session = undefined;
  await ensureBackend(req.backend);
  const sets = await ensureData(req.seed, req.trainLimit);
  session = new TrainingSession(sets.train, sets.test, {
    seed: req.seed,
    batchSize: req.batchSize,
    plannedSteps: req.steps,
    knobs: req.knobs,
    ...(req.model ? { model: req.model } : {}),
  });
  const s = session;
  post({ type: 'ready', params: s.params, trainSize: sets.train.size, testSize: sets.test.size, plannedSteps: s.plannedSteps, warmupSteps: s.warmupSteps, peakLr: s.peakLr, model: req.model ?? 'nfnet_base_mnist' });
  await postSpp(s, 'initialisation');
  const t0 = performance.now();
  let steps = 0;
  while (steps < req.steps && !stopRequested) {
    const metrics = await s.trainStep();
    steps += 1;
    post({ type: 'step', metrics });
    if (req.evalEvery > 0 && steps % req.evalEvery === 0 && steps < req.steps) post({ type: 'eval', metrics: await s.evaluate(req.evalLimit) });
  }
  const seconds = (performance.now() - t0) / 1000;
  post({ type: 'eval', metrics: await s.evaluate(req.evalLimit) });
  await postSpp(s, `after ${steps} steps`);
  post({ type: 'done', steps, seconds, stepsPerSecond: steps / seconds, stopped: stopRequested });
}

async function postSpp(s: TrainingSession, label: string): Promise<void> {
  const { report, svg } = await s.signalPropagation(label);
  const last = report.sites.at(-1);
  post({ type: 'spp', label, svg, sites: report.sites.length, finalVariance: last?.avgVar ?? Number.NaN });
}

/** SPP of a fresh model with these knobs (no training), for the knobs panel. */
async function sppOnly(msg: Extract<ToWorker, { type: 'spp' }>): Promise<void> {
  await ensureBackend(msg.backend);
  const sets = await ensureData(msg.seed, 0);
  const s = new TrainingSession(sets.train, sets.test, { seed: msg.seed, knobs: msg.knobs, ...(msg.model ? { model: msg.model } : {}) });
  try {
    await postSpp(s, 'initialisation');
  } finally {
    s.dispose();
  }
}

async function classify(msg: Extract<ToWorker, { type: 'classify' }>): Promise<void> {
  const rgb = rgbaToRgb(msg.rgba, msg.width, msg.height);
  if (msg.source === 'loaded') {
    if (!loaded) throw new Error('no model is loaded: drop an nf-train model folder (model.json, its weights and labels.json) or a safetensors file first.');
    const x = prepareImage(rgb, msg.width, msg.height, loaded);
    try {
      post({ type: 'prediction', source: 'loaded', top: topK(probabilities(loaded.model, x), loaded.classNames) });
    } finally {
      x.dispose();
    }
    return;
  }
  if (!session) throw new Error('nothing is trained yet: start training first, or load a model.');
  const s = session;
  const x = prepareImage(rgb, msg.width, msg.height, { size: [s.modelConfig.testSize, s.modelConfig.testSize], channels: s.modelConfig.inChannels === 1 ? 1 : 3, normalization: s.train.normalization });
  try {
    const p = await s.withModel(async (m) => probabilities(m, x));
    post({ type: 'prediction', source: 'trained', top: topK(p, s.train.classNames) });
  } finally {
    x.dispose();
  }
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'start':
      return train(msg);
    case 'spp':
      return sppOnly(msg);
    case 'load-model': {
      await ensureBackend(backendName ?? 'webgpu');
      loaded?.model.dispose();
      loaded = undefined;
      loaded = await loadDroppedModel(msg.files);
      post({ type: 'model-loaded', description: loaded.description, classNames: loaded.classNames });
      return;
    }
    case 'classify':
      await ensureBackend(backendName ?? 'webgpu');
      return classify(msg);
    case 'stop':
      return;
  }
}

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  // Stop acts at once (between steps); everything else runs in order, one at a time.
  if (msg.type === 'stop') {
    stopRequested = true;
    return;
  }
  busy = busy.then(() =>
    handle(msg).catch((err: unknown) => {
      post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }),
  );
};
