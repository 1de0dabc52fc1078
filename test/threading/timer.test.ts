import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RuntimeError, ValueError } from '../../src/errors.js';
import { Event } from '../../src/threading/event.js';
import { Timer } from '../../src/threading/timer.js';
import { delay } from '../fixtures/sync/harness.js';

test('TMR-01 after start() the timer calls its function once, with its args, after the interval', async () => {
  const calls: unknown[][] = [];
  const timer = new Timer(150, (a: number, b: string) => {
    calls.push([a, b]);
  }, [1, 'x']);
  assert.equal(timer.isAlive(), false);
  const start = performance.now();
  timer.start();
  assert.equal(timer.isAlive(), true);
  await timer.join();
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 90 && elapsed < 5000, `elapsed ${elapsed}`);
  assert.deepEqual(calls, [[1, 'x']]);
  assert.equal(timer.isAlive(), false);
  assert.equal(timer.finished.isSet(), true);
  assert.ok(timer.finished instanceof Event);
  assert.throws(() => timer.start(), (e: unknown) => e instanceof RuntimeError && e.message === 'threads can only be started once');
});

test('TMR-02 cancel() before the interval ends: the function never runs and the timer finishes; also before start()', async () => {
  let calls = 0;
  const timer = new Timer(100, () => calls++);
  timer.start();
  timer.cancel();
  assert.equal(timer.isAlive(), false);
  assert.equal(timer.finished.isSet(), true);
  await timer.join();
  await delay(200);
  assert.equal(calls, 0);

  const early = new Timer(10, () => calls++);
  early.cancel();
  early.start();
  await early.join();
  assert.equal(calls, 0);
  assert.equal(early.isAlive(), false);
  assert.equal(early.finished.isSet(), true);
});

test('TMR-03 cancel() after the function started changes nothing; cancel() twice is fine', async () => {
  let release!: () => void;
  const started = new Event();
  let done = false;
  const timer = new Timer(10, async () => {
    started.set();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    done = true;
  });
  timer.start();
  await started.wait();
  timer.cancel();
  timer.cancel();
  assert.equal(timer.isAlive(), true); // the function is still running
  release();
  await timer.join();
  assert.equal(done, true);
  assert.equal(timer.isAlive(), false);
  assert.equal(timer.finished.isSet(), true);
});

test('TMR-04 default args are not shared between Timer instances', () => {
  const a = new Timer(1, () => undefined);
  const b = new Timer(1, () => undefined);
  assert.notEqual(a.args, b.args);
  (a.args as unknown[]).push(1);
  assert.deepEqual(b.args, []);
  const given: [number, number] = [1, 2];
  const c = new Timer(1, (x: number, y: number) => x + y, given);
  (given as number[]).push(3);
  assert.deepEqual(c.args, [1, 2]);
});

test('Timer: join() before start() throws; join(timeout) returns with the timer still alive; repr', async () => {
  const timer = new Timer(10_000, () => undefined);
  await assert.rejects(timer.join(), (e: unknown) =>
    e instanceof RuntimeError && e.message === 'cannot join thread before it is started');
  assert.match(String(timer), /^Timer <Timer-\d+, initial>$/);
  timer.start();
  const start = performance.now();
  assert.equal(await timer.join(100), undefined);
  assert.ok(performance.now() - start >= 60);
  assert.equal(timer.isAlive(), true);
  assert.match(String(timer), /started>$/);
  timer.cancel();
  assert.match(String(timer), /stopped>$/);
  assert.throws(() => new Timer(-1, () => undefined), ValueError);
});

test('Timer: an interval longer than 2^31-1 ms does not fire early', async () => {
  let calls = 0;
  const timer = new Timer(2 ** 31 + 10, () => calls++);
  timer.start();
  await delay(200);
  assert.equal(calls, 0);
  assert.equal(timer.isAlive(), true);
  timer.cancel();
});

test('Timer: a function that throws is reported like a thread exception, and the timer still finishes', async (t) => {
  const printed: unknown[][] = [];
  t.mock.method(console, 'error', (...args: unknown[]) => {
    printed.push(args);
  });
  const timer = new Timer(1, () => {
    throw new Error('tick failed');
  });
  timer.start();
  await timer.join();
  assert.equal(timer.finished.isSet(), true);
  assert.equal(printed.length, 1);
  assert.match(String(printed[0]![0]), /^Exception in thread Timer-\d+:$/);
  assert.match(String(printed[0]![1]), /tick failed/);
});
