// The API reference builds: TypeDoc runs over the public entry points without writing anything,
// and typedoc.json treats an undocumented public symbol, a broken {@link} or a type that is used
// but not exported as an error, so this test fails on any of them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { ROOT } from '../helpers/doc-examples.js';

test('npm run docs: TypeDoc validates the public API with no error', { timeout: 180_000 }, async () => {
  const child = spawn(process.execPath, ['node_modules/typedoc/bin/typedoc', '--emit', 'none'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, output);
});
