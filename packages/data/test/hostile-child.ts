/**
 * One reader on one file in a process of its own, for the memory bounds of the hostile-input
 * suite (bundled by global-setup.ts to HOSTILE_CHILD). argv[2] is JSON `[op, file, options]`;
 * it prints one JSON line: `{ ok, code, message, rssMiB }`, where rssMiB is the process's peak
 * resident memory — what a gzip or pixel bomb would blow up.
 */
import { readFileSync } from 'node:fs';
import { decodeImage, loadSharp } from '../src/decode.js';
import { loadIdx } from '../src/idx-file.js';
import { imageFolder } from '../src/image-folder.js';
import { readImage } from '../src/file-example-reader.js';
import { decodeIdx } from '../src/idx.js';

const [op, file, options] = JSON.parse(process.argv[2] ?? '["noop"]') as [string, string, Record<string, number>];

async function main(): Promise<Record<string, unknown>> {
  await loadSharp(); // every run holds the same modules, so peaks compare with the 'noop' baseline
  if (op === 'loadIdx') {
    const { shape } = await loadIdx(file, options);
    return { shape };
  }
  if (op === 'decodeIdx') {
    const { shape } = await decodeIdx(readFileSync(file), options); // the browser path: DecompressionStream
    return { shape };
  }
  if (op === 'decodeImage') {
    const { width, height } = await decodeImage(readFileSync(file), 3, { ...options, name: file });
    return { width, height };
  }
  if (op === 'readImage') {
    const { width, height } = await readImage(await imageFolder(file, options), 0); // `file` is the image folder
    return { width, height };
  }
  return {};
}

main().then(
  (result) => ({ ok: true, ...result }),
  (error: { code?: string; message?: string }) => ({ ok: false, code: error?.code, message: error?.message }),
).then((out) => {
  process.stdout.write(`${JSON.stringify({ ...out, rssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
});
