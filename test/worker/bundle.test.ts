// The worker entries as they ship: `npm run build` rewrites each one in dist/ as a single file
// (scripts/bundle-workers.mjs) so a fresh worker reads one module instead of ten. These tests
// read that output and run it with plain Node, no TypeScript loader: `npm test` builds first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRIES = ['entries/thread-entry', 'entries/process-entry', 'worker/process-target-entry'];

function staticImports(file: string): string[] {
  const source = readFileSync(new URL(`../../dist/${file}.js`, import.meta.url), 'utf8');
  return [...source.matchAll(/^\s*(?:import|export)\b[^;'"]*?(?:from\s*)?["']([^"']+)["']/gm)].map((m) => m[1] as string);
}

for (const entry of ENTRIES) {
  test(`dist/${entry}.js is one file: it imports Node's modules and the shared error classes only`, () => {
    const imports = staticImports(entry);
    assert.ok(imports.length > 0, 'the import statements were found');
    const ours = imports.filter((specifier) => !specifier.startsWith('node:'));
    // errors.js must stay one module: user code in the worker imports its classes from there too.
    assert.deepEqual([...new Set(ours)], ['../errors.js']);
  });
}

for (const entry of ['entries/sync-helper-entry', 'entries/revoker-entry']) {
  test(`dist/${entry}.js is one file that imports only Node's modules`, () => {
    const imports = staticImports(entry);
    assert.ok(imports.length > 0, 'the import statements were found');
    assert.deepEqual(imports.filter((specifier) => !specifier.startsWith('node:')), []);
  });
}

test('the bundled entries run tasks: results, shared primitives, error classes and names come through', () => {
  const r = spawnSync(process.execPath, ['test/fixtures/worker/bundle-run.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, Record<string, unknown>>;
  // A threading Event travels to a worker thread and is revived there (a dynamic import the bundle must still resolve).
  assert.deepEqual(out.thread, { thread: 'ThreadPoolExecutor-0_0', process: 'MainProcess', eventSet: true });
  const failure = { name: 'LateError', message: 'too late', isTimeoutError: true };
  assert.deepEqual(out.threadError, failure);
  assert.equal(out.process?.process, 'ProcessPoolExecutor-0_0');
  assert.deepEqual(out.processError, failure);
  // multiprocessing.Process starts from the third entry, with a Queue revived in the child.
  assert.deepEqual(out.target, { reported: 'Reporter', exitcode: 0 });
});
