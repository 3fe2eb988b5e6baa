/**
 * The page: controls, knobs, live charts, SPP plots and classification. All tfjs work happens in
 * the training worker (train-worker.ts); this thread only draws, so the page never blocks.
 * Automated runs read `window.__nfPlayground` (every message's numbers) and the status line's text.
 */
import { lineChart, type ChartSeries } from './line-chart.js';
import { type BackendName, type FromWorker, type Knobs, type PlaygroundState, type ToWorker } from './protocol.js';
import { parsePageParams } from './url-params.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const record: PlaygroundState = { state: 'idle', steps: [], evals: [], spp: [], predictions: [], errors: [] };
(window as unknown as { __nfPlayground: PlaygroundState }).__nfPlayground = record;

const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

const { params, problems } = parsePageParams(location.search);

// ---- controls ------------------------------------------------------------------------------
const backendSelect = $<HTMLSelectElement>('backend-select');
const stepsInput = $<HTMLInputElement>('steps');
const batchInput = $<HTMLInputElement>('batch');
const seedInput = $<HTMLInputElement>('seed');
const startButton = $<HTMLButtonElement>('start');
const stopButton = $<HTMLButtonElement>('stop');
backendSelect.value = params.backend;
stepsInput.value = String(params.steps);
batchInput.value = String(params.batchSize);
seedInput.value = String(params.seed);

const agcBox = $<HTMLInputElement>('agc');
const clippingRange = $<HTMLInputElement>('clipping');
const wsBox = $<HTMLInputElement>('ws');
const gammaRange = $<HTMLInputElement>('gamma');
const alphaRange = $<HTMLInputElement>('alpha');
let gammaSet = params.knobs.gamma !== undefined;
agcBox.checked = params.knobs.agc;
clippingRange.value = String(Math.log10(params.knobs.clipping));
wsBox.checked = params.knobs.ws;
alphaRange.value = String(params.knobs.alpha);
if (params.knobs.gamma !== undefined) gammaRange.value = String(params.knobs.gamma);

function knobs(): Knobs {
  return {
    agc: agcBox.checked,
    clipping: Number((10 ** Number(clippingRange.value)).toPrecision(2)),
    ws: wsBox.checked,
    alpha: Number(alphaRange.value),
    ...(gammaSet ? { gamma: Number(gammaRange.value) } : {}),
  };
}

function showKnobs(): void {
  const k = knobs();
  $('clipping-value').textContent = k.agc ? String(k.clipping) : 'off';
  clippingRange.disabled = !k.agc;
  $('gamma-value').textContent = gammaSet ? Number(gammaRange.value).toFixed(3) : `${(1.7015043497085571).toFixed(3)} (GELU's)`;
  $('alpha-value').textContent = k.alpha.toFixed(2);
}

let sppTimer: ReturnType<typeof setTimeout> | undefined;
function knobsChanged(): void {
  showKnobs();
  if (record.state === 'training') return;
  clearTimeout(sppTimer);
  sppTimer = setTimeout(() => send({ type: 'spp', knobs: knobs(), seed: Number(seedInput.value) || 0, backend: backendSelect.value as BackendName, ...(params.model ? { model: params.model } : {}) }), 250);
}
for (const el of [agcBox, clippingRange, wsBox, alphaRange]) el.addEventListener('input', knobsChanged);
gammaRange.addEventListener('input', () => {
  gammaSet = true;
  knobsChanged();
});
$('gamma-reset').addEventListener('click', () => {
  gammaSet = false;
  gammaRange.value = '1.7015';
  knobsChanged();
});

function message(text: string, kind: 'error' | 'info' = 'info'): void {
  const el = $('message');
  el.textContent = text;
  el.className = kind;
}

function start(): void {
  record.steps = [];
  record.evals = [];
  record.spp = [];
  record.done = undefined;
  record.state = 'training';
  document.body.dataset.state = 'training';
  startButton.disabled = true;
  stopButton.disabled = false;
  $('spp-trained').innerHTML = '';
  drawCharts();
  send({
    type: 'start',
    backend: backendSelect.value as BackendName,
    steps: Math.max(1, Number(stepsInput.value) || params.steps),
    batchSize: Math.max(1, Number(batchInput.value) || params.batchSize),
    seed: Number(seedInput.value) || 0,
    knobs: knobs(),
    evalEvery: params.evalEvery,
    evalLimit: params.evalLimit,
    trainLimit: params.trainLimit,
    ...(params.model ? { model: params.model } : {}),
  });
}
startButton.addEventListener('click', start);
stopButton.addEventListener('click', () => send({ type: 'stop' }));

