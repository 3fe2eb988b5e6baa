/**
 * Compiles a WebAssembly text file (SIMD enabled) into a TypeScript module exporting its bytes as
 * base64, with wabt from npm. The output is committed, so building and testing need no compiler;
 * each package's tests check that it matches its .wat (`compileWat` + `renderWasmModule`).
 *
 *   node scripts/wat-to-ts.mjs <input.wat> <output.ts> <EXPORT_NAME> [--check]
 * `--check` exits 1, writing nothing, when the output is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

/** The module's bytes (base64) compiled from the .wat at `path`. */
export async function compileWat(path) {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(basename(path), readFileSync(path, 'utf8'), { simd: true });
  try {
    mod.validate();
    return Buffer.from(mod.toBinary({ log: false, write_debug_names: false }).buffer).toString('base64');
  } finally {
    mod.destroy();
  }
}

/** The text of the generated TypeScript module. */
export function renderWasmModule(base64, exportName, watName) {
  return [
    `// Generated from ${watName} by scripts/wat-to-ts.mjs (the package's \`build:wasm\` script); do not edit.`,
    `export const ${exportName} =\n  '${base64}';`,
    '',
  ].join('\n');
}

/** Compiles `input` and renders it as the output file holds it. */
export async function renderWat(input, exportName) {
  return renderWasmModule(await compileWat(input), exportName, basename(input));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, exportName] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  if (!input || !output || !exportName) {
    console.error('usage: node scripts/wat-to-ts.mjs <input.wat> <output.ts> <EXPORT_NAME> [--check]');
    process.exit(2);
  }
  const text = await renderWat(input, exportName);
  if (process.argv.includes('--check')) {
    if (readFileSync(output, 'utf8') !== text) {
      console.error(`${output} is out of date with ${input}: rebuild it.`);
      process.exit(1);
    }
  } else {
    writeFileSync(output, text);
    console.log(`wrote ${output}`);
  }
}
