import type { Browser, Page } from 'puppeteer-core';
import type { PlaygroundState } from '../src/protocol.js';

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** What the page publishes as `window.__nfPlayground`. */
export type PageRecord = PlaygroundState;

export function serveStatic(root: string): Promise<StaticServer>;
export function launchChromium(executablePath: string): Promise<Browser>;
export function readRecord(page: Page): Promise<PageRecord>;
export function waitFor(page: Page, test: (r: PageRecord) => boolean, what: string, timeoutMs: number): Promise<PageRecord>;