// ---- charts --------------------------------------------------------------------------------
const COLORS = { train: '#1f77b4', eval: '#d62728', lr: '#2ca02c', clip: '#ff7f0e' };
let drawPending = false;
function drawCharts(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    const s = record.steps;
    const e = record.evals;
    const series = (name: string, color: string, pts: Array<[number, number]>, dashed = false): ChartSeries => ({ name, color, points: pts, dashed });
    $('chart-loss').innerHTML = lineChart(
      [series('train', COLORS.train, s.map((m) => [m.step, m.loss])), series('test (EMA)', COLORS.eval, e.map((m) => [m.step, m.loss]), true)],
      { title: 'Loss' },
    );
    $('chart-accuracy').innerHTML = lineChart(
      [series('train', COLORS.train, s.map((m) => [m.step, m.accuracy])), series('test (EMA)', COLORS.eval, e.map((m) => [m.step, m.accuracy]), true)],
      { title: 'Accuracy', yBounds: [0, 1] },
    );
    $('chart-lr').innerHTML = lineChart([series('learning rate', COLORS.lr, s.map((m) => [m.step, m.lr]))], { title: 'Learning rate (warmup + cosine)', yBounds: [0, Infinity] });
    $('chart-clip').innerHTML = lineChart([series('clipped units', COLORS.clip, s.map((m) => [m.step, m.clipFraction]))], { title: 'AGC clip fraction', yBounds: [0, 1] });
  });
}

// ---- worker messages -----------------------------------------------------------------------
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'backend': {
      record.backend = m.info.name;
      record.adapter = m.info.adapter;
      if (m.info.fellBackFrom) record.fellBackFrom = m.info.fellBackFrom;
      $('backend').textContent = m.info.name;
      $('adapter').textContent = `(${m.info.adapter})`;
      backendSelect.value = m.info.name;
      if (m.info.fellBackFrom) message(`${m.info.fellBackFrom.name} could not start (${m.info.fellBackFrom.reason}); using ${m.info.name}.`, 'error');
      break;
    }
    case 'status':
      message(m.text);
      break;
    case 'ready':
      $('recipe').textContent = `${m.model}: ${m.params.toLocaleString('en')} parameters; ${m.trainSize} training / ${m.testSize} test images; peak lr ${m.peakLr.toPrecision(3)} after ${m.warmupSteps} warmup steps, cosine to step ${m.plannedSteps}; Nesterov momentum 0.9, EMA 0.999, label smoothing 0.1 (nf-train's Fashion-MNIST preset).`;
      message('training…');
      break;
    case 'step': {
      const s = m.metrics;
      record.steps.push(s);
      $('step').textContent = String(s.step);
      $('loss').textContent = s.loss.toFixed(4);
      $('speed').textContent = `${s.imgPerSec.toFixed(1)} img/s`;
      $('tensors').textContent = `${s.numTensors} (${(s.numBytes / 2 ** 20).toFixed(1)} MiB)`;
      drawCharts();
      break;
    }
    case 'eval':
      record.evals.push(m.metrics);
      message(`step ${m.metrics.step}: test top-1 ${(m.metrics.accuracy * 100).toFixed(1)} % on ${m.metrics.examples} images (EMA weights)`);
      drawCharts();
      break;
    case 'spp': {
      record.spp.push({ label: m.label, sites: m.sites, finalVariance: m.finalVariance });
      const target = m.label === 'initialisation' ? 'spp-init' : 'spp-trained';
      $(target).innerHTML = `<h3>${m.label === 'initialisation' ? 'At initialisation' : `Trained (${m.label})`}</h3>${m.svg}`;
      if (record.state !== 'training' && record.state !== 'done') message('');
      break;
    }
    case 'done':
      record.done = { steps: m.steps, seconds: m.seconds, stepsPerSecond: m.stepsPerSecond, stopped: m.stopped };
      record.state = 'done';
      document.body.dataset.state = 'done';
      startButton.disabled = false;
      stopButton.disabled = true;
      message(`${m.stopped ? 'stopped' : 'done'}: ${m.steps} steps in ${m.seconds.toFixed(1)} s (${m.stepsPerSecond.toFixed(2)} steps/s)${record.evals.length ? `; test top-1 ${(record.evals.at(-1)!.accuracy * 100).toFixed(1)} %` : ''}.`);
      break;
    case 'model-loaded':
      record.modelLoaded = { description: m.description, classNames: m.classNames };
      $('model-info').textContent = `Loaded ${m.description} (${m.classNames.length} classes). Images are classified with it.`;
      classifySource = 'loaded';
      break;
    case 'prediction': {
      record.predictions.push({ source: m.source, top: m.top });
      $('predictions').innerHTML = m.top.map((p) => `<li>${escapeHtml(p.name)} — ${(p.probability * 100).toFixed(1)} %</li>`).join('');
      break;
    }
    case 'error':
      record.errors.push(m.message);
      message(m.message, 'error');
      if (record.state === 'training') {
        record.state = 'error';
        document.body.dataset.state = 'error';
        startButton.disabled = false;
        stopButton.disabled = true;
      }
      break;
  }
};
worker.onerror = (e) => {
  record.errors.push(e.message);
  record.state = 'error';
  document.body.dataset.state = 'error';
  message(`the training worker failed: ${e.message}`, 'error');
};

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// ---- classification ------------------------------------------------------------------------
let classifySource: 'trained' | 'loaded' = 'trained';
const canvas = $<HTMLCanvasElement>('draw');
const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
function clearCanvas(): void {
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
}
clearCanvas();
let drawing = false;
canvas.addEventListener('pointerdown', (e) => {
  drawing = true;
  canvas.setPointerCapture(e.pointerId);
  ctx.beginPath();
  ctx.moveTo(e.offsetX, e.offsetY);
});
canvas.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 16;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.lineTo(e.offsetX, e.offsetY);
  ctx.stroke();
});
canvas.addEventListener('pointerup', () => {
  drawing = false;
  classifyCanvas();
});
$('clear').addEventListener('click', clearCanvas);
$('classify-drawing').addEventListener('click', classifyCanvas);

