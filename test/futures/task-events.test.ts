/**
 * `executor.onTask`: the public hook through which a program follows each task (submitted,
 * started on a worker, requeued, settled with its outcome and run). The CLI's summary and trace
 * are built on it; these tests hold it to what a user's own tracing or metrics would rely on.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProcessPoolExecutor, setErrorReporter, ThreadPoolExecutor, type TaskEvent, type TaskInfo } from '../../src/futures/index.js';
import { tasks } from '../conformance/executor/context.js';
import { bump, createBoard, waitFor } from '../helpers/signals.js';

/** Every event, in order, from now until `stop()`. */
function record(executor: { onTask(listener: (e: TaskEvent) => void): () => void }): { events: TaskEvent[]; stop: () => void } {
  const events: TaskEvent[] = [];
  const stop = executor.onTask((e) => events.push(e));
  return { events, stop };
}

/** The events of one task, by its future. */
function of(events: readonly TaskEvent[], future: unknown): TaskEvent[] {
  return events.filter((e) => e.task.future === future);
}

/** Clocks of two threads may disagree by a fraction of a millisecond. */
const SKEW_MS = 5;

describe('executor.onTask', () => {
  for (const [kind, make] of [
    ['thread', () => new ThreadPoolExecutor({ maxWorkers: 2 })],
    ['process', () => new ProcessPoolExecutor({ maxWorkers: 1 })],
  ] as const) {
    test(`${kind} pool: submitted, started on a worker, settled with the outcome and when and where it ran`, async () => {
      await using executor = make();
      const { events } = record(executor);
      const ok = executor.submit(tasks.add, 1, 2);
      const bad = executor.submit(tasks.throwRangeError, 'no');
      assert.equal(await ok, 3);
      await assert.rejects(bad.result(), RangeError);

      for (const [future, outcome] of [[ok, 'returned'], [bad, 'raised']] as const) {
        // A fresh pool may send a task to a worker still starting, and the first ready worker then
        // takes it back: each such round is a 'started' then a 'requeued' before the real start.
        const all = of(events, future);
        const rounds = all.filter((e) => e.type === 'requeued').length;
        assert.deepEqual(all.map((e) => e.type), ['submitted', ...Array.from({ length: rounds }, () => ['started', 'requeued']).flat(), 'started', 'settled']);
        const mine = [all[0], ...all.slice(-2)];
        const [submitted, started, settled] = mine as [TaskEvent, TaskEvent, TaskEvent];
        assert.ok(submitted.task === started.task && started.task === settled.task, 'one TaskInfo object per task');
        assert.equal(submitted.task.kind, 'call');
        assert.equal(submitted.task.items, 1);
        assert.equal(submitted.task.fn, future === ok ? 'add' : 'throwRangeError');
        assert.equal(submitted.at, submitted.task.submittedAt);
        assert.ok(started.type === 'started' && typeof started.worker === 'string');
        assert.ok(settled.type === 'settled');
        assert.equal(settled.outcome, outcome);
        if (outcome === 'raised') assert.ok(settled.error instanceof RangeError);
        const run = settled.run;
        assert.ok(run !== undefined, 'a pool says when and where each task ran');
        assert.equal(run.worker, started.worker);
        assert.ok(executor.stats().workers.some((w) => w.name === run.worker), `${run.worker} is one of the pool's workers`);
        assert.ok(submitted.at <= started.at && started.at <= run.start + SKEW_MS, 'submitted, then sent, then started');
        assert.ok(run.start <= run.end && run.end <= settled.at + SKEW_MS, 'ran, then settled');
      }
      assert.deepEqual(events.filter((e) => e.type === 'submitted').map((e) => e.task.id), [1, 2], 'numbered in submission order');
    });
  }

  test('map chunks are tasks of kind chunk whose items add up to the input; starmap chunks are starchunks', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const { events } = record(executor);
    assert.deepEqual(await executor.map(tasks.square, [1, 2, 3, 4, 5, 6, 7], { chunksize: 3 }).toArray(), [1, 4, 9, 16, 25, 36, 49]);
    assert.deepEqual(await executor.starmap(tasks.add, [[1, 2], [3, 4]], { chunksize: 2 }).toArray(), [3, 7]);
    const submitted = events.filter((e) => e.type === 'submitted');
    assert.deepEqual(submitted.map((e) => [e.task.kind, e.task.items]), [['chunk', 3], ['chunk', 3], ['chunk', 1], ['starchunk', 2]]);
    const settled = events.filter((e) => e.type === 'settled');
    assert.equal(settled.length, 4);
    assert.ok(settled.every((e) => e.type === 'settled' && e.outcome === 'returned' && e.run !== undefined));
  });

  test('a task cancelled in the queue settles as cancelled, never started, with no run', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const board = createBoard('shared');
    const { events } = record(executor);
    const blocker = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
    const queued = executor.submit(tasks.add, 1, 1);
    await waitFor(board, 1, 1);
    assert.equal(queued.cancel(), true);
    bump(board, 0);
    await blocker;
    const mine = of(events, queued);
    assert.deepEqual(mine.map((e) => e.type), ['submitted', 'settled']);
    const settled = mine[1] as TaskEvent;
    assert.ok(settled.type === 'settled' && settled.outcome === 'cancelled' && settled.run === undefined);
  });

  test('tasks an idle worker takes back from a blocked one are requeued, then started and run on the idle worker', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const board = createBoard('shared');
    // Two workers at once, and gated measured as quick: the pool then sends each worker several.
    await Promise.all([0, 1].map(() => executor.submit(tasks.gated, board, { started: 2, gate: 2, open: 2 })));
    for (let i = 0; i < 20; i++) await executor.submit(tasks.gated, board, {});
    const { events } = record(executor);
    const blocked = executor.submit(tasks.gated, board, { started: 1, gate: 0 });
    const quick = Array.from({ length: 10 }, (_, i) => executor.submit(tasks.gated, board, {}, i));
    await waitFor(board, 1, 1);
    // The blocked task's worker starts nothing more until the gate opens: every quick task runs on the other.
    assert.deepEqual(await Promise.all(quick), Array.from({ length: 10 }, (_, i) => i));
    bump(board, 0);
    await blocked;

    const blockedOn = (of(events, blocked).find((e) => e.type === 'started') as { worker: string }).worker;
    const requeued = quick.filter((f) => of(events, f).some((e) => e.type === 'requeued'));
    assert.ok(requeued.length > 0, 'the blocked worker held quick tasks, taken back');
    for (const future of quick) {
      const mine = of(events, future);
      const starts = mine.filter((e) => e.type === 'started') as Array<{ worker: string }>;
      const settled = mine.at(-1) as TaskEvent;
      assert.ok(settled.type === 'settled' && settled.run !== undefined);
      assert.notEqual(settled.run.worker, blockedOn, 'no quick task ran on the blocked worker');
      assert.equal(settled.run.worker, starts.at(-1)?.worker, 'it ran where it was sent last');
      if (requeued.includes(future)) {
        assert.deepEqual(mine.map((e) => e.type), ['submitted', 'started', 'requeued', 'started', 'settled']);
        assert.equal(starts[0]?.worker, blockedOn);
      }
    }
  });

  test('tasks sent to a worker whose event loop an async task blocks are taken back and run on the other worker', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const board = createBoard('shared');
    await Promise.all([0, 1].map(() => executor.submit(tasks.gated, board, { started: 2, gate: 2, open: 2 })));
    for (let i = 0; i < 20; i++) await executor.submit(tasks.gated, board, {});
    const { events } = record(executor);
    const holder = executor.submit(tasks.holdLoopLater, board, 1, 0);
    await waitFor(board, 1, 1);
    // Both workers look idle now; one of them starts nothing until the gate opens.
    const quick = Array.from({ length: 10 }, (_, i) => executor.submit(tasks.gated, board, {}, i));
    assert.deepEqual(await Promise.all(quick), Array.from({ length: 10 }, (_, i) => i));
    bump(board, 0);
    assert.equal(await holder, 'released');

    const heldBy = (of(events, holder).find((e) => e.type === 'started') as { worker: string }).worker;
    const requeued = quick.filter((f) => of(events, f).some((e) => e.type === 'requeued'));
    assert.ok(requeued.length > 0, 'the stalled worker was sent quick tasks, taken back');
    for (const future of quick) {
      const settled = of(events, future).at(-1) as TaskEvent;
      assert.ok(settled.type === 'settled' && settled.run !== undefined);
      assert.notEqual(settled.run.worker, heldBy, 'no quick task ran on the stalled worker');
    }
  });

  test('counts of queued, running and finished tasks follow from the events, and match stats()', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const board = createBoard('shared');
    // As docs/observing-tasks.md counts them.
    let queued = 0;
    let running = 0;
    let finished = 0;
    const onWorker = new Set<TaskInfo>();
    executor.onTask((e) => {
      if (e.type === 'submitted') {
        queued++;
      } else if (e.type === 'started') {
        queued--;
        running++;
        onWorker.add(e.task);
      } else if (e.type === 'requeued') {
        queued++;
        running--;
        onWorker.delete(e.task);
      } else {
        if (onWorker.delete(e.task)) running--;
        else queued--;
        finished++;
      }
    });
    const held = [0, 1].map(() => executor.submit(tasks.gated, board, { started: 1, gate: 0 }));
    const waiting = [0, 1, 2].map((i) => executor.submit(tasks.add, i, 0));
    await waitFor(board, 1, 2);
    const stats = executor.stats();
    assert.deepEqual({ queued, running }, { queued: stats.queued, running: stats.running });
    assert.equal(running, 2);
    assert.equal(queued, 3);
    bump(board, 0);
    await Promise.all([...held, ...waiting]);
    assert.deepEqual({ queued, running, finished }, { queued: 0, running: 0, finished: 5 });
  });

  test('a listener that throws is reported and disturbs nothing; after unsubscribing there are no more events', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const reported: string[] = [];
    const previous = setErrorReporter((message) => reported.push(message));
    try {
      const stopThrowing = executor.onTask(() => {
        throw new Error('listener bug');
      });
      const { events, stop } = record(executor);
      assert.equal(await executor.submit(tasks.add, 2, 2), 4);
      assert.deepEqual(events.map((e) => e.type), ['submitted', 'started', 'settled']);
      assert.equal(reported.length, 3);
      assert.match(reported[0] as string, /task event listener \(submitted of task 1\)/);
      stop();
      stopThrowing();
      assert.equal(await executor.submit(tasks.add, 3, 3), 6);
      assert.equal(events.length, 3);
      assert.equal(reported.length, 3);
    } finally {
      setErrorReporter(previous);
    }
    assert.throws(() => executor.onTask(42 as never), TypeError);
  });
});
