/**
 * The one timeout module (`src/sync/deadline.ts`): its convention, and its timer that never fires
 * early. Every public wait reads its timeout through it; `test/reliability/timeouts.test.ts`
 * checks that each door does.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueError } from '../../src/errors.js';
import { MAX_SLICE_MS, checkTimeout, nextSlice, remaining, startTimer, toDeadline, waitArgument } from '../../src/sync/deadline.js';
import { delay } from '../fixtures/sync/harness.js';

test('checkTimeout: a number; undefined, null and Infinity mean no limit; negative and NaN throw ValueError', () => {
  assert.equal(checkTimeout(undefined), undefined);
  assert.equal(checkTimeout(null), undefined);
  assert.equal(checkTimeout(Infinity), undefined);
  assert.equal(checkTimeout(0), 0);
  assert.equal(checkTimeout(2 ** 40), 2 ** 40);
  assert.throws(() => checkTimeout(-1), (e: unknown) =>
    e instanceof ValueError && e.message === 'timeout must be a non-negative number of milliseconds, got -1');
  assert.throws(() => checkTimeout(Number.NaN), /got NaN/);
  assert.throws(() => checkTimeout(-Infinity), /got -Infinity/);
  assert.throws(() => checkTimeout(-2, 'interval'), /^ValueError: interval must be/);
});

test('checkTimeout: anything else throws TypeError naming the parameter and the value, even values whose description is hard', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['5', /got "5" \(string\)$/],
    [{}, /got Object object$/],
    [Object.create(null), /got null-prototype object$/],
    [[], /got Array object$/],
    [10n, /got 10n \(bigint\)$/],
    [true, /got true \(boolean\)$/],
    [Symbol('s'), /got Symbol\(s\) \(symbol\)$/],
    [() => 1, /got function/],
    [new Proxy({}, { getPrototypeOf() { throw new Error('trap'); } }), /got Object object$/],
  ];
  for (const [value, got] of cases) {
    assert.throws(() => checkTimeout(value, 'taskTimeout'), (e: unknown) =>
      e instanceof TypeError && e.message.startsWith('taskTimeout must be a number of milliseconds (or undefined or null for no limit), got ') && got.test(e.message),
    `checkTimeout(${String(typeof value)})`);
  }
});

test('waitArgument: a number, undefined/null, or an options object holding the timeout; anything else is a TypeError', () => {
  assert.deepEqual(waitArgument(5), { timeout: 5, options: undefined });
  assert.deepEqual(waitArgument(null), { timeout: undefined, options: undefined });
  assert.deepEqual(waitArgument(undefined), { timeout: undefined, options: undefined });
  const options = { timeout: null, signal: undefined };
  assert.deepEqual(waitArgument(options), { timeout: undefined, options });
  assert.equal(waitArgument({ timeout: 7 }).timeout, 7);
  assert.throws(() => waitArgument('100' as never), (e: unknown) =>
    e instanceof TypeError && e.message === 'timeout must be a number of milliseconds or an options object such as { timeout }, got "100" (string)');
  assert.throws(() => waitArgument({ timeout: '100' }), (e: unknown) => e instanceof TypeError && /^timeout must be a number/.test(e.message));
  assert.throws(() => waitArgument({ timeout: -1 }), ValueError);
});

test('toDeadline, remaining and nextSlice: deadlines on the performance clock, slices never above 2^31-1 ms', () => {
  const before = performance.now();
  const deadline = toDeadline(1000);
  assert.ok(deadline >= before + 1000 && deadline <= performance.now() + 1000);
  assert.equal(toDeadline(undefined), Infinity);
  assert.equal(toDeadline(null), Infinity);
  assert.throws(() => toDeadline('5'), TypeError);
  assert.equal(remaining(Infinity), Infinity);
  assert.equal(remaining(performance.now() - 5), 0);
  assert.ok(remaining(deadline) <= 1000);
  assert.equal(nextSlice(Infinity), MAX_SLICE_MS);
  assert.equal(nextSlice(toDeadline(2 ** 33)), MAX_SLICE_MS);
  assert.equal(MAX_SLICE_MS, 2 ** 31 - 1);
});

test('startTimer fires once, never early and never synchronously; clear() stops it', async () => {
  let fired = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    startTimer(() => {
      fired++;
      resolve();
    }, 50);
  });
  assert.ok(performance.now() - start >= 50, 'fired early by the performance clock');
  assert.equal(fired, 1);
  let zero = 0;
  startTimer(() => zero++, 0);
  assert.equal(zero, 0, 'a 0 ms timer fires later, not inside startTimer');
  await delay(20);
  assert.equal(zero, 1);
  let cancelled = 0;
  const timer = startTimer(() => cancelled++, 10);
  timer.clear();
  timer.clear();
  await delay(50);
  assert.equal(cancelled, 0);
});

test('startTimer does not fire for more than 2^31-1 ms (Node\'s setTimeout would after 1 ms), nor for Infinity', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error): void => {
    warnings.push(warning.name);
  };
  process.on('warning', onWarning);
  try {
    let long = 0;
    const timers = [startTimer(() => long++, 2 ** 31 + 100), startTimer(() => long++, 2 ** 45), startTimer(() => long++, Infinity)];
    await delay(150);
    assert.equal(long, 0);
    for (const timer of timers) timer.clear();
    assert.deepEqual(warnings.filter((name) => name === 'TimeoutOverflowWarning'), []);
  } finally {
    process.off('warning', onWarning);
  }
});
