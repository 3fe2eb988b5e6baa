import type { Browser, Page } from 'puppeteer-core';

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** What the page publishes as `window.__nfPlayground` (src/main.ts). */
export interface PageRecord {
  state: 'idle' | 'training' | 'done' | 'error';
  backend?: string;
  adapter?: string;
  fellBackFrom?: { name: string; reason: string };
  steps: Array<{ step: number; loss: number; accuracy: number; lr: number; gradNorm: number; clipFraction: number; imgPerSec: number; numTensors: number; numBytes: number }>;
  evals: Array<{ step: number; loss: number; accuracy: number; examples: number }>;
  spp: Array<{ label: string; sites: number; finalVariance: number }>;
  done?: { steps: number; seconds: number; stepsPerSecond: number; stopped: boolean };
  predictions: Array<{ source: string; top: Array<{ index: number; name: string; probability: number }> }>;
  modelLoaded?: { description: string; classNames: string[] };
  errors: string[];
}

export function serveStatic(root: string): Promise<StaticServer>;
export function launchChromium(executablePath: string): Promise<Browser>;
export function readRecord(page: Page): Promise<PageRecord>;
export function waitFor(page: Page, test: (r: PageRecord) => boolean, what: string, timeoutMs: number): Promise<PageRecord>;
