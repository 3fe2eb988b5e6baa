import { describe, expect, it } from 'vitest';
import { parsePageParams, PAGE_DEFAULTS } from './url-params.js';
import { DEFAULT_KNOBS } from './protocol.js';

describe('the page URL', () => {
  it('is the defaults when empty', () => {
    const { params, problems } = parsePageParams('');
    expect(problems).toEqual([]);
    expect(params).toEqual({ ...PAGE_DEFAULTS, knobs: DEFAULT_KNOBS });
  });

  it('?autostart=1&steps=N&backend=… starts a run as described', () => {
    const { params, problems } = parsePageParams('?autostart=1&steps=25&backend=webgl&batch=16&seed=7&model=nfnet_tiny_mnist&agc=0&ws=0&gamma=1&alpha=0.5&clipping=0.01');
    expect(problems).toEqual([]);
    expect(params).toMatchObject({ autostart: true, steps: 25, backend: 'webgl', batchSize: 16, seed: 7, model: 'nfnet_tiny_mnist' });
    expect(params.knobs).toEqual({ agc: false, ws: false, gamma: 1, alpha: 0.5, clipping: 0.01 });
  });

  it.each([
    ['?backend=cuda', /backend=cuda is not one of webgpu, webgl, wasm, cpu; using webgpu/],
    ['?steps=0', /steps=0 is not a whole number from 1/],
    ['?steps=2.5', /steps=2.5 is not a whole number/],
    ['?batch=abc', /batch=abc is not a whole number/],
    ['?autostart=maybe', /autostart=maybe is not 1 or 0/],
    ['?gamma=-1', /gamma=-1 is not a number from 0.01 to 100/],
  ])('%s is reported and the default kept', (search, problem) => {
    const { params, problems } = parsePageParams(search);
    expect(problems.join(' ')).toMatch(problem);
    expect(params.backend).toBe('webgpu');
    expect(params.steps).toBe(PAGE_DEFAULTS.steps);
  });
});
