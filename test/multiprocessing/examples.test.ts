/**
 * The course chapter's multiprocessing and ProcessPoolExecutor examples, ported in examples/, run as
 * programs (as a reader would run them) and compared with their `.out` files: exactly, or as a set
 * of lines when the order is random, or by pattern for a timing line. They import the package by
 * name, which resolves to dist/: `npm test` builds first.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface Run {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

function run(name: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `examples/${name}.ts`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
  });
}

function expected(name: string): string {
  return readFileSync(new URL(`../../examples/${name}.out`, import.meta.url), 'utf8');
}

describe('the course chapter\'s multiprocessing examples', () => {
  for (const name of ['pool-map', 'process-print', 'queue', 'pipe', 'multiprocessing-deadlock-fixed', 'is-prime']) {
    test(`${name}.ts prints exactly ${name}.out`, async () => {
      const r = await run(name);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, expected(name));
      assert.equal(r.stderr, '');
    });
  }

  test('lock.ts prints the five lines of lock.out, in some order', async () => {
    const r = await run('lock');
    assert.equal(r.status, 0, r.stderr);
    const sorted = (text: string): string[] => text.trim().split('\n').sort();
    assert.deepEqual(sorted(r.stdout), sorted(expected('lock')));
  });

  test('multiprocessing-deadlock.ts, as written: the child ends with a DeadlockError naming itself and the lock instead of hanging', async () => {
    const r = await run('multiprocessing-deadlock');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected('multiprocessing-deadlock'));
    assert.match(r.stderr, /^Process Process-1:\nDeadlockError: Deadlock: Process-1 waits for Lock-1 held by Process-1 /);
    assert.match(r.stderr, /at async g \(.*examples\/multiprocessing-deadlock\.ts:\d+:\d+\)/);
  });

  test('multiprocessing-deadlock-sync.ts, the blocking forms: the same DeadlockError, thrown by the second withLockSync', async () => {
    const r = await run('multiprocessing-deadlock-sync');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, expected('multiprocessing-deadlock-sync'));
    assert.match(r.stderr, /^Process Process-1:\nDeadlockError: Deadlock: Process-1 waits for Lock-1 held by Process-1 \(a Lock is not reentrant/);
    assert.match(r.stderr, /at f \(.*examples\/multiprocessing-deadlock-sync\.ts:\d+:\d+\)/);
  });

  test('calc-and-sleep.ts prints pow(128, 256) exactly as Python does, then "Finished in N.NN seconds"', async () => {
    const r = await run('calc-and-sleep');
    assert.equal(r.status, 0, r.stderr);
    const [value, timing] = r.stdout.trim().split('\n');
    const [pyValue, pyTiming] = expected('calc-and-sleep').trim().split('\n');
    assert.equal(value, pyValue);
    // A line of that shape: the time itself depends on the machine's load, not on the library.
    const shape = /^Finished in \d+\.\d\d seconds$/;
    assert.match(pyTiming ?? '', shape);
    assert.match(timing ?? '', shape);
  });
});
