/**
 * What the browser tests and the speed script share: the built page served on localhost (with the
 * cross-origin isolation headers the dev server sends, so the wasm backend may use threads), and
 * Debian's Chromium started headless with WebGPU and WebGL on SwiftShader and its background network
 * traffic off (this machine's network is closed). Types: browser.d.mts.
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** Serves the files of `root` (nothing outside it) on 127.0.0.1 at a free port. */
export async function serveStatic(root) {
  const base = path.resolve(root);
  const server = createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end('bad path');
      return;
    }
    const file = path.resolve(base, `.${pathname.endsWith('/') ? `${pathname}index.html` : pathname}`);
    const inside = file === base || file.startsWith(base + path.sep);
    const stat = inside ? statSync(file, { throwIfNoEntry: false }) : undefined;
    if (!stat?.isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      // .gz files are data (the IDX archives), sent as they are: no Content-Encoding.
      'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
      'Content-Length': stat.size,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Headless Chromium with WebGPU (on SwiftShader's Vulkan) and WebGL (on SwiftShader) enabled. */
export function launchChromium(executablePath) {
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--use-webgpu-adapter=swiftshader',
      '--enable-unsafe-swiftshader',
      '--ignore-gpu-blocklist',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
    protocolTimeout: 900_000,
  });
}

/** What the page publishes as `window.__nfPlayground` (see src/main.ts), copied out of the page. */
export function readRecord(page) {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.__nfPlayground)));
}

/** Polls the page's record until `test` holds; fails on a page error or after `timeoutMs`. */
export async function waitFor(page, test, what, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await readRecord(page);
    if (r.errors.length) throw new Error(`the page reported: ${r.errors.join(' | ')}`);
    if (test(r)) return r;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; page state ${r.state}, ${r.steps.length} steps`);
    await new Promise((res) => setTimeout(res, 250));
  }
}
