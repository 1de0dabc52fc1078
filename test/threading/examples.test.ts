// The course chapter's threading exercises, ported in examples/, run as programs (as a reader would run
// them) and checked against what the course chapter says they print. They import the package by name,
// which resolves to dist/: `npm test` builds first.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(name: string): { stdout: string[]; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `examples/${name}.ts`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { stdout: r.stdout.trim().split('\n'), stderr: r.stderr, status: r.status };
}

const sorted = (lines: string[]): string[] => [...lines].sort();

test('the course chapter\'s deadlock, as written: ends with a DeadlockError naming both threads and locks instead of hanging', () => {
  const r = run('threading-deadlock');
  assert.equal(r.status, 0, r.stderr);
  const survivor = r.stdout.find((l) => l.endsWith('acquired 2 locks!'));
  assert.deepEqual(sorted(r.stdout), sorted([
    'Thread 1 acquiring lock 1...', 'Thread 2 acquiring lock 1...',
    'Thread 1 acquiring lock 2...', 'Thread 2 acquiring lock 2...',
    survivor ?? 'one thread acquired both locks',
  ]));
  const m = /^Exception in thread Thread-(\d) \(f\):\nDeadlockError: Deadlock: Thread-(\d) \(f\) waits for (lock_[ab]) held by Thread-(\d) \(f\), which waits for (lock_[ab]) held by Thread-(\d) \(f\)/.exec(r.stderr);
  assert.ok(m !== null, `stderr names the cycle:\n${r.stderr}`);
  const [, failed, waiter, lock1, holder, lock2, back] = m;
  assert.equal(waiter, failed);
  assert.equal(back, failed);
  assert.notEqual(holder, failed);
  assert.notEqual(lock1, lock2);
  assert.equal(survivor, `Thread ${holder} acquired 2 locks!`, 'the other thread got both locks once the loser let go');
});

test('the same exercise written with await: also ends with a DeadlockError, within seconds', () => {
  const start = performance.now();
  const r = run('threading-deadlock-async');
  const took = performance.now() - start;
  assert.equal(r.status, 0, r.stderr);
  const survivor = r.stdout.find((l) => l.endsWith('acquired 2 locks!'));
  assert.deepEqual(sorted(r.stdout), sorted([
    'Thread 1 acquiring lock 1...', 'Thread 2 acquiring lock 1...',
    'Thread 1 acquiring lock 2...', 'Thread 2 acquiring lock 2...',
    survivor ?? 'one thread acquired both locks',
  ]));
  const m = /^Exception in thread Thread-(\d) \(f\):\nDeadlockError: Deadlock: Thread-(\d) \(f\) waits for (lock_[ab]) held by Thread-(\d) \(f\), which waits for (lock_[ab]) held by Thread-(\d) \(f\) \(acquire locks in one global order, or use a timeout\)\n/.exec(r.stderr);
  assert.ok(m !== null, `stderr names the cycle:\n${r.stderr}`);
  const [, failed, waiter, , holder, , back] = m;
  assert.equal(waiter, failed);
  assert.equal(back, failed);
  assert.equal(survivor, `Thread ${holder} acquired 2 locks!`);
  // One second of deadlock timeout plus starting Node, the loader and two threads: an upper bound.
  assert.ok(took < 20_000, `took ${took} ms`);
});

test('the course chapter\'s deadlock, fixed: all six lines, each thread in order', () => {
  const r = run('threading-deadlock-fixed');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.length, 6);
  for (const n of [1, 2]) {
    assert.deepEqual(r.stdout.filter((l) => l.startsWith(`Thread ${n} `)), [
      `Thread ${n} acquiring lock 1...`, `Thread ${n} acquiring lock 2...`, `Thread ${n} acquired 2 locks!`,
    ]);
  }
});

test('the course chapter\'s race, as written: an update is lost (the counter does not reach 3)', () => {
  const r = run('race');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(sorted(r.stdout), ['counter=1', 'counter=2']);
});

test('the course chapter\'s race, fixed with a Lock: the counter reaches 3', () => {
  const r = run('race-fixed');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.length, 2);
  assert.ok(['counter=1', 'counter=2'].includes(r.stdout[0] ?? ''), r.stdout.join('\n'));
  assert.equal(r.stdout[1], 'counter=3');
});
