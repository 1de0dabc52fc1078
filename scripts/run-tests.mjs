// Runs every test/**/*.test.ts under node:test with the tsx loader.
// Node 20's `node --test` does not expand globs, so the file list is built here.
// Output: one line per test file, and in full only the failures, each with what its file printed
// (scripts/test-reporter.mjs); CT_TEST_REPORTER=spec (or tap, dot) shows every test instead.
// Usage: node scripts/run-tests.mjs [path-or-substring ...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'fixtures' && name !== 'helpers') out.push(...collect(path));
    } else if (name.endsWith('.test.ts')) {
      out.push(relative(process.cwd(), path));
    }
  }
  return out.sort();
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(1);
}

const concurrency = process.env.CT_TEST_CONCURRENCY ?? '2';
const reporter = process.env.CT_TEST_REPORTER ?? fileURLToPath(new URL('./test-reporter.mjs', import.meta.url));
// A file's own limit: generous, since a shared 2-core machine can be several times slower than an idle one.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=300000',
    `--test-reporter=${reporter}`, '--test-reporter-destination=stdout', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
