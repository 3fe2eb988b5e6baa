#!/usr/bin/env node
/**
 * Builds the carry bundle that runs nf-train on a machine with no Node and no network (the GPU
 * device machine): .gpu-bundle/ holds
 *   node.xz         this Node binary (stripped), xz with the x86 BCJ filter: the best ratio we
 *                   measured (20.1 MiB for Node 20.20; zstd -22 --long gave 23.2 MiB), and the
 *                   device can always unpack it (xz, or Python's lzma module where xz is absent)
 *   app.tar.xz      nf/: apps/trainer's package.json + dist/, and a production node_modules
 *                   (the @nf workspace packages' published files, the tfjs packages' Node
 *                   bundles, webgpu's linux-x64 dawn.node only), resolved by walking the
 *                   installed dependency graph (no network, no pnpm store, the workspace untouched)
 *   libvulkan1_*.deb the Vulkan loader (apt-get download, as the device README describes)
 *   SHA256SUMS, manifest.json
 * and fails when the bundle plus the working tree that travels with it exceed 64 MiB.
 *
 * Usage: node scripts/gpu/pack.mjs [--out DIR] [--with-sharp] [--no-vulkan-deb] [--check]
 *   --with-sharp     keep sharp + libvips (only image-folder datasets need it; +~6 MiB)
 *   --no-vulkan-deb  do not download the loader (the device must then have libvulkan.so.1)
 *   --check          afterwards unpack into a temporary folder with run.sh and run
 *                    `nf-train info --backend cpu` there, from /tmp, with the bundled node
 * Needs: built dist/ folders (pnpm build), xz, strip (optional), apt-get (for the .deb).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const LIMIT = 64 * MiB;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const outDir = path.resolve(root, option('--out', '.gpu-bundle'));
const withSharp = flag('--with-sharp');

function fail(message) {
  console.error(`pack: ${message}`);
  process.exit(1);
}
const mib = (n) => `${(n / MiB).toFixed(1)} MiB`;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`the device machine is linux-x64; this Node is ${process.platform}-${process.arch}, whose binary would not run there.`);
if (!has('xz')) fail('xz is needed (apt-get install xz-utils).');

// ---------------------------------------------------------------- the dependency closure
const trainerDir = path.join(root, 'apps/trainer');
for (const f of ['apps/trainer/dist/cli.js', 'apps/trainer/dist/index.js']) {
  if (!fs.existsSync(path.join(root, f))) fail(`${f} is missing: build first (pnpm build, or pnpm turbo run build --filter=@nf/trainer...).`);
}

/** Packages never needed at run time by nf-train on the device (types, the tfjs umbrella's CLI tools
 * and browser polyfills), and sharp unless asked for. (yaml stays: config files are read with it.) */
function dropped(name) {
  if (name.startsWith('@types/') || name === 'undici-types' || name === '@webgpu/types') return 'types only';
  if (['core-js', 'regenerator-runtime'].includes(name)) return 'browser polyfills (tfjs umbrella)';
  if (['yargs', 'argparse', 'chalk'].includes(name)) return "tfjs umbrella's CLI tools";
  if (!withSharp && (name === 'sharp' || name.startsWith('@img/'))) return 'image-folder decoding only (--with-sharp keeps it)';
  return undefined;
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Node's lookup: <dir>/node_modules/<name>, then each parent's. Returns the real path. */
function resolveFrom(dir, name) {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(d) === d) return undefined;
  }
}

const isWorkspace = (real) => !real.split(path.sep).includes('node_modules');
/** real dir -> { name, version, dest (relative to nf/) } */
const placed = new Map();
/** dest -> real dir */
const occupied = new Map();
const droppedNames = new Map();
const missingOptional = [];

