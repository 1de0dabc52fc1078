// Rewrites each worker entry in dist/ as one file holding the modules it imports.
//
// A fresh worker thread's ESM loader pays about half a millisecond per module it reads, and an
// entry that imports ten of our modules started ~3 ms later than one file (28 vs 25 ms to the
// first result here). Pools start their workers on demand, so that is time every new pool waits.
//
// errors.js stays a separate module, imported from its usual place: user code run by the worker
// imports the library's error classes from there, and the runtime tells them apart with
// `instanceof`, which needs one copy of each class. So does the reviver registry
// (entries/revivers.js, loaded on first use): the primitives it rebuilds must be the classes a task
// imports from the package's entries, with which it shares chunks (scripts/bundle-entries.mjs).
// Every other module the entries pull in keeps its state on `globalThis` under a registered symbol
// (registry, context, before-block hook), so a second copy of it, in the bundle, is harmless.
import { build } from 'esbuild';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKER_ENTRIES = ['entries/thread-entry.js', 'entries/process-entry.js', 'worker/process-target-entry.js', 'entries/sync-helper-entry.js', 'entries/revoker-entry.js'];

/**
 * Bundles the worker entries of a build of src/ in place.
 *
 * @param {string} dir - the build's root (dist/, or a test's transpiled copy).
 */
export async function bundleWorkers(dir) {
  const dist = resolve(dir);
  const shared = new Set(['errors.js', 'entries/revivers.js'].map((file) => resolve(dist, file)));
  for (const entry of WORKER_ENTRIES) await bundleEntry(resolve(dist, entry), shared);
}

async function bundleEntry(outfile, shared) {
  await build({
    entryPoints: [outfile],
    outfile,
    allowOverwrite: true,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // No source maps: the package ships no src/ for them to point at (docs/decisions/package-build.md).
    sourcemap: false,
    logLevel: 'warning',
    plugins: [{
      name: 'keep-shared-modules',
      setup(b) {
        b.onResolve({ filter: /^\./ }, (args) => {
          const target = resolve(args.resolveDir, args.path);
          if (!shared.has(target)) return undefined;
          const path = relative(dirname(outfile), target);
          return { path: path.startsWith('.') ? path : `./${path}`, external: true };
        });
      },
    }],
  });
}

// node scripts/bundle-workers.mjs [dir]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleWorkers(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'dist');
}
