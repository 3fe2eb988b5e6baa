/**
 * Compiles a WebAssembly text file (SIMD enabled) into a TypeScript module exporting its bytes as
 * base64, with wabt from npm. The output is committed, so building and testing need no compiler;
 * each package's tests check that it matches its .wat (`compileWat` + `renderWasmModule`).
 *
 *   node scripts/wat-to-ts.mjs <input.wat> <output.ts> <EXPORT_NAME> [--check]
 * `--check` exits 1, writing nothing, when the output is out of date.
 *
 * Relaxed-SIMD FMA from the same source: a multiply-add marked with the block comment `(;fma;)`
 * right after its operator, in folded form,
 *   (f32x4.add (;fma;) (f32x4.mul A B) C)   or  (f32x4.add (;fma;) C (f32x4.mul A B))   A·B + C
 *   (f32x4.sub (;fma;) C (f32x4.mul A B))                                                C − A·B
 *   (f32.add (;fma;) …) / (f32.sub (;fma;) …)  the same on scalars (the tails of vector loops)
 * is plain WebAssembly (the comment is ignored: EXPORT_NAME holds exactly the plain module), and
 * becomes `f32x4.relaxed_madd A B C` / `f32x4.relaxed_nmadd A B C` in a second module,
 * EXPORT_NAME_RELAXED, written only when the file has such marks. A scalar site becomes the same
 * vector instruction on splats (lane 0 extracted), so a value rounds alike in a vector lane and in
 * a tail. Relaxed madd is fused or not as the engine chooses (fused where the CPU has FMA).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const MARK = '(;fma;)';
const MARKED = /\((f32x4|f32)\.(add|sub)\s+\(;fma;\)/;

/** Index just past the s-expression, comment or atom starting at `i` (text[i] not whitespace). */
function skipItem(text, i) {
  if (text.startsWith(';;', i)) {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? text.length : nl + 1;
  }
  if (text.startsWith('(;', i)) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      if (text.startsWith('(;', j)) (depth++, j++);
      else if (text.startsWith(';)', j) && --depth === 0) return j + 2;
      else if (text.startsWith(';)', j)) j++;
    }
    throw new Error(`unterminated block comment at ${i}`);
  }
  if (text[i] === '"') {
    for (let j = i + 1; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '"') return j + 1;
    }
    throw new Error(`unterminated string at ${i}`);
  }
  if (text[i] === '(') {
    let j = i + 1;
    for (;;) {
      while (j < text.length && /\s/.test(text[j])) j++;
      if (j >= text.length) throw new Error(`unbalanced parenthesis at ${i}`);
      if (text[j] === ')') return j + 1;
      j = skipItem(text, j);
    }
  }
  let j = i;
  while (j < text.length && !/[\s()";]/.test(text[j])) j++;
  return j;
}

/** The top-level items (s-expressions and atoms, not comments) of `text`. */
function items(text) {
  const out = [];
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) return out;
    const end = skipItem(text, i);
    if (!text.startsWith(';;', i) && !text.startsWith('(;', i)) out.push(text.slice(i, end));
    i = end;
  }
}

/** The operands of a folded expression `(op a b …)`, if its operator is `op`. */
function operandsOf(expr, op) {
  const head = new RegExp(`^\\(${op.replace('.', '\\.')}(?=[\\s()])`);
  if (!head.test(expr)) return null;
  return items(expr.slice(op.length + 1, -1));
}

/** `text` with every `(;fma;)` site turned into relaxed-SIMD FMA (see the header). */
export function relaxWat(text) {
  let out = '';
  let rest = text;
  for (;;) {
    const m = MARKED.exec(rest);
    if (!m) return out + rest;
    const [, type, op] = m;
    const end = skipItem(rest, m.index);
    const where = `line ${text.slice(0, text.length - rest.length + m.index).split('\n').length}`;
    const args = items(rest.slice(m.index + m[0].length, end - 1));
    if (args.length !== 2) throw new Error(`${where}: an (;fma;) ${type}.${op} needs two operands, got ${args.length}.`);
    const mul = `${type}.mul`;
    let product;
    let addend;
    if (op === 'add') {
      const first = operandsOf(args[0], mul);
      [product, addend] = first ? [first, args[1]] : [operandsOf(args[1], mul), args[0]];
    } else {
      [product, addend] = [operandsOf(args[1], mul), args[0]];
    }
    if (!product || product.length !== 2) throw new Error(`${where}: an (;fma;) ${type}.${op} needs a (${mul} a b) operand${op === 'sub' ? ' second' : ''}.`);
    const [a, b, c] = [...product, addend].map(relaxWat);
    const fused = `f32x4.relaxed_${op === 'add' ? 'madd' : 'nmadd'}`;
    out += rest.slice(0, m.index);
    out += type === 'f32x4'
      ? `(${fused} ${a} ${b} ${c})`
      : `(f32x4.extract_lane 0 (${fused} (f32x4.splat ${a}) (f32x4.splat ${b}) (f32x4.splat ${c})))`;
    rest = rest.slice(end);
  }
}

/** How many `(;fma;)` sites `text` marks. */
export function fmaSites(text) {
  return text.split(MARK).length - 1;
}

/** The module's bytes (base64) compiled from the .wat at `path`; with `relaxed`, its FMA sites fused. */
export async function compileWat(path, { relaxed = false } = {}) {
  const wabt = await wabtInit();
  const source = readFileSync(path, 'utf8');
  const text = relaxed ? relaxWat(source) : source;
  const mod = wabt.parseWat(basename(path), text, { simd: true, relaxed_simd: relaxed });
  try {
    mod.validate();
    return Buffer.from(mod.toBinary({ log: false, write_debug_names: false }).buffer).toString('base64');
  } finally {
    mod.destroy();
  }
}

/** The text of the generated TypeScript module (the relaxed module's constant only when given). */
export function renderWasmModule(base64, exportName, watName, relaxedBase64) {
  return [
    `// Generated from ${watName} by scripts/wat-to-ts.mjs (the package's \`build:wasm\` script); do not edit.`,
    `export const ${exportName} =\n  '${base64}';`,
    ...(relaxedBase64 === undefined
      ? []
      : [
          '/** The same module with its (;fma;) sites as relaxed-SIMD multiply-adds: use it where it validates. */',
          `export const ${exportName}_RELAXED =\n  '${relaxedBase64}';`,
        ]),
    '',
  ].join('\n');
}

/** Compiles `input` (and its relaxed twin when it marks FMA sites) and renders it as the output file holds it. */
export async function renderWat(input, exportName) {
  const relaxed = fmaSites(readFileSync(input, 'utf8')) > 0 ? await compileWat(input, { relaxed: true }) : undefined;
  return renderWasmModule(await compileWat(input), exportName, basename(input), relaxed);
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
