/**
 * `Future` on its own (no executor): every FUT row of the conformance checklist, run against
 * fixture futures in each state (CPython's `test_future.py`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  BrokenExecutor, BrokenProcessPool, BrokenThreadPool, CancelledError, Future, InvalidStateError, RuntimeError,
  TimeoutError, ValueError, asCompleted, wait, FIRST_EXCEPTION,
} from '../../src/futures/index.js';
import { OSError } from '../../src/errors.js';
import {
  FIXTURE_RESULT, FIXTURE_STATES, createFuture, nextTurn, settle, type FixtureState,
} from '../helpers/futures.js';
import { captureReports } from '../helpers/reporter.js';
import { assertTimeout, since } from '../helpers/timing.js';

describe('Future state getters', () => {
  const expected: Record<FixtureState, [running: boolean, done: boolean, cancelled: boolean, state: string]> = {
    PENDING: [false, false, false, 'PENDING'],
    RUNNING: [true, false, false, 'RUNNING'],
    CANCELLED: [false, true, true, 'CANCELLED'],
    FINISHED: [false, true, false, 'FINISHED'],
    FAILED: [false, true, false, 'FINISHED'],
  };
  for (const state of FIXTURE_STATES) {
    test(`FUT-01 a ${state} future reports running/done/cancelled/state`, () => {
      const f = createFuture(state);
      assert.deepEqual([f.running(), f.done(), f.cancelled(), f.state], expected[state]);
    });
  }

  test('FUT-01 setRunningOrNotifyCancel() moves PENDING to RUNNING', () => {
    const f = new Future<number>();
    assert.equal(f.state, 'PENDING');
    assert.equal(f.setRunningOrNotifyCancel(), true);
    assert.equal(f.running(), true);
    assert.equal(f.done(), false);
  });
});

describe('Future.cancel', () => {
  test('FUT-02 cancel() on a PENDING future returns true, makes it CANCELLED, wakes waiters and runs callbacks', async () => {
    const f = createFuture<number>('PENDING');
    const waiter = settle(f.result());
    const seen: Array<Future<number>> = [];
    f.addDoneCallback((g) => seen.push(g));
    assert.equal(f.cancel(), true);
    assert.equal(f.state, 'CANCELLED');
    assert.equal(f.done(), true);
    assert.equal(f.cancelled(), true);
    assert.deepEqual(seen, [f]);
    const outcome = await waiter;
    assert.equal(outcome.ok, false);
    assert.ok(!outcome.ok && outcome.error instanceof CancelledError);
  });

  for (const state of ['RUNNING', 'FINISHED', 'FAILED'] as const) {
    test(`FUT-03 cancel() on a ${state} future returns false and changes nothing`, async () => {
      const f = createFuture<number>(state);
      const before = f.state;
      assert.equal(f.cancel(), false);
      assert.equal(f.state, before);
      assert.equal(f.cancelled(), false);
      if (state === 'FINISHED') assert.equal(await f.result(), FIXTURE_RESULT);
      if (state === 'FAILED') await assert.rejects(f.result(), OSError);
    });
  }

  test('FUT-03 cancel({ force: true }) on a RUNNING future with no executor behind it returns false', () => {
    const f = createFuture('RUNNING');
    assert.equal(f.cancel({ force: true }), false);
    assert.equal(f.state, 'RUNNING');
  });

  test('FUT-04 cancel() on a cancelled future returns true again and does not re-run callbacks', () => {
    const f = createFuture('PENDING');
    let calls = 0;
    f.addDoneCallback(() => calls++);
    assert.equal(f.cancel(), true);
    assert.equal(f.cancel(), true);
    assert.equal(f.cancel({ force: true }), true);
    assert.equal(calls, 1);
  });
});

describe('Future.setRunningOrNotifyCancel', () => {
  test('FUT-05 returns true on PENDING and false on CANCELLED (the work must not run)', () => {
    assert.equal(createFuture('PENDING').setRunningOrNotifyCancel(), true);
    const cancelled = createFuture('CANCELLED');
    assert.equal(cancelled.setRunningOrNotifyCancel(), false);
    assert.equal(cancelled.state, 'CANCELLED');
  });

  for (const state of ['RUNNING', 'FINISHED', 'FAILED'] as const) {
    test(`FUT-05 throws RuntimeError('Future in unexpected state') on a ${state} future`, () => {
      const f = createFuture(state);
      assert.throws(() => f.setRunningOrNotifyCancel(), (e: unknown) =>
        e instanceof RuntimeError && /^Future in unexpected state/.test(e.message));
    });
  }
});

describe('Future.result', () => {
  test('FUT-06 result() of a FINISHED future is its value, with or without a timeout', async () => {
    const f = createFuture<number>('FINISHED');
    assert.equal(await f.result(), FIXTURE_RESULT);
    assert.equal(await f.result(0), FIXTURE_RESULT);
    assert.equal(await f.result({ timeout: 0 }), FIXTURE_RESULT);
    assert.equal(await f.result({ timeout: 10 }), FIXTURE_RESULT);
  });

  test('FUT-06 result() of a failed future rejects with the same exception object every time', async () => {
    const error = new OSError('the one');
    const f = createFuture('FAILED', { exception: error });
    const first = await settle(f.result());
    const second = await settle(f.result({ timeout: 5 }));
    const third = await settle(f);
    assert.ok(!first.ok && !second.ok && !third.ok);
    assert.equal(first.error, error);
    assert.equal(second.error, error);
    assert.equal(third.error, error);
  });

  test('FUT-06 result() of a cancelled future rejects with CancelledError', async () => {
    await assert.rejects(createFuture('CANCELLED').result(), CancelledError);
    await assert.rejects(createFuture('CANCELLED').result(0), CancelledError);
  });

  for (const state of ['PENDING', 'RUNNING'] as const) {
    test(`FUT-06 result(timeout) of a ${state} future rejects with TimeoutError once the timeout passes`, async () => {
      const f = createFuture(state);
      const start = performance.now();
      await assert.rejects(f.result(100), TimeoutError);
      assertTimeout(since(start), 100);
      const again = performance.now();
      await assert.rejects(f.result({ timeout: 100 }), TimeoutError);
      assertTimeout(since(again), 100);
      assert.equal(f.state, state, 'a timed-out wait leaves the future alone');
    });
  }

  test('FUT-06 result(0) polls: a pending future rejects with TimeoutError at once', async () => {
    const f = createFuture('PENDING');
    const start = performance.now();
    await assert.rejects(f.result(0), TimeoutError);
    assert.ok(since(start) < 1000);
  });

  test('FUT-06 result() with no timeout waits as long as it takes', async () => {
    const f = createFuture<string>('RUNNING');
    const waiting = f.result();
    const waitingInfinite = f.result({ timeout: Infinity });
    await nextTurn();
    f.setResult('late');
    assert.equal(await waiting, 'late');
    assert.equal(await waitingInfinite, 'late');
  });

  test('result(timeout) rejects synchronously with ValueError for a negative or NaN timeout', () => {
    const f = createFuture('PENDING');
    assert.throws(() => f.result(-1), ValueError);
    assert.throws(() => f.result({ timeout: Number.NaN }), ValueError);
    assert.throws(() => f.exception(-5), ValueError);
  });

  test('result({ signal }) rejects with the abort reason and leaves the future pending', async () => {
    const f = createFuture('PENDING');
    const controller = new AbortController();
    const waiting = f.result({ signal: controller.signal });
    controller.abort(new Error('stop waiting'));
    await assert.rejects(waiting, /stop waiting/);
    assert.equal(f.state, 'PENDING');
    const aborted = AbortSignal.abort(new Error('already'));
    await assert.rejects(f.result({ signal: aborted }), /already/);
  });

  test('FUT-08 a result(timeout) waiter is woken by cancel() and gets CancelledError before its timeout', async () => {
    const f = createFuture('PENDING');
    const start = performance.now();
    const waiting = f.result(60_000);
    const waitingObject = f.result({ timeout: 60_000 });
    f.cancel();
    await assert.rejects(waiting, CancelledError);
    await assert.rejects(waitingObject, CancelledError);
    assert.ok(since(start) < 5_000);
  });
});

describe('long timeouts', () => {
  test('a timeout above 2^31-1 ms does not fire early (Node\'s setTimeout would fire after 1 ms) in result, exception, wait and asCompleted', async () => {
    const long = 2 ** 31 + 1000;
    const f = createFuture<number>('RUNNING');
    const outcomes: string[] = [];
    const track = (what: string, p: Promise<unknown>): Promise<unknown> => p.then(() => outcomes.push(`${what} done`), () => outcomes.push(`${what} failed`));
    const all = Promise.all([
      track('result', f.result(long)),
      track('exception', f.exception({ timeout: long })),
      track('wait', wait([f], { timeout: long })),
      track('asCompleted', asCompleted([f], { timeout: long }).next()),
    ]);
    // The passage of time is what is under test here: 50 ms is far past Node's 1 ms overflow.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(outcomes, [], 'nothing ended early');
    f.setResult(1);
    await all;
    assert.deepEqual(outcomes.sort(), ['asCompleted done', 'exception done', 'result done', 'wait done']);
  });
});

describe('Future.exception', () => {
  test('FUT-07 exception() is the exception of a failed future and undefined after success', async () => {
    const error = new OSError('boom');
    assert.equal(await createFuture('FAILED', { exception: error }).exception(), error);
    assert.equal(await createFuture('FINISHED').exception(), undefined);
    assert.equal(await createFuture('FINISHED').exception(0), undefined);
  });

  test('FUT-07 exception() rejects with CancelledError on a cancelled future', async () => {
    await assert.rejects(createFuture('CANCELLED').exception(), CancelledError);
  });

  test('FUT-07 exception(timeout) rejects with TimeoutError while the future is pending', async () => {
    const start = performance.now();
    await assert.rejects(createFuture('RUNNING').exception({ timeout: 100 }), TimeoutError);
    assertTimeout(since(start), 100);
    await assert.rejects(createFuture('PENDING').exception(0), TimeoutError);
  });

  test('FUT-07 exception() waits for a pending future to finish', async () => {
    const f = createFuture('RUNNING');
    const waiting = f.exception();
    const error = new RangeError('later');
    f.setException(error);
    assert.equal(await waiting, error);
  });
});

describe('Future.setResult / setException', () => {
  for (const state of ['FINISHED', 'FAILED', 'CANCELLED'] as const) {
    test(`FUT-09 setResult and setException on a ${state} future throw InvalidStateError naming the state, and the first outcome is kept`, async () => {
      const f = createFuture<number>(state);
      const name = state === 'CANCELLED' ? 'CANCELLED' : 'FINISHED';
      const check = (e: unknown): boolean => e instanceof InvalidStateError && e.message.startsWith(`${name}: <Future `);
      assert.throws(() => f.setResult(7), check);
      assert.throws(() => f.setException(new Error('second')), check);
      if (state === 'FINISHED') assert.equal(await f.result(), FIXTURE_RESULT);
      if (state === 'FAILED') await assert.rejects(f.result(), OSError);
      if (state === 'CANCELLED') await assert.rejects(f.result(), CancelledError);
    });
  }

  test('FUT-09 the InvalidStateError messages follow Python: "FINISHED: <Future state=finished returned number>"', () => {
    const finished = createFuture<number>('FINISHED');
    assert.throws(() => finished.setResult(1), { message: 'FINISHED: <Future state=finished returned number>' });
    const cancelled = createFuture<number>('CANCELLED');
    assert.throws(() => cancelled.setResult(1), { message: 'CANCELLED: <Future state=cancelled>' });
  });

  test('setResult and setException also work straight from PENDING', async () => {
    const ok = new Future<number>();
    ok.setResult(1);
    assert.equal(await ok, 1);
    const failed = new Future<number>();
    failed.setException(new Error('x'));
    await assert.rejects(failed.result(), /x/);
  });
});

describe('Future done-callbacks', () => {
  for (const outcome of ['result', 'exception', 'cancel'] as const) {
    test(`FUT-10 callbacks run once, in the order added, with the future as their only argument (${outcome})`, () => {
      const f = createFuture<number>(outcome === 'cancel' ? 'PENDING' : 'RUNNING');
      const calls: Array<[string, unknown[]]> = [];
      f.addDoneCallback((...args) => calls.push(['a', args]));
      f.addDoneCallback((...args) => calls.push(['b', args]));
      f.addDoneCallback((...args) => calls.push(['c', args]));
      assert.deepEqual(calls, [], 'nothing runs before the future is done');
      if (outcome === 'result') f.setResult(5);
      else if (outcome === 'exception') f.setException(new Error('x'));
      else f.cancel();
      assert.deepEqual(calls, [['a', [f]], ['b', [f]], ['c', [f]]]);
      f.cancel();
      assert.equal(calls.length, 3, 'a callback never runs twice');
    });
  }

  for (const state of ['FINISHED', 'FAILED', 'CANCELLED'] as const) {
    test(`FUT-11 addDoneCallback on a ${state} future runs the callback before returning`, () => {
      const f = createFuture(state);
      let ran = false;
      let argument: unknown;
      f.addDoneCallback((g) => {
        ran = true;
        argument = g;
      });
      assert.equal(ran, true, 'the callback ran synchronously, inside addDoneCallback');
      assert.equal(argument, f);
    });
  }

  test('FUT-12 a throwing callback is reported as "exception calling callback for <Future …>" and the others still run', () => {
    using capture = captureReports();
    const f = createFuture<number>('RUNNING');
    const error = new Error('callback failure');
    const ran: string[] = [];
    f.addDoneCallback(() => ran.push('first'));
    f.addDoneCallback(() => {
      throw error;
    });
    f.addDoneCallback(() => ran.push('third'));
    assert.doesNotThrow(() => f.setResult(5));
    assert.deepEqual(ran, ['first', 'third']);
    assert.equal(capture.reports.length, 1);
    assert.equal(capture.reports[0]?.message, 'exception calling callback for <Future state=finished returned number>');
    assert.equal(capture.reports[0]?.error, error);
  });

  test('FUT-12 a callback that throws on an already-done future is reported, not thrown out of addDoneCallback', () => {
    using capture = captureReports();
    const f = createFuture('FINISHED');
    assert.doesNotThrow(() => f.addDoneCallback(() => {
      throw new RangeError('inline');
    }));
    assert.equal(capture.reports.length, 1);
    assert.match(capture.reports[0]?.message ?? '', /^exception calling callback for <Future state=finished/);
    assert.ok(capture.reports[0]?.error instanceof RangeError);
  });

  test('FUT-12 a throwing callback on cancel() is reported and cancel() still returns true', () => {
    using capture = captureReports();
    const f = createFuture('PENDING');
    f.addDoneCallback(() => {
      throw new Error('x');
    });
    assert.equal(f.cancel(), true);
    assert.match(capture.reports[0]?.message ?? '', /^exception calling callback for <Future state=cancelled>/);
  });

  test('the reporter is restored after a capture', () => {
    const outer = captureReports();
    {
      using inner = captureReports();
      createFuture('FINISHED').addDoneCallback(() => {
        throw new Error('inner');
      });
      assert.equal(inner.reports.length, 1);
    }
    createFuture('FINISHED').addDoneCallback(() => {
      throw new Error('outer');
    });
    outer.restore();
    assert.equal(outer.reports.length, 1);
    assert.match(String((outer.reports[0]?.error as Error).message), /outer/);
  });

  test('addDoneCallback refuses what is not a function', () => {
    assert.throws(() => createFuture('PENDING').addDoneCallback(42 as never), TypeError);
  });
});

describe('Future printing and error classes', () => {
  test('FUT-14 toString() and util.inspect show the state as Python\'s repr does', () => {
    const expected: Record<FixtureState, string> = {
      PENDING: '<Future state=pending>',
      RUNNING: '<Future state=running>',
      CANCELLED: '<Future state=cancelled>',
      FINISHED: '<Future state=finished returned number>',
      FAILED: '<Future state=finished raised OSError>',
    };
    for (const state of FIXTURE_STATES) {
      const f = createFuture(state);
      assert.equal(f.toString(), expected[state]);
      assert.equal(inspect(f), expected[state]);
    }
    assert.equal(createFuture('FINISHED', { result: 'x' }).toString(), '<Future state=finished returned string>');
    assert.equal(createFuture('FINISHED', { result: null }).toString(), '<Future state=finished returned null>');
    assert.equal(createFuture('FAILED', { exception: undefined }).toString(), '<Future state=finished raised undefined>');
  });

  test('FUT-15 error classes: BrokenExecutor is a RuntimeError; the broken pools are BrokenExecutors; names match the classes', () => {
    assert.ok(new BrokenExecutor('x') instanceof RuntimeError);
    assert.ok(new BrokenThreadPool('x') instanceof BrokenExecutor);
    assert.ok(new BrokenProcessPool('x') instanceof BrokenExecutor);
    assert.ok(!(new BrokenThreadPool('x') instanceof BrokenProcessPool));
    for (const Cls of [CancelledError, InvalidStateError, TimeoutError, BrokenExecutor, BrokenThreadPool, BrokenProcessPool]) {
      const e = new Cls('m');
      assert.ok(e instanceof Error);
      assert.equal(e.name, Cls.name);
      assert.equal(String(e), `${Cls.name}: m`);
    }
    assert.notEqual(TimeoutError, globalThis.DOMException, 'TimeoutError is not the DOMException of AbortSignal.timeout');
  });

  test('FUT-15 errors carry a cause', () => {
    const cause = new Error('root');
    assert.equal(new BrokenThreadPool('x', { cause }).cause, cause);
  });
});

describe('Future falsy exceptions', () => {
  for (const value of [undefined, 0, '', null, false, Number.NaN]) {
    test(`FUT-17 setException(${String(value) || "''"}) still fails the future`, async () => {
      const f = createFuture('RUNNING');
      f.setException(value);
      assert.equal(f.done(), true);
      const outcome = await settle(f.result());
      assert.equal(outcome.ok, false, 'result() rejects');
      assert.ok(!outcome.ok && Object.is(outcome.error, value));
      assert.ok(Object.is(await f.exception(), value));
      assert.match(f.toString(), /raised/);
      const { done, notDone } = await wait([f, createFuture('PENDING')], { returnWhen: FIRST_EXCEPTION });
      assert.deepEqual([done.has(f), notDone.size], [true, 1], 'FIRST_EXCEPTION sees the failure');
    });
  }
});

describe('Future is thenable', () => {
  test('await future equals await future.result()', async () => {
    assert.equal(await createFuture<number>('FINISHED'), FIXTURE_RESULT);
    await assert.rejects(async () => {
      await createFuture('FAILED');
    }, OSError);
    await assert.rejects(async () => {
      await createFuture('CANCELLED');
    }, CancelledError);
  });

  test('await waits for a pending future, and every await shares one outcome', async () => {
    const f = createFuture<number>('PENDING');
    const a = (async () => await f)();
    const b = f.then((v) => v * 2);
    const c = f.catch(() => -1);
    f.setRunningOrNotifyCancel();
    f.setResult(21);
    assert.deepEqual(await Promise.all([a, b, c]), [21, 42, 21]);
  });

  test('then(onFulfilled, onRejected) and catch() behave as on a promise', async () => {
    const failed = createFuture('FAILED', { exception: new RangeError('r') });
    assert.equal(await failed.then(() => 'no', (e) => (e as Error).name), 'RangeError');
    assert.equal(await failed.catch((e) => (e as Error).message), 'r');
    assert.equal(await Promise.resolve(createFuture('FINISHED', { result: 'via resolve' })), 'via resolve');
  });
});