// Breadth first from the trainer, so the copy nearest the root takes the top level and a second
// version of a name is nested under the package that needs it (node_modules/<parent>/node_modules).
const queue = [{ real: fs.realpathSync(trainerDir), dest: '.', parentDest: undefined }];
placed.set(queue[0].real, { name: '@nf/trainer', version: readJson(path.join(trainerDir, 'package.json')).version, dest: '.' });
while (queue.length) {
  const { real, dest } = queue.shift();
  const pj = readJson(path.join(real, 'package.json'));
  const deps = { ...pj.dependencies, ...pj.optionalDependencies, ...pj.peerDependencies };
  const optional = new Set([...Object.keys(pj.optionalDependencies ?? {}), ...Object.keys(pj.peerDependencies ?? {})]);
  for (const name of Object.keys(deps)) {
    const why = dropped(name);
    if (why) {
      droppedNames.set(name, why);
      continue;
    }
    const depReal = resolveFrom(real, name);
    if (!depReal) {
      if (!optional.has(name) && !(pj.peerDependenciesMeta?.[name]?.optional)) missingOptional.push(`${name} (needed by ${pj.name}, not installed)`);
      continue;
    }
    if (placed.has(depReal)) continue;
    const top = path.join('node_modules', name);
    let target = top;
    if (occupied.has(top) && occupied.get(top) !== depReal) target = path.join(dest, 'node_modules', name);
    if (occupied.has(target) && occupied.get(target) !== depReal) fail(`cannot place ${name} from ${depReal}: ${target} is taken`);
    occupied.set(target, depReal);
    const depPj = readJson(path.join(depReal, 'package.json'));
    placed.set(depReal, { name, version: depPj.version, dest: target });
    queue.push({ real: depReal, dest: target });
  }
}
if (missingOptional.length) fail(`not installed: ${missingOptional.join(', ')}; run pnpm install.`);
for (const must of ['@tensorflow/tfjs-backend-webgpu', 'webgpu']) {
  if (![...placed.values()].some((p) => p.name === must)) fail(`${must} is not installed under apps/trainer (an optionalDependency): run pnpm install on linux-x64.`);
}

// ---------------------------------------------------------------- what to copy of each package
const JUNK = /(\.map|\.d\.ts|\.d\.cts|\.d\.mts|\.tsbuildinfo)$/;
const LICENSE = /^(licen[cs]e|notice|copying)/i;

/** A filter (relative path, isDir) -> keep? for one package. */
function filterFor(name, real, pj) {
  if (name === '@nf/trainer') {
    // dist with its source maps (small; they make stack traces readable)
    return (rel, isDir) => rel === 'package.json' || rel === 'dist' || rel.startsWith('dist/');
  }
  if (isWorkspace(real)) {
    const files = pj.files ?? ['dist'];
    return (rel, isDir) => {
      if (rel === 'package.json' || LICENSE.test(rel)) return true;
      if (!files.some((f) => rel === f || rel.startsWith(`${f}/`) || (isDir && f.startsWith(`${rel}/`)))) return false;
      return isDir || !JUNK.test(rel);
    };
  }
  if (name === 'webgpu') {
    // index.js loads dist/<platform>-<arch>/dawn.node; only linux-x64 travels.
    return (rel) => ['package.json', 'index.js', 'LICENSE.md', 'dist', 'dist/linux-x64', 'dist/linux-x64/dawn.node'].includes(rel);
  }
  if (name.startsWith('@tensorflow/')) {
    // Node loads `main`, a self-contained CommonJS bundle (dist/tf-*.node.js); the ES module tree
    // and the browser bundles are for bundlers. The wasm backend also reads its .wasm binaries
    // (plain, simd, threaded-simd: ~0.4 MiB compressed together) from the same folder.
    if (pj.exports) fail(`${name} now has an "exports" map; pack.mjs's rule (keep "main" only) must be revisited.`);
    const main = path.normalize(pj.main ?? 'index.js');
    const mainDir = path.dirname(main);
    return (rel, isDir) => {
      if (rel === 'package.json' || LICENSE.test(rel) || rel === main) return true;
      if (isDir) return mainDir === rel || mainDir.startsWith(`${rel}/`);
      return path.dirname(rel) === mainDir && rel.endsWith('.wasm');
    };
  }
  return (rel, isDir) => {
    if (isDir) return rel !== 'node_modules' && !/(^|\/)(test|tests|__tests__|docs|example|examples|\.github)$/.test(rel);
    return !JUNK.test(rel) && !(/\.md$/i.test(rel) && !LICENSE.test(path.basename(rel)));
  };
}

