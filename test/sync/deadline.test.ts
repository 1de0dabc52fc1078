import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ValueError } from '../../src/errors.js';
import { MAX_SLICE_MS, checkTimeout, nextSlice, remaining, setLongTimeout, toDeadline } from '../../src/sync/deadline.js';
import { delay } from '../fixtures/sync/harness.js';

test('checkTimeout: undefined and Infinity mean no limit; negative, NaN and non-numbers throw ValueError naming the value', () => {
  assert.equal(checkTimeout(undefined), Infinity);
  assert.equal(checkTimeout(Infinity), Infinity);
  assert.equal(checkTimeout(0), 0);
  assert.equal(checkTimeout(2 ** 40), 2 ** 40);
  assert.throws(() => checkTimeout(-1), (e: unknown) =>
    e instanceof ValueError && e.message === 'timeout must be a non-negative number of milliseconds (or Infinity for no limit), got -1');
  assert.throws(() => checkTimeout(Number.NaN), /got NaN/);
  assert.throws(() => checkTimeout(-Infinity), /got -Infinity/);
  assert.throws(() => checkTimeout('5' as unknown as number), /got '5' \(string\)/);
  assert.throws(() => checkTimeout(-2, 'interval'), /^ValueError: interval must be/);
});

test('toDeadline, remaining and nextSlice: deadlines on the performance clock, slices never above 2^31-1 ms', () => {
  const before = performance.now();
  const deadline = toDeadline(1000);
  assert.ok(deadline >= before + 1000 && deadline <= performance.now() + 1000);
  assert.equal(toDeadline(undefined), Infinity);
  assert.equal(remaining(Infinity), Infinity);
  assert.equal(remaining(performance.now() - 5), 0);
  assert.ok(remaining(deadline) <= 1000);
  assert.equal(nextSlice(Infinity), MAX_SLICE_MS);
  assert.equal(nextSlice(toDeadline(2 ** 33)), MAX_SLICE_MS);
  assert.equal(MAX_SLICE_MS, 2 ** 31 - 1);
});

test('setLongTimeout fires once, never early, and not at once for more than 2^31-1 ms; cancel() stops it', async () => {
  let fired = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    setLongTimeout(() => {
      fired++;
      resolve();
    }, 50);
  });
  assert.ok(performance.now() - start >= 50);
  assert.equal(fired, 1);
  let long = 0;
  const handle = setLongTimeout(() => long++, 2 ** 31 + 100);
  await delay(150);
  assert.equal(long, 0);
  handle.cancel();
  handle.cancel();
  let cancelled = 0;
  setLongTimeout(() => cancelled++, 10).cancel();
  await delay(50);
  assert.equal(cancelled, 0);
  assert.throws(() => setLongTimeout(() => undefined, -1), ValueError);
});