function classifyCanvas(): void {
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  send({ type: 'classify', rgba: img.data, width: img.width, height: img.height, source: classifySource });
}

async function classifyFile(file: File): Promise<void> {
  try {
    const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    const off = new OffscreenCanvas(bitmap.width, bitmap.height);
    const c = off.getContext('2d', { willReadFrequently: true })!;
    c.drawImage(bitmap, 0, 0);
    const img = c.getImageData(0, 0, bitmap.width, bitmap.height, { colorSpace: 'srgb' });
    // Show it on the drawing canvas too (scaled), so the visitor sees what was classified.
    clearCanvas();
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    send({ type: 'classify', rgba: img.data, width: img.width, height: img.height, source: classifySource });
  } catch (e) {
    message(`${file.name} could not be read as an image: ${e instanceof Error ? e.message : String(e)}`, 'error');
  }
}

const imageInput = $<HTMLInputElement>('image-file');
imageInput.addEventListener('change', () => {
  const f = imageInput.files?.[0];
  if (f) void classifyFile(f);
});
const modelInput = $<HTMLInputElement>('model-files');
modelInput.addEventListener('change', () => {
  const files = [...(modelInput.files ?? [])];
  if (files.length) send({ type: 'load-model', files });
});
for (const [zone, onFiles] of [
  ['image-drop', (files: File[]) => files[0] && void classifyFile(files[0])],
  ['model-drop', (files: File[]) => files.length && send({ type: 'load-model', files })],
] as const) {
  const el = $(zone);
  el.addEventListener('dragover', (e) => {
    e.preventDefault();
    el.classList.add('over');
  });
  el.addEventListener('dragleave', () => el.classList.remove('over'));
  el.addEventListener('drop', (e) => {
    e.preventDefault();
    el.classList.remove('over');
    onFiles([...(e.dataTransfer?.files ?? [])]);
  });
}

// ---- start -----------------------------------------------------------------------------------
showKnobs();
drawCharts();
if (problems.length) message(problems.join(' '), 'error');
if (params.autostart) start();
else knobsChanged();
