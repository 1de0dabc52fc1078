/**
 * Timing assertions with CPython's tolerance (`lock_tests.BaseTestCase.assertTimeout`): a wait
 * that should last `expected` ms lasts at least 0.6 × that, and less than a generous upper bound.
 *
 * @module
 */
import assert from 'node:assert/strict';

/** Milliseconds since `start` (a `performance.now()` value). */
export function since(start: number): number {
  return performance.now() - start;
}

/** `elapsed` is at least 0.6 × `expected` and below `upper` (default 10 s). */
export function assertTimeout(elapsed: number, expected: number, upper = 10_000): void {
  assert.ok(elapsed >= 0.6 * expected, `waited ${elapsed.toFixed(1)} ms, expected about ${expected} ms (at least ${0.6 * expected})`);
  assert.ok(elapsed < upper, `waited ${elapsed.toFixed(1)} ms, more than ${upper} ms`);
}
