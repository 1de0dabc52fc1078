// Where things are. The runner (bench/run.ts, under tsx) and the children
// (compiled JavaScript under bench/node_modules/.bench-build) see different
// import.meta.url layouts, so the runner hands its own location down in BENCH_DIR.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/ of the repository. Without BENCH_DIR this file is at its source place, bench/lib/. */
export const benchDir = process.env.BENCH_DIR ?? dirname(dirname(fileURLToPath(import.meta.url)));

export const repoRoot = dirname(benchDir);

/**
 * The compiled harness. Inside bench/node_modules because every tool of the repo
 * (git, eslint, tsc) already ignores that folder, and npm leaves dot-folders alone.
 */
export const buildDir = join(benchDir, 'node_modules', '.bench-build');

/**
 * The copy of the library's dist/ the children import. Taken once when a run
 * starts, so every cell measures the same build even if dist/ is rebuilt or
 * cleaned while the benchmark runs.
 */
export const distSnapshot = join(buildDir, 'concurrent-ts-dist');