function copyTree(src, dst, keep, rel = '') {
  for (const entry of fs.readdirSync(path.join(src, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${entry.name}` : entry.name;
    const from = path.join(src, r);
    const stat = fs.statSync(from);
    if (stat.isDirectory()) {
      if (!keep(r, true) || (rel === '' && entry.name === 'node_modules')) continue;
      copyTree(src, dst, keep, r);
    } else if (keep(r, false)) {
      const to = path.join(dst, r);
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
      fs.chmodSync(to, stat.mode & 0o777);
    }
  }
}

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'nf-gpu-pack-'));
const nf = path.join(stage, 'nf');
const sizes = [];
const duBytes = (dir) => {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isSymbolicLink()) continue;
    n += e.isDirectory() ? duBytes(p) : fs.statSync(p).size;
  }
  return n;
};
try {
  for (const [real, { name, version, dest }] of placed) {
    const pj = readJson(path.join(real, 'package.json'));
    const to = path.join(nf, dest);
    copyTree(real, to, filterFor(name, real, pj));
    sizes.push({ name, version, dest, bytes: duBytes(to) });
  }
  // The trainer's tsup build may have inlined the `webgpu` package (it is not in tsup's `external`):
  // the inlined loader then looks for dist/dist/linux-x64/dawn.node next to the trainer's chunk.
  const inlined = fs.readdirSync(path.join(nf, 'dist')).filter((f) => f.endsWith('.js') && fs.readFileSync(path.join(nf, 'dist', f), 'utf8').includes('dawn.node'));
  if (inlined.length) {
    const link = path.join(nf, 'dist/dist/linux-x64/dawn.node');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync('../../../node_modules/webgpu/dist/linux-x64/dawn.node', link); // standalone-ok: inside the staged bundle
    console.warn(`pack: warning: apps/trainer/dist/${inlined[0]} inlines the webgpu package (add 'webgpu' to tsup's external); the bundle links dist/dist/linux-x64/dawn.node so it still loads.`);
  }
  // Sanity: the app's own entry resolves its imports inside the staged tree.
  const probe = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('@tensorflow/tfjs'); await import('@nf/models'); await import('webgpu'); console.log('ok')"], { cwd: nf, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
  if (probe.stdout.trim().split('\n').pop() !== 'ok') fail(`the staged tree does not load: ${probe.stderr.split('\n').slice(0, 4).join(' | ')}`);

  fs.mkdirSync(outDir, { recursive: true });
  // ---------------------------------------------------------------- node.xz (cached by stamp)
  const nodeBin = fs.realpathSync(process.execPath);
  const nodeStat = fs.statSync(nodeBin);
  const stamp = `${nodeBin} ${nodeStat.size} ${nodeStat.mtimeMs} ${process.version}`;
  const nodeXz = path.join(outDir, 'node.xz');
  const stampFile = path.join(outDir, '.node.stamp');
  const t0 = performance.now();
  if (fs.existsSync(nodeXz) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
    console.log(`node.xz: up to date (${process.version})`);
  } else {
    const tmpNode = path.join(stage, 'node');
    fs.copyFileSync(nodeBin, tmpNode);
    if (has('strip')) execFileSync('strip', [tmpNode]);
    const check = spawnSync(tmpNode, ['-e', 'process.stdout.write(process.version)'], { encoding: 'utf8' });
    if (check.stdout !== process.version) fail('the stripped node binary does not run.');
    console.log(`node.xz: compressing ${mib(fs.statSync(tmpNode).size)} (${process.version}; about a minute) ...`);
    execFileSync('sh', ['-c', `xz --x86 --lzma2=preset=9e,dict=128MiB -T1 -c "$1" > "$2.tmp" && mv "$2.tmp" "$2"`, 'sh', tmpNode, nodeXz]);
    fs.writeFileSync(stampFile, stamp);
  }
  // ---------------------------------------------------------------- app.tar.xz
  const appXz = path.join(outDir, 'app.tar.xz');
  execFileSync('sh', ['-c', `tar --owner=0 --group=0 --sort=name -C "$1" -cf - nf | xz -9e -T1 -c > "$2.tmp" && mv "$2.tmp" "$2"`, 'sh', stage, appXz]);
  const t1 = performance.now();
  // ---------------------------------------------------------------- the Vulkan loader .deb
  let deb = fs.readdirSync(outDir).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
  if (!deb && !flag('--no-vulkan-deb')) {
    const lists = path.join(os.tmpdir(), 'nf-gpu-apt-amd64');
    fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
    fs.mkdirSync(path.join(lists, 'cache/archives/partial'), { recursive: true });
    const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`, `-oDir::Cache=${path.join(lists, 'cache')}`, '-q'];
    const upd = spawnSync('apt-get', [...o, 'update'], { encoding: 'utf8' });
    const dl = upd.status === 0 ? spawnSync('apt-get', [...o, 'download', 'libvulkan1'], { cwd: outDir, encoding: 'utf8' }) : upd;
    deb = fs.readdirSync(outDir).find((f) => /^libvulkan1_.*_amd64\.deb$/.test(f));
    if (!deb) console.warn(`pack: warning: could not download libvulkan1 (${(dl.stderr || dl.error?.message || '').trim().split('\n').pop()}); run.sh will need the machine's own libvulkan.so.1.`);
  }
  // ---------------------------------------------------------------- sums, manifest, sizes
  const carried = fs.readdirSync(outDir).filter((f) => ['node.xz', 'app.tar.xz'].includes(f) || /^libvulkan1_.*\.deb$/.test(f)).sort();
  const sums = carried.map((f) => `${createHash('sha256').update(fs.readFileSync(path.join(outDir, f))).digest('hex')}  ${f}`);
  fs.writeFileSync(path.join(outDir, 'SHA256SUMS'), `${sums.join('\n')}\n`);
  const manifest = {
    created: new Date().toISOString(),
    node: process.version,
    packages: sizes.map(({ name, version, dest, bytes }) => ({ name, version, dest, bytes })),
    dropped: Object.fromEntries(droppedNames),
    files: Object.fromEntries(carried.map((f) => [f, fs.statSync(path.join(outDir, f)).size])),
  };
  fs.writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  // Anything else in the folder travels too when it is carried: warn about strays.
  const known = new Set([...carried, 'SHA256SUMS', 'manifest.json', '.node.stamp']);
  const strays = fs.readdirSync(outDir).filter((f) => !known.has(f));
  if (strays.length) console.warn(`pack: warning: ${outDir} also holds ${strays.join(', ')}; they travel with it when carried.`);
  const bundleBytes = fs.readdirSync(outDir).reduce((n, f) => n + fs.statSync(path.join(outDir, f)).size, 0);
  const stagedBytes = duBytes(nf);
  console.log(`\nstaged app: ${mib(stagedBytes)} in ${placed.size} packages (largest: ${[...sizes].sort((a, b) => b.bytes - a.bytes).slice(0, 4).map((s) => `${s.name} ${mib(s.bytes)}`).join(', ')})`);
  console.log(`dropped: ${[...droppedNames.keys()].join(', ')}`);
  for (const f of carried) console.log(`  ${f.padEnd(40)} ${mib(fs.statSync(path.join(outDir, f)).size).padStart(10)}`);
  const tree = treeEstimate();
  console.log(`bundle ${path.relative(root, outDir) || outDir}: ${mib(bundleBytes)} (compressed in ${((t1 - t0) / 1000).toFixed(0)} s); working tree that travels (estimate): ${mib(tree)}; together ${mib(bundleBytes + tree)} of the 64 MiB carry limit`);
  if (bundleBytes > LIMIT) fail(`the bundle is ${mib(bundleBytes)}, over the 64 MiB carry limit.`);
  if (bundleBytes + tree > LIMIT) fail(`bundle ${mib(bundleBytes)} + working tree ${mib(tree)} exceed the 64 MiB that may travel to the device; shrink the tree or the bundle.`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}

if (flag('--check')) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nf-gpu-check-'));
  const env = { PATH: '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NF_GPU_BUNDLE: outDir, NF_GPU_DIR: dir };
  const r = spawnSync('bash', [path.join(root, 'scripts/gpu/run.sh'), 'info', '--backend', 'cpu'], { cwd: os.tmpdir(), env, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  fs.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) fail('the unpacked bundle did not run `nf-train info --backend cpu`.');
  console.log('check: the unpacked bundle runs nf-train info --backend cpu');
}

/** Bytes of the files that would travel with the repo (not ignored), read from the root .gitignore
 * and .git/info/exclude with simple glob rules: an estimate (nested .gitignore files are not read). */
function treeEstimate() {
  const patterns = [];
  for (const f of ['.gitignore', '.git/info/exclude']) {
    const file = path.join(root, f);
    if (!fs.existsSync(file)) continue;
    for (let line of fs.readFileSync(file, 'utf8').split('\n')) {
      line = line.trim();
      if (!line || line.startsWith('#') || line.startsWith('!')) continue;
      const anchored = line.startsWith('/') || line.replace(/\/$/, '').includes('/');
      const body = line.replace(/^\//, '').replace(/\/$/, '');
      const re = body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\u0000/g, '.*');
      patterns.push(anchored ? new RegExp(`^${re}$`) : new RegExp(`(^|/)${re}$`));
    }
  }
  const ignored = (rel) => rel === '.git' || patterns.some((p) => p.test(rel));
  const walk = (rel) => {
    let n = 0;
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (ignored(r) || e.isSymbolicLink()) continue;
      n += e.isDirectory() ? walk(r) : fs.statSync(path.join(root, r)).size;
    }
    return n;
  };
  return walk('');
}
