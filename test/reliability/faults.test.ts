/**
 * Faults: thread and process pools running 10,000 tasks among which a seeded few end their
 * worker (process.exit), throw outside any task (before and after returning), block forever (a
 * per-task timeout stops them), or exceed the worker's heap limit, while the run SIGKILLs (or
 * terminates) random workers from outside. Every future must settle exactly once, with its own
 * result or the specific error of its fault, or with `Broken…Pool` only if it had been sent to a
 * worker stopped from outside; no task may start twice (each counts its starts in a shared run
 * log); the pool replaces its workers and finishes the rest; `shutdown()` returns with every
 * worker gone.
 *
 * A failing run prints its replay key; `CT_REPLAY=<key>` replays it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runFaults, summary, type FaultReport } from '../fixtures/reliability/faults.js';
import type { PoolKind } from '../fixtures/reliability/pools.js';
import { runReplayKey } from '../fixtures/reliability/rng.js';
import { captureReports } from '../helpers/reporter.js';
import { captureStderr } from '../helpers/stderr.js';

/** A run not settled by then reports its lost futures instead of hanging (`CT_FAULT_DEADLINE_MS`). */
const DEADLINE_MS = Number(process.env.CT_FAULT_DEADLINE_MS ?? 90_000);

function check(report: FaultReport, faults: Record<string, number>): void {
  const replay = `(replay with CT_REPLAY=${report.replayKey})`;
  assert.deepEqual(report.unexpected, [], `outcomes that break a guarantee ${replay}`);
  assert.equal(report.submitted, report.settled, `submitted = settled ${replay}`);
  assert.equal(report.lost, 0, `no future lost ${replay}`);
  assert.equal(report.duplicated, 0, `no future settled twice ${replay}`);
  assert.equal(report.startedTwice, 0, `no task started twice ${replay}`);
  assert.ok(report.shutdownReturned, `shutdown() returned ${replay}`);
  assert.equal(report.workersExited, report.workersStarted, `every worker exited ${replay}`);
  // Each injected fault is in the run, once (its outcome was checked task by task above).
  for (const [type, n] of Object.entries(faults)) {
    const count = Object.values(report.outcomes[type] ?? {}).reduce((a, b) => a + b, 0);
    assert.equal(count, n, `${type}: ${JSON.stringify(report.outcomes[type])} ${replay}`);
  }
  // 2 workers at most at a time: each fault that ends a worker needs a replacement to go on.
  assert.ok(report.workersStarted >= 2 + (faults.exit ?? 0), `dead workers were replaced (${report.workersStarted} started) ${replay}`);
}

describe('faults: every future settles once, the pool heals, shutdown returns', { concurrency: false }, () => {
  for (const kind of ['thread', 'process'] as PoolKind[]) {
    test(`${kind} pool: 10,000 tasks with exits, stray throws, endless tasks, heap exhaustion and random kills`, async (t) => {
      // The stray errors are reported (with their stacks) through the error reporter: kept here, checked below.
      using reports = captureReports();
      // A child process that reaches its heap limit prints V8's fatal error, which the pool passes through.
      using _stderr = captureStderr();
      const faults = { exit: 3, throwAfterReturn: 3, throwWhileRunning: 3, blockForever: 2, outOfMemory: 2 };
      const report = await runFaults({ kind, replayKey: runReplayKey(), tasks: 10_000, maxWorkers: 2, faults, kills: 4, deadlineMs: DEADLINE_MS });
      t.diagnostic(summary(report));
      check(report, faults);
      for (const r of reports.reports) assert.match(r.message, /worker .* ended (while idle|while \d+ tasks? ran)/, 'only worker endings are reported');
      const stray = reports.reports.filter((r) => /uncaught Error: thrown outside/.test(r.message)).length;
      // A worker stopped (by another fault or from outside) before a stray timer fired never throws it.
      assert.ok(stray > 0 && stray <= faults.throwAfterReturn + faults.throwWhileRunning, `stray errors are reported, once each (${stray})`);
    });
  }
});
