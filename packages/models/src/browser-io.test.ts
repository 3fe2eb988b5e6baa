/**
 * The main entry's loaders and savers, which run in a browser: a model saved by the Node path loads
 * from ArrayBuffers, Blobs, Files, a URL, a tfjs store (the IndexedDB path, through a registered
 * router) and tfjs' `downloads://` files, with identical weights and metadata; timm safetensors from
 * an ArrayBuffer, a Blob or a URL equal the file path's; hostile input through every byte path gets
 * the file path's error (code and words).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { onAllocation } from './allocation.js';
import {
  createModel,
  loadModel,
  loadSafetensors,
  loadTimmCheckpoint,
  modelMetadata,
  ModelsError,
  readSafetensors,
  saveModel,
  saveTimmCheckpoint,
  type ModelsErrorCode,
} from './index.js';
import * as node from './node.js';
import { quote } from './quote.js';

const META = { trainSize: 28, testSize: [32, 30] as [number, number], classNames: ['a', 'b', 'c'], normalization: { mean: [0.5], std: [0.25] }, dataset: 'test set' };

let root: string;
let dir: string;
let jsonBytes: Uint8Array;
let weightBytes: Uint8Array;
let expectedWeights: Float32Array[];
let expectedMeta: unknown;
let server: Server;
let base: string;
/** What the test server answers: path → body and whether to send a Content-Length. */
const served = new Map<string, { body: Uint8Array; length?: boolean; status?: number }>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  root = mkdtempSync(path.join(tmpdir(), 'nf-browser-io-'));
  dir = path.join(root, 'saved');
  const model = createModel('nfnet_tiny_mnist', { numClasses: 3 });
  await node.saveModel(model, dir, { metadata: META });
  expectedWeights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  jsonBytes = readFileSync(path.join(dir, 'model.json'));
  weightBytes = readFileSync(path.join(dir, 'weights.bin'));
  expectedMeta = JSON.parse(new TextDecoder().decode(jsonBytes)).userDefinedMetadata;
  server = createServer((req, res) => {
    // One request per connection: a kept-alive socket the server times out (5 s) while fetch reuses
    // it fails as 'fetch failed' on a loaded machine (seen in CI).
    res.setHeader('connection', 'close');
    const entry = served.get(new URL(req.url!, 'http://x').pathname);
    if (!entry) {
      res.writeHead(404, 'Not Found').end();
      return;
    }
    res.writeHead(entry.status ?? 200, entry.length === false ? {} : { 'content-length': entry.body.byteLength });
    if (entry.length === false) {
      // Chunked, in pieces: a body without a declared length.
      for (let at = 0; at < entry.body.byteLength; at += 16) res.write(entry.body.subarray(at, at + 16));
      res.end();
    } else res.end(entry.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

const buffer = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

async function expectSame(model: tf.LayersModel): Promise<void> {
  const weights = model.getWeights();
  expect(weights.length).toBe(expectedWeights.length);
  weights.forEach((w, i) => expect(w.dataSync()).toEqual(expectedWeights[i]));
  expect(model.getUserDefinedMetadata()).toEqual(expectedMeta);
  expect(modelMetadata(model)).toEqual({ trainSize: [28, 28], testSize: [32, 30], channels: 1, classNames: ['a', 'b', 'c'], normalization: { mean: [0.5], std: [0.25] }, dataset: 'test set', imports: ['@nf/models'] });
  model.dispose();
}

async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await fn();
    if (value && typeof (value as tf.LayersModel).dispose === 'function') (value as tf.LayersModel).dispose();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function expectError(error: unknown, code: ModelsErrorCode, match: RegExp, names: string[] = []): void {
  expect(error, String(error)).toBeInstanceOf(ModelsError);
  const e = error as ModelsError;
  expect(e.code, e.message).toBe(code);
  expect(e.message).not.toMatch(/[\u0000-\u001f\u007f\u2028\u2029]/);
  expect(e.message).toMatch(match);
  for (const name of names) expect(e.message).toContain(quote(name));
}

describe('loadModel from bytes, Blobs and Files (what a page has)', () => {
  it('ArrayBuffers, Uint8Arrays, Blobs and a File list give the Node path’s weights and metadata', async () => {
    const before = tf.memory().numTensors;
    await expectSame(await loadModel({ 'model.json': buffer(jsonBytes), 'weights.bin': buffer(weightBytes) }));
    await expectSame(await loadModel({ 'model.json': jsonBytes, 'weights.bin': weightBytes }));
    await expectSame(await loadModel({ 'model.json': new Blob([jsonBytes]), 'weights.bin': new Blob([weightBytes]) }));
    await expectSame(await loadModel([new File([weightBytes], 'weights.bin'), new File([jsonBytes], 'model.json'), new File(['x'], 'notes.txt')]));
    // The Node entry's loadModel takes the same sources.
    await expectSame(await node.loadModel({ 'model.json': jsonBytes, 'weights.bin': weightBytes }));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('split shards, names with ./ and a lone differently named .json are found', async () => {
    const json = JSON.parse(new TextDecoder().decode(jsonBytes));
    json.weightsManifest[0].paths = ['./shards/a.bin', 'b.bin'];
    const files = { 'my-model.json': new TextEncoder().encode(JSON.stringify(json)), 'shards/a.bin': weightBytes.subarray(0, 100), 'b.bin': weightBytes.subarray(100) };
    await expectSame(await loadModel(files));
    // Files carry base names only (a folder drop): a unique base name matches.
    await expectSame(await loadModel([new File([files['my-model.json']], 'my-model.json'), new File([weightBytes.subarray(0, 100)], 'a.bin'), new File([weightBytes.subarray(100)], 'b.bin')]));
  });

  /** model.json edited by `edit`, with `weights` as the files: the same error as the folder gets. */
  const edited = (edit: (json: any) => void, weights: Record<string, Uint8Array> = { 'weights.bin': weightBytes }) => {
    const json = JSON.parse(new TextDecoder().decode(jsonBytes));
    edit(json);
    return { 'model.json': new TextEncoder().encode(JSON.stringify(json)), ...weights };
  };
  const CASES: Array<{ name: string; files: () => Record<string, Uint8Array>; code: ModelsErrorCode; match: RegExp; options?: object }> = [
    { name: "a weights path with '..'", files: () => edited((j) => (j.weightsManifest[0].paths = ['../x/weights.bin'])), code: 'OUTSIDE_FOLDER', match: /'model\.json' names weights file '\.\.\/x\/weights\.bin', a path with a '\.\.' segment/ },
    { name: 'an absolute path', files: () => edited((j) => (j.weightsManifest[0].paths = ['/etc/passwd'])), code: 'OUTSIDE_FOLDER', match: /names weights file '\/etc\/passwd', an absolute path/ },
    { name: 'a missing weights file', files: () => edited(() => undefined, {}), code: 'IO', match: /Cannot read weights file 'weights\.bin' \(named by 'model\.json'\): it is not among the given files \('model\.json'\)/ },
    { name: 'the same file listed twice', files: () => edited((j) => (j.weightsManifest[0].paths = ['weights.bin', './weights.bin'])), code: 'BAD_FILE', match: /weights file '\.\/weights\.bin' is listed twice/ },
    { name: 'an empty path', files: () => edited((j) => (j.weightsManifest[0].paths = [''])), code: 'BAD_FILE', match: /a weights path must be a non-empty file name/ },
    { name: 'weights.bin with extra bytes', files: () => edited(() => undefined, { 'weights.bin': Uint8Array.from([...weightBytes, 1, 2, 3, 4]) }), code: 'BAD_FILE', match: /'weights\.bin' of weightsManifest\[0\] holds \d+ bytes, but its weight specs need exactly \d+ \(4 extra bytes\)/ },
    { name: 'weights.bin truncated', files: () => edited(() => undefined, { 'weights.bin': weightBytes.subarray(0, weightBytes.length - 2) }), code: 'BAD_FILE', match: /holds \d+ bytes, but its weight specs need exactly \d+ \(2 bytes missing: truncated\)/ },
    { name: 'model.json null', files: () => ({ 'model.json': new TextEncoder().encode('null'), 'weights.bin': weightBytes }), code: 'BAD_FILE', match: /'model\.json': is not a tfjs layers model \(a JSON object\), received null/ },
    { name: 'model.json truncated', files: () => ({ 'model.json': jsonBytes.subarray(0, 50), 'weights.bin': weightBytes }), code: 'BAD_FILE', match: /is not valid UTF-8 JSON/ },
    { name: 'model.json over maxModelJsonBytes', files: () => ({ 'model.json': jsonBytes, 'weights.bin': weightBytes }), options: { maxModelJsonBytes: 100 }, code: 'TOO_LARGE', match: /'model\.json' is \d+ bytes, over the limit of 100 \(maxModelJsonBytes\)/ },
    { name: 'weights over maxBytes', files: () => ({ 'model.json': jsonBytes, 'weights.bin': weightBytes }), options: { maxBytes: 100 }, code: 'TOO_LARGE', match: /its weight specs need \d+ bytes, over the limit of 100 \(maxBytes\)/ },
    { name: 'a weight spec declaring 4 TB', files: () => edited((j) => (j.weightsManifest[0].weights[0].shape = [1_000_000, 1_000_000])), code: 'TOO_LARGE', match: /over the limit of 4294967296 \(maxBytes\)/ },
    { name: 'a weight spec with dtype string', files: () => edited((j) => (j.weightsManifest[0].weights[0].dtype = 'string')), code: 'BAD_FILE', match: /has dtype 'string'; supported: float32, int32, bool, complex64/ },
    { name: 'bad nf metadata', files: () => edited((j) => (j.userDefinedMetadata.nf.classNames = 'abc')), code: 'BAD_FILE', match: /its metadata nf\.classNames must be a list/ },
    { name: 'an unknown layer class', files: () => edited((j) => (j.modelTopology.config.layers[1].class_name = 'Evil\nLayer')), code: 'BAD_FILE', match: /tfjs-layers cannot build the model from it \(Unknown layer: Evil Layer/ },
  ];

  it.each(CASES)('$name → $code, as from a folder, planning nothing beyond the bytes given', async ({ files, code, match, options }) => {
    const before = tf.memory().numTensors;
    let largest = 0;
    const off = onAllocation((bytes) => (largest = Math.max(largest, bytes)));
    const error = await caught(() => loadModel(files(), options));
    off();
    expectError(error, code, match);
    expect(largest).toBeLessThanOrEqual(jsonBytes.length + weightBytes.length);
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 60); // tfjs-layers' own leak when it refuses a model (README)
  });

  it('the folder loader gives the same words for the same damage', async () => {
    const damaged = path.join(root, 'damaged');
    await node.saveModel(await node.loadModel(dir), damaged);
    writeFileSync(path.join(damaged, 'weights.bin'), weightBytes.subarray(0, weightBytes.length - 2));
    const fromFolder = (await caught(() => node.loadModel(damaged))) as ModelsError;
    const fromBytes = (await caught(() => loadModel({ 'model.json': readFileSync(path.join(damaged, 'model.json')), 'weights.bin': weightBytes.subarray(0, weightBytes.length - 2) }))) as ModelsError;
    expect(fromBytes.code).toBe(fromFolder.code);
    const words = (m: string) => m.replace(/'[^']*'/g, 'NAME');
    expect(words(fromBytes.message)).toBe(words(fromFolder.message));
  });

  it('bad arguments: a path string in the main entry, no model.json, a non-File in the list', async () => {
    expectError(await caught(() => loadModel('./checkpoints/f0')), 'BAD_CONFIG', /loadModel: '\.\/checkpoints\/f0' is not a URL; .*import \{ saveModel, loadModel \} from '@nf\/models\/node'/);
    expectError(await caught(() => loadModel({ 'weights.bin': weightBytes })), 'BAD_CONFIG', /no model\.json among the given files \('weights\.bin'\)/);
    expectError(await caught(() => loadModel([null as unknown as File])), 'BAD_CONFIG', /file 0 of the list is null, not a File/);
    expectError(await caught(() => loadModel('blob:http://x/1')), 'BAD_CONFIG', /is a blob: URL, beside which no weight file can be found/);
    expectError(await caught(() => loadModel(42 as never)), 'BAD_CONFIG', /expected a URL, File objects/);
  });
});

describe('loadModel from a URL (fetch)', () => {
  const serve = (prefix: string, json: Uint8Array, weights: Record<string, { body: Uint8Array; length?: boolean }>) => {
    served.set(`${prefix}/model.json`, { body: json });
    for (const [name, w] of Object.entries(weights)) served.set(`${prefix}/${name}`, w);
  };
  const editedJson = (edit: (json: any) => void) => {
    const json = JSON.parse(new TextDecoder().decode(jsonBytes));
    edit(json);
    return new TextEncoder().encode(JSON.stringify(json));
  };

  it('a model.json URL (or its folder URL) loads with identical weights and metadata', async () => {
    serve('/m/ok', jsonBytes, { 'weights.bin': { body: weightBytes } });
    serve('/m/chunked', jsonBytes, { 'weights.bin': { body: weightBytes, length: false } });
    await expectSame(await loadModel(new URL(`${base}/m/ok/model.json`)));
    await expectSame(await loadModel(`${base}/m/ok/`));
    await expectSame(await loadModel(`${base}/m/chunked/model.json`));
    await expectSame(await node.loadModel(`${base}/m/ok/model.json`));
  });

  it('hostile manifests and bodies: outside the folder, extra, truncated, too large, missing', async () => {
    serve('/m/up', editedJson((j) => (j.weightsManifest[0].paths = ['../ok/weights.bin'])), {});
    serve('/m/encoded', editedJson((j) => (j.weightsManifest[0].paths = ['%2e%2e/ok/weights.bin'])), {});
    serve('/m/abs', editedJson((j) => (j.weightsManifest[0].paths = ['http://127.0.0.1:1/weights.bin'])), {});
    serve('/m/rooted', editedJson((j) => (j.weightsManifest[0].paths = ['/m/ok/weights.bin'])), {});
    serve('/m/extra', jsonBytes, { 'weights.bin': { body: Uint8Array.from([...weightBytes, 1, 2, 3, 4]) } });
    serve('/m/extra-chunked', jsonBytes, { 'weights.bin': { body: Uint8Array.from([...weightBytes, ...new Uint8Array(64)]), length: false } });
    serve('/m/short', jsonBytes, { 'weights.bin': { body: weightBytes.subarray(0, weightBytes.length - 2) } });
    serve('/m/missing', jsonBytes, {});
    serve('/m/null', new TextEncoder().encode('null'), {});
    const url = (p: string) => `${base}/m/${p}/model.json`;
    expectError(await caught(() => loadModel(url('up'))), 'OUTSIDE_FOLDER', /names weights file '\.\.\/ok\/weights\.bin', a path with a '\.\.' segment/);
    expectError(await caught(() => loadModel(url('encoded'))), 'OUTSIDE_FOLDER', /names weights file '%2e%2e\/ok\/weights\.bin', which resolves outside the folder/);
    expectError(await caught(() => loadModel(url('abs'))), 'OUTSIDE_FOLDER', /a URL of its own/);
    expectError(await caught(() => loadModel(url('rooted'))), 'OUTSIDE_FOLDER', /an absolute path/);
    expectError(await caught(() => loadModel(url('extra'))), 'BAD_FILE', /weights\.bin' of weightsManifest\[0\] holds \d+ bytes, but its weight specs need exactly \d+ \(4 extra bytes\)/, [url('extra')]);
    expectError(await caught(() => loadModel(url('extra-chunked'))), 'BAD_FILE', /holds more than \d+ bytes, but its weight specs need exactly \d+ \(extra bytes\)/);
    expectError(await caught(() => loadModel(url('short'))), 'BAD_FILE', /\(2 bytes missing: truncated\)/);
    expectError(await caught(() => loadModel(url('missing'))), 'IO', /Cannot read weights file '.*\/m\/missing\/weights\.bin': HTTP 404 Not Found\./);
    expectError(await caught(() => loadModel(url('null'))), 'BAD_FILE', /is not a tfjs layers model \(a JSON object\), received null/);
    expectError(await caught(() => loadModel(url('ok'), { maxModelJsonBytes: 100 })), 'TOO_LARGE', /model\.json' is \d+ bytes, over the limit of 100 \(maxModelJsonBytes\)/);
    expectError(await caught(() => loadModel(`${base}/nothing/model.json`)), 'IO', /Cannot read a model from '.*\/nothing\/model\.json': HTTP 404 Not Found\./);
  });
});

describe('saveModel through tfjs URLs and handlers, metadata kept', () => {
  it('a registered store (the IndexedDB path: save → artifacts → load) round-trips weights and metadata, and is checked on load', async () => {
    const store = new Map<string, tf.io.ModelArtifacts>();
    const scheme = 'memtest://';
    tf.io.registerSaveRouter((url) => (typeof url === 'string' && url.startsWith(scheme) ? { save: async (a) => (store.set(url, a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) } : (null as unknown as tf.io.IOHandler)));
    tf.io.registerLoadRouter((url) => (typeof url === 'string' && url.startsWith(scheme) ? { load: async () => store.get(url)! } : (null as unknown as tf.io.IOHandler)));
    const model = await loadModel({ 'model.json': jsonBytes, 'weights.bin': weightBytes });
    await saveModel(model, `${scheme}a`);
    model.dispose();
    await expectSame(await loadModel(`${scheme}a`));
    // A stored model with its weights cut short, or bad metadata, is refused like a file.
    const saved = store.get(`${scheme}a`)!;
    store.set(`${scheme}short`, { ...saved, weightData: (saved.weightData as ArrayBuffer).slice(0, 10) });
    expectError(await caught(() => loadModel(`${scheme}short`)), 'BAD_FILE', /'memtest:\/\/short': .*holds 10 bytes, but its weight specs need exactly \d+ \(\d+ bytes missing: truncated\)/);
    store.set(`${scheme}meta`, { ...saved, userDefinedMetadata: { nf: { trainSize: -1 } } });
    expectError(await caught(() => loadModel(`${scheme}meta`)), 'BAD_FILE', /its metadata nf\.trainSize must be/);
  });

  it('downloads:// writes model.json + weights that load back as Files (tfjs’ own handler, browser globals stubbed)', async () => {
    const blobs = new Map<string, Blob>();
    const anchors: Array<{ download: string; href: string }> = [];
    vi.stubGlobal('document', { createElement: () => { const a = { download: '', href: '', dispatchEvent: () => anchors.push(a) }; return a; } });
    vi.stubGlobal('window', { URL: { createObjectURL: (b: Blob) => { const u = `blob:${blobs.size}`; blobs.set(u, b); return u; } } });
    vi.stubGlobal('MouseEvent', class {});
    tf.env().set('IS_BROWSER', true);
    try {
      const model = await loadModel({ 'model.json': jsonBytes, 'weights.bin': weightBytes });
      await saveModel(model, 'downloads://my-model');
      model.dispose();
    } finally {
      tf.env().set('IS_BROWSER', false);
      vi.unstubAllGlobals();
    }
    expect(anchors.map((a) => a.download)).toEqual(['my-model.json', 'my-model.weights.bin']);
    const files = anchors.map((a) => new File([blobs.get(a.href)!], a.download));
    await expectSame(await loadModel(files));
  });

  it('a tf.io handler, and clear errors for what cannot be saved here', async () => {
    const model = await loadModel({ 'model.json': jsonBytes, 'weights.bin': weightBytes });
    let artifacts: tf.io.ModelArtifacts | undefined;
    await saveModel(model, tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { metadata: { dataset: 'other' } });
    expect((artifacts!.userDefinedMetadata as any).nf).toMatchObject({ dataset: 'other', classNames: ['a', 'b', 'c'], version: 1 });
    expectError(await caught(() => saveModel(model, 'indexeddb://x')), 'BAD_CONFIG', /saveModel: no tfjs save handler for 'indexeddb:\/\/x'; .*'@nf\/models\/node'/);
    expectError(await caught(() => saveModel(model, './out')), 'BAD_CONFIG', /no tfjs save handler for '\.\/out'/);
    expectError(await caught(() => saveModel(model, tf.io.withSaveHandler(async () => { throw new Error('quota\nexceeded'); }))), 'IO', /Cannot save the model to 'the given tf\.io handler': quota exceeded\./);
    model.dispose();
  });
});

describe('safetensors from an ArrayBuffer, a Blob or a URL', () => {
  let timmFile: string;
  let timmBytes: Uint8Array;
  beforeAll(() => {
    const model = createModel('nfnet_tiny_mnist', { numClasses: 3 });
    timmBytes = saveTimmCheckpoint(model);
    model.dispose();
    timmFile = path.join(root, 'tiny.safetensors');
    writeFileSync(timmFile, timmBytes);
    served.set('/tiny.safetensors', { body: timmBytes });
    served.set('/tiny-chunked.safetensors', { body: timmBytes, length: false });
  });

  it('loadTimmCheckpoint and loadSafetensors read the same tensors as from the file', async () => {
    const reference = createModel('nfnet_tiny_mnist', { numClasses: 3 });
    await node.loadTimmCheckpoint(reference, timmFile);
    const want = reference.getWeights().map((w) => w.dataSync());
    reference.dispose();
    for (const source of [buffer(timmBytes), new Blob([timmBytes]), new File([timmBytes], 'tiny.safetensors'), new URL(`${base}/tiny.safetensors`), `${base}/tiny-chunked.safetensors`]) {
      const model = createModel('nfnet_tiny_mnist', { numClasses: 3 });
      const report = await loadTimmCheckpoint(model, source);
      expect(report.missing).toEqual([]);
      model.getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(want[i]));
      model.dispose();
    }
    const fromFile = await node.loadSafetensors(timmFile);
    for (const source of [new Blob([timmBytes]), `${base}/tiny.safetensors`]) {
      const read = await loadSafetensors(source);
      expect(Object.keys(read.tensors)).toEqual(Object.keys(fromFile.tensors));
      for (const [k, t] of Object.entries(read.tensors)) expect(t).toEqual(fromFile.tensors[k]);
      expect(read.metadata).toEqual(fromFile.metadata);
    }
    expect(readSafetensors(buffer(timmBytes)).tensors).toEqual(fromFile.tensors);
  });

  it('hostile: over maxBytes and truncated give the file path’s errors', async () => {
    const model = createModel('nfnet_tiny_mnist', { numClasses: 3 });
    const fileError = (await caught(() => node.loadTimmCheckpoint(model, timmFile, { maxBytes: 16 }))) as ModelsError;
    expectError(fileError, 'TOO_LARGE', /is \d+ bytes, over the limit of 16 \(maxBytes\); pass a larger \{ maxBytes \}/);
    const words = (m: string) => m.replace(/'[^']*'/g, 'NAME');
    for (const source of [new File([timmBytes], 'tiny.safetensors'), `${base}/tiny.safetensors`]) {
      const e = (await caught(() => loadTimmCheckpoint(model, source, { maxBytes: 16 }))) as ModelsError;
      expect(e.code).toBe('TOO_LARGE');
      expect(words(e.message)).toBe(words(fileError.message));
    }
    expectError(await caught(() => loadTimmCheckpoint(model, `${base}/tiny-chunked.safetensors`, { maxBytes: 16 })), 'TOO_LARGE', /is more than 16 bytes, over the limit of 16 \(maxBytes\)/);
    const cut = timmBytes.subarray(0, timmBytes.length - 3);
    writeFileSync(path.join(root, 'cut.safetensors'), cut);
    const truncated = (await caught(() => node.loadTimmCheckpoint(model, path.join(root, 'cut.safetensors')))) as ModelsError;
    expect(truncated.code).toBe('BAD_FILE');
    for (const source of [buffer(cut), new Blob([cut])]) {
      const e = (await caught(() => loadTimmCheckpoint(model, source))) as ModelsError;
      expect(e.code).toBe('BAD_FILE');
      expect(words(e.message)).toBe(words(truncated.message));
    }
    served.set('/gone.safetensors', { body: new Uint8Array(0), status: 404 });
    expectError(await caught(() => loadTimmCheckpoint(model, `${base}/gone.safetensors`)), 'IO', /Cannot read checkpoint '.*\/gone\.safetensors': HTTP 404/);
    expectError(await caught(() => loadTimmCheckpoint(model, 'dm_nfnet_f0.safetensors')), 'BAD_CONFIG', /loadTimmCheckpoint: 'dm_nfnet_f0\.safetensors' is not a URL; .*import \{ loadTimmCheckpoint \} from '@nf\/models\/node'/);
    model.dispose();
  });
});
