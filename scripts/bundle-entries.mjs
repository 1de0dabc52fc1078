// Rewrites the package's entry points in dist/ as bundles that share code through chunks, and
// removes the per-module files nothing loads any more.
//
// Node's ESM loader pays for every module it reads, and `import 'concurrent-ts'` read 65 of ours:
// about half of its cold start. Bundled, an entry reads itself and a few chunks. One esbuild run
// bundles every entry together (code splitting), so each module still exists once: a `Future`
// from 'concurrent-ts' is the `Future` of 'concurrent-ts/futures'.
//
// Two things must not move with the code:
// - errors.js stays one file, imported from its usual place, by these bundles and by the worker
//   bundles alike (scripts/bundle-workers.mjs): error classes are identities for `instanceof`.
// - a module that finds a file next to itself (`siblingUrl('../entries/thread-entry',
//   import.meta.url)`) keeps finding it from wherever its code lands: its `import.meta.url` is
//   rewritten to the URL its own file had.
//
// Run after bundle-workers.mjs, which reads the per-module files this script removes.
import { build, transform } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_ENTRIES } from './bundle-workers.mjs';

/**
 * Every module that is loaded by name or by URL: the public entries and the bin, the task modules
 * the library sends to workers by URL (the probes), and the reviver registry the worker bundles
 * import (it must share the primitives' classes with the public entries).
 */
export const ENTRIES = [
  'index.js',
  'futures/index.js',
  'threading/index.js',
  'multiprocessing/index.js',
  'distributed/index.js',
  'distributed/probe.js',
  'cli/main.js',
  'cli/probe.js',
  'entries/revivers.js',
];

/** Files of dist/ that stay as they are: the worker bundles and the shared error classes. */
export const KEPT = ['errors.js', ...WORKER_ENTRIES];

// Stands for "the path from this output file to dist/" until the outputs' places are known.
const MARK = '@concurrent-ts-dist@/';
// The module's own URL, as it was before bundling.
const OWN_URL = '__moduleUrl';

function jsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return jsFiles(path);
    return entry.name.endsWith('.js') ? [path] : [];
  });
}

function toUrlPath(path) {
  return path.split(sep).join('/');
}

/**
 * Bundles the entries of a build of src/ in place, then deletes every other .js file of `dir`
 * except {@link KEPT}. Declarations (.d.ts) are left as tsc wrote them.
 *
 * @param {string} dir - the build's root (dist/, or a test's transpiled copy).
 */
export async function bundleEntries(dir) {
  const dist = resolve(dir);
  const errors = resolve(dist, 'errors.js');
  const result = await build({
    entryPoints: ENTRIES.map((entry) => resolve(dist, entry)),
    outdir: dist,
    outbase: dist,
    entryNames: '[dir]/[name]',
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    write: false,
    allowOverwrite: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [{
      name: 'stay-in-place',
      setup(b) {
        b.onResolve({ filter: /^\./ }, (args) => {
          if (resolve(args.resolveDir, args.path) !== errors) return undefined;
          return { path: `${MARK}errors.js`, external: true };
        });
        b.onLoad({ filter: /\.js$/ }, async (args) => {
          const source = readFileSync(args.path, 'utf8');
          if (!source.includes('import.meta.url')) return undefined;
          // A define, not a text replacement: strings that mention import.meta.url keep it.
          const { code } = await transform(source, { define: { 'import.meta.url': OWN_URL }, format: 'esm', target: 'esnext' });
          if (!code.includes(OWN_URL)) return undefined;
          const own = `const ${OWN_URL} = new URL(${JSON.stringify(MARK + toUrlPath(relative(dist, args.path)))}, import.meta.url).href;\n`;
          const hashbang = /^#!.*\n/.exec(code)?.[0] ?? '';
          return { contents: hashbang + own + code.slice(hashbang.length), loader: 'js' };
        });
      },
    }],
  });

  const outputs = new Set();
  for (const file of result.outputFiles) {
    const up = toUrlPath(relative(dirname(file.path), dist));
    const text = file.text.replaceAll(MARK, up === '' ? './' : `${up}/`);
    if (text.includes(MARK.slice(0, -1))) throw new Error(`${file.path}: a path to dist/ was left unresolved`);
    mkdirSync(dirname(file.path), { recursive: true });
    outputs.add(file.path);
    writeFileSync(file.path, text);
  }

  const kept = new Set(KEPT.map((file) => resolve(dist, file)));
  for (const file of jsFiles(dist)) {
    if (!outputs.has(file) && !kept.has(file)) rmSync(file);
  }
}

// node scripts/bundle-entries.mjs [dir]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleEntries(process.argv[2] ?? 'dist');
}
