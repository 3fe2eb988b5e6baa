/**
 * The page's URL as a run description, for automated runs and demos:
 * `?autostart=1&steps=N&backend=webgpu|webgl|wasm|cpu` starts training at once; `batch`, `seed`,
 * `evalLimit`, `evalEvery`, `trainLimit`, `model`, `agc=0`, `ws=0`, `clipping`, `gamma`, `alpha` set the rest.
 * A malformed value is reported (not silently replaced) and the default used.
 */
import { BACKEND_ORDER, DEFAULT_KNOBS, type BackendName, type Knobs } from './protocol.js';

export interface PageParams {
  autostart: boolean;
  backend: BackendName;
  steps: number;
  batchSize: number;
  seed: number;
  evalEvery: number;
  evalLimit: number;
  trainLimit: number;
  model?: string;
  knobs: Knobs;
}

export const PAGE_DEFAULTS: Omit<PageParams, 'knobs'> = {
  autostart: false,
  backend: 'webgpu',
  steps: 150,
  batchSize: 64,
  seed: 0,
  evalEvery: 50,
  evalLimit: 1000,
  trainLimit: 0,
};

export function parsePageParams(search: string): { params: PageParams; problems: string[] } {
  const q = new URLSearchParams(search);
  const problems: string[] = [];
  const int = (key: string, fallback: number, min: number, max: number): number => {
    const raw = q.get(key);
    if (raw === null || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min || v > max) {
      problems.push(`${key}=${raw} is not a whole number from ${min} to ${max}; using ${fallback}.`);
      return fallback;
    }
    return v;
  };
  const num = (key: string, fallback: number | undefined, min: number, max: number): number | undefined => {
    const raw = q.get(key);
    if (raw === null || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) {
      problems.push(`${key}=${raw} is not a number from ${min} to ${max}; using ${fallback ?? 'the default'}.`);
      return fallback;
    }
    return v;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const raw = q.get(key);
    if (raw === null) return fallback;
    if (['1', 'true', 'on', 'yes', ''].includes(raw)) return true;
    if (['0', 'false', 'off', 'no'].includes(raw)) return false;
    problems.push(`${key}=${raw} is not 1 or 0; using ${fallback ? 1 : 0}.`);
    return fallback;
  };
  let backend = PAGE_DEFAULTS.backend;
  const b = q.get('backend');
  if (b !== null) {
    if ((BACKEND_ORDER as readonly string[]).includes(b)) backend = b as BackendName;
    else problems.push(`backend=${b} is not one of ${BACKEND_ORDER.join(', ')}; using ${backend}.`);
  }
  const model = q.get('model');
  const gamma = num('gamma', undefined, 0.01, 100);
  const knobs: Knobs = {
    clipping: num('clipping', DEFAULT_KNOBS.clipping, 1e-4, 100)!,
    agc: flag('agc', DEFAULT_KNOBS.agc),
    ws: flag('ws', DEFAULT_KNOBS.ws),
    alpha: num('alpha', DEFAULT_KNOBS.alpha, 0.01, 10)!,
    ...(gamma !== undefined ? { gamma } : {}),
  };
  return {
    params: {
      autostart: flag('autostart', false),
      backend,
      steps: int('steps', PAGE_DEFAULTS.steps, 1, 1_000_000),
      batchSize: int('batch', PAGE_DEFAULTS.batchSize, 1, 4096),
      seed: int('seed', PAGE_DEFAULTS.seed, 0, 2 ** 31 - 1),
      evalEvery: int('evalEvery', PAGE_DEFAULTS.evalEvery, 0, 1_000_000),
      evalLimit: int('evalLimit', PAGE_DEFAULTS.evalLimit, 0, 1_000_000),
      trainLimit: int('trainLimit', PAGE_DEFAULTS.trainLimit, 0, 1_000_000),
      ...(model ? { model } : {}),
      knobs,
    },
    problems,
  };
}
