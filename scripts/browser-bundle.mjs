/**
 * Bundles a package entry the way a web app's bundler does (esbuild, `platform: 'browser'`, ESM,
 * `@tensorflow/*` external) and reports what would break in a browser: esbuild's errors (a `node:`
 * module or a Node builtin such as `fs` cannot be resolved for the browser), bundled inputs that are
 * Node-only packages (sharp, worker_threads, detect-libc…), and `process.` / `Buffer.` uses that are
 * not guarded by a `typeof` check on the same line. Used by each package's browser-bundle test (on
 * src/) and by scripts/pack-test.mjs (on the installed tarballs).
 */
import { build } from 'esbuild';

const NODE_ONLY = /(^|[\\/])(sharp|detect-libc|worker_threads|node:[\w/]+)([\\/]|$)/;

/**
 * @param {string} entry a file path, or a package specifier resolved from `resolveDir`
 * @param {{ resolveDir?: string, minify?: boolean }} [options]
 * @returns {Promise<{ problems: string[], bytes: Uint8Array | undefined }>}
 */
export async function browserBundle(entry, options = {}) {
  const problems = [];
  let result;
  try {
    result = await build({
      stdin: { contents: `export * from ${JSON.stringify(entry)};`, resolveDir: options.resolveDir ?? process.cwd(), loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      minify: options.minify ?? false,
      logLevel: 'silent',
      external: ['@tensorflow/*'],
    });
  } catch (error) {
    for (const e of error.errors ?? [{ text: String(error) }]) {
      problems.push(`${e.text}${e.location ? ` (imported by ${e.location.file}:${e.location.line})` : ''}`);
    }
    return { problems, bytes: undefined };
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    if (NODE_ONLY.test(input)) problems.push(`bundles the Node-only module ${input}`);
  }
  const text = result.outputFiles[0].text;
  text.split('\n').forEach((line, i) => {
    for (const global of ['process', 'Buffer']) {
      if (new RegExp(`\\b${global}\\.`).test(line) && !line.includes(`typeof ${global}`)) problems.push(`uses ${global} without a typeof guard (bundle line ${i + 1}: ${line.trim().slice(0, 120)})`);
    }
  });
  return { problems, bytes: result.outputFiles[0].contents };
}
