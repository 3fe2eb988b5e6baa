'use strict';
/**
 * The repository must stand alone: a user's clone has nothing beside it. Loaded into every Node process
 * of the test run (`NODE_OPTIONS=--require …/standalone-guard.cjs`, set by scripts/check-standalone.mjs),
 * this makes any read or write of a path in the repository's parent folder but outside the
 * repository (a sibling folder of the checkout) fail, and records it in $NF_GUARD_LOG so the run
 * fails even when the caller swallowed the error. Other places (node_modules inside the repo, the
 * temporary folder, /dev, /proc, /usr) are untouched.
 *
 * Environment: NF_GUARD_ROOT (the repository root, required to arm the guard), NF_GUARD_LOG (a file
 * that collects one line per access outside).
 */
const fs = require('node:fs');
const path = require('node:path');
const { syncBuiltinESMExports } = require('node:module');
const { fileURLToPath } = require('node:url');

const root = process.env.NF_GUARD_ROOT ? path.resolve(process.env.NF_GUARD_ROOT) : '';
const log = process.env.NF_GUARD_LOG || '';

if (root && !globalThis.__nfStandaloneGuard) {
  globalThis.__nfStandaloneGuard = true;
  const parent = path.dirname(root);
  const inside = (p, dir) => p === dir || p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);

  /** The absolute path an fs argument names, or '' when it is not a path (a file descriptor). */
  const toPath = (arg) => {
    try {
      if (typeof arg === 'string') return path.resolve(arg);
      if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : '';
      if (Buffer.isBuffer(arg)) return path.resolve(arg.toString());
    } catch {
      /* not a path */
    }
    return '';
  };

  const check = (name, arg) => {
    const p = toPath(arg);
    if (!p || !inside(p, parent) || inside(p, root)) return;
    const line = `${name}(${JSON.stringify(p)}): outside the repository ${JSON.stringify(root)}`;
    if (log) {
      try {
        fs.appendFileSync(log, `${line}\n`);
      } catch {
        /* the error below still stops the caller */
      }
    }
    const error = new Error(`standalone-guard: ${line}; copy what the test needs into the repository`);
    error.code = 'NF_OUTSIDE_REPO';
    throw error;
  };

  // Functions that read or write a file or list a folder, by the path in their first (and for
  // copy/rename/link, second) argument. Existence probes (stat, access, exists, realpath) pass: tools
  // look for node_modules/@types or a package.json in every ancestor folder without reading outside.
  const ONE = ['open', 'readFile', 'readdir', 'opendir', 'createReadStream', 'writeFile', 'appendFile', 'mkdir', 'rm', 'rmdir', 'unlink', 'createWriteStream'];
  const TWO = ['copyFile', 'cp', 'rename', 'link', 'symlink'];
  const wrap = (target, name, sync, label) => {
    const original = target[name];
    if (typeof original !== 'function' || original.__nfGuarded) return;
    const twoPaths = TWO.includes(name.replace(/Sync$/, ''));
    const guarded = function (...args) {
      if (sync) {
        check(label, args[0]);
        if (twoPaths) check(label, args[1]);
        return original.apply(this, args);
      }
      try {
        check(label, args[0]);
        if (twoPaths) check(label, args[1]);
      } catch (error) {
        const cb = args.findLast?.((a) => typeof a === 'function');
        if (target === fs.promises) return Promise.reject(error);
        if (cb && !name.startsWith('create')) return void process.nextTick(cb, error);
        throw error;
      }
      return original.apply(this, args);
    };
    Object.defineProperties(guarded, Object.getOwnPropertyDescriptors(original));
    guarded.__nfGuarded = true;
    target[name] = guarded;
  };
  for (const base of [...ONE, ...TWO]) {
    wrap(fs, base, base.startsWith('create'), `fs.${base}`);
    wrap(fs, `${base}Sync`, true, `fs.${base}Sync`);
    wrap(fs.promises, base, false, `fs.promises.${base}`);
  }
  syncBuiltinESMExports();
}
