/**
 * Load and leaks: 1,000,000 tasks through a thread pool and 200,000 through a process pool, in
 * bounded windows. Every task settles once with its own result, and the memory JS objects hold
 * (heap and buffers) after a forced garbage collection ends within 10% of where it was after the
 * first 10,000 tasks: the pool keeps nothing per task. RSS gets 25%: the allocator keeps pages it
 * was given back (socket writes of a process pool move it by ±15% from run to run); a leak per
 * task shows in the first measure, which counts buffers too. `npm run soak` runs bigger sizes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadSummary, mb, runLoad } from '../fixtures/reliability/load.js';

const SIZES = { thread: 1_000_000, process: 200_000 } as const;

describe('load: no task is lost, no memory is kept per task', { concurrency: false }, () => {
  for (const kind of ['thread', 'process'] as const) {
    test(`${kind} pool: ${SIZES[kind].toLocaleString('en')} tasks; memory held ends within 10% of its level after 10,000 (RSS within 25%)`, async (t) => {
      const report = await runLoad(kind, SIZES[kind]);
      t.diagnostic(loadSummary(report));
      assert.equal(report.settled, report.submitted, 'submitted = settled');
      assert.equal(report.duplicated, 0);
      assert.equal(report.wrong, 0, 'every result is its own');
      assert.ok(report.after.heap <= report.before.heap * 1.1, `heap ${mb(report.before.heap)} → ${mb(report.after.heap)}`);
      assert.ok(report.after.rss <= report.before.rss * 1.25, `rss ${mb(report.before.rss)} → ${mb(report.after.rss)}`);
    });
  }
});
