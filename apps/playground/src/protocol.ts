/** Messages between the page and its training worker (structured-clone safe: plain data, Files). */
import type { EvalMetrics, StepMetrics } from './session.js';

/** What the visitor can change; each one matters to signal propagation or to training. */
export interface Knobs {
  /** AGC λ (clipping threshold of ‖G‖/‖W‖ per unit). */
  clipping: number;
  /** AGC on (λ as above) or off (no clipping). */
  agc: boolean;
  /** Scaled Weight Standardization on, or plain convolutions (the ablation). */
  ws: boolean;
  /** The activation's gamma; undefined = GELU's own (1.7015…). */
  gamma?: number;
  /** The residual branches' α. */
  alpha: number;
}

/** nf-train's Fashion-MNIST recipe (λ 0.04, α 0.2; a test checks them against the preset), kept here
 * so the page's own thread needs no tfjs. */
export const DEFAULT_KNOBS: Knobs = { clipping: 0.04, agc: true, ws: true, alpha: 0.2 };

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Preference order when the requested backend cannot start. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface StartRequest {
  type: 'start';
  backend: BackendName;
  /** Steps to train (the schedule plans for them). */
  steps: number;
  batchSize: number;
  seed: number;
  knobs: Knobs;
  /** Evaluate on this many test images every `evalEvery` steps and at the end (0 = only at the end). */
  evalEvery: number;
  evalLimit: number;
  /** Training examples used (0 = the whole bundled subset). */
  trainLimit: number;
  model?: string;
}

export type ToWorker =
  | StartRequest
  | { type: 'stop' }
  | { type: 'spp'; knobs: Knobs; seed: number; backend: BackendName; model?: string }
  /** Load an nf-train model folder (model.json, weights, labels.json) or a safetensors file for the current architecture. */
  | { type: 'load-model'; files: File[] }
  /** Classify RGBA pixels (an image drawn or dropped on the page). */
  | { type: 'classify'; rgba: Uint8ClampedArray; width: number; height: number; source: 'trained' | 'loaded' };

export interface BackendInfo {
  name: BackendName;
  /** What the backend runs on: the WebGPU adapter's vendor/architecture/description, WebGL's renderer. */
  adapter: string;
  /** Set when the requested backend could not start and another one was used. */
  fellBackFrom?: { name: BackendName; reason: string };
}

export interface Prediction {
  index: number;
  name: string;
  probability: number;
}

export type FromWorker =
  | { type: 'backend'; info: BackendInfo }
  | { type: 'status'; text: string }
  | { type: 'ready'; params: number; trainSize: number; testSize: number; plannedSteps: number; warmupSteps: number; peakLr: number; model: string }
  | { type: 'step'; metrics: StepMetrics }
  | { type: 'eval'; metrics: EvalMetrics }
  | { type: 'spp'; label: string; svg: string; sites: number; finalVariance: number }
  | { type: 'done'; steps: number; seconds: number; stepsPerSecond: number; stopped: boolean }
  | { type: 'model-loaded'; description: string; classNames: string[] }
  | { type: 'prediction'; source: 'trained' | 'loaded'; top: Prediction[] }
  | { type: 'error'; message: string };

/** Everything the worker reported, as the page publishes it in `window.__nfPlayground` for automated
 * runs (the browser tests and the speed script read it). */
export interface PlaygroundState {
  state: 'idle' | 'training' | 'done' | 'error';
  backend?: string;
  adapter?: string;
  fellBackFrom?: { name: string; reason: string };
  steps: StepMetrics[];
  evals: EvalMetrics[];
  spp: Array<{ label: string; sites: number; finalVariance: number }>;
  done?: { steps: number; seconds: number; stepsPerSecond: number; stopped: boolean };
  predictions: Array<{ source: string; top: Prediction[] }>;
  modelLoaded?: { description: string; classNames: string[] };
  errors: string[];
}
