/**
 * What travels to and from a worker (DESIGN.md, "How a function reaches a worker"): the four ways
 * a function gets there and what fails with a reason, arguments and results that cannot be
 * cloned, exceptions with their class, message and worker-side stack, and `isMain()`.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SerializationError } from '../../../src/futures/index.js';
import { isMain, taskModule, taskRef } from '../../../src/index.js';
import { settle } from '../../helpers/futures.js';
import { tasks, type SuiteContext } from './context.js';

/** The course chapter's `is_prime`, self-contained: it travels as source text. */
function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrt = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrt; i += 2) if (n % i === 0) return false;
  return true;
}

const PRIMES = [112272535095293, 112582705942171, 115280095190773, 115797848077099];
const NOT_PRIMES = [102272535065492, 1099726899285419];

class Point {
  constructor(readonly x: number, readonly y: number) {}
}

export function shippingTests({ factory, kind }: SuiteContext): void {
  describe('how a function reaches a worker', () => {
    test('a self-contained function travels as source text (the course chapter\'s isPrime)', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const results = await Promise.all([...PRIMES, ...NOT_PRIMES].map((n) => executor.submit(isPrime, n).result()));
      assert.deepEqual(results, [true, true, true, true, false, false]);
      assert.equal(await executor.submit((a: number, b: number) => a * b, 6, 7), 42, 'an arrow function');
      assert.equal(await executor.submit(async (x: number) => {
        await Promise.resolve();
        return x + 1;
      }, 1), 2, 'an async arrow function');
      const shorthand = {
        halve(this: void, x: number): number {
          return x / 2;
        },
      };
      assert.equal(await executor.submit(shorthand.halve, 8), 4, 'a method written in shorthand');
    });

    test('a source function is compiled once per worker, also when each submit makes a new function object with that source', async () => {
      await using executor = factory({ maxWorkers: 1 });
      // A counter kept on the function itself shows whether the worker reuses one compiled function.
      const makeTick = (): (() => number) => function tick(): number {
        const self = tick as unknown as { calls?: number };
        self.calls = (self.calls ?? 0) + 1;
        return self.calls;
      };
      const counts: number[] = [];
      for (let i = 0; i < 4; i++) counts.push(await executor.submit(makeTick()));
      assert.deepEqual(counts, [1, 2, 3, 4]);
    });

    test('an exported function travels by module reference (taskModule, a TypeScript module)', async () => {
      await using executor = factory({ maxWorkers: 2 });
      const futures = [...PRIMES, ...NOT_PRIMES].map((n) => executor.submit(tasks.isPrime, n));
      assert.deepEqual(await Promise.all(futures.map((f) => f.result())), [true, true, true, true, false, false]);
      assert.deepEqual(await executor.map(tasks.isPrime, [2, 3, 4]).toArray(), [true, true, false]);
    });

    test('built-ins reachable from globalThis travel by name: Math.abs, console.log, JSON.stringify', async () => {
      await using executor = factory({ maxWorkers: 1 });
      assert.equal(await executor.submit(Math.abs, -5), 5);
      assert.deepEqual(await executor.map(Math.abs, [-1, 2, -3]).toArray(), [1, 2, 3]);
      assert.equal(await executor.submit(JSON.stringify, { a: 1 }), '{"a":1}');
      assert.equal(await executor.submit(parseInt, '42', 10), 42);
      // console.log by name: what it prints is checked by the program-exit scripts.
      assert.equal(typeof console.log, 'function');
    });

    test('a closure over a local variable fails in the worker with a message that says why and what to do', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const factor = 3;
      const outcome = await settle(executor.submit((x: number) => x * factor, 2).result());
      assert.ok(!outcome.ok);
      const error = outcome.error as Error;
      assert.ok(error instanceof ReferenceError, `a ReferenceError, got ${String(error)}`);
      assert.match(error.message, /factor is not defined/);
      assert.match(error.message, /sent to the worker as source text/, 'says why');
      assert.match(error.message, /taskModule/, 'says what to do');
      assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'the pool keeps working');
    });

    test('a bound function fails at submit with a TypeError that says why and what to do', () => {
      const executor = factory({ maxWorkers: 1 });
      const bound = isPrime.bind(null, 7);
      assert.throws(() => executor.submit(bound), (e: unknown) =>
        e instanceof TypeError && /bound/.test(e.message) && /taskModule|as arguments/.test(e.message));
      return executor.shutdown();
    });

    test('a native function not reachable by name, a class, or a non-function fails at submit with a TypeError', () => {
      const executor = factory({ maxWorkers: 1 });
      const push = [].push as (...items: unknown[]) => number;
      assert.throws(() => executor.submit(push, 1), (e: unknown) => e instanceof TypeError && /not reachable by name/.test(e.message));
      assert.throws(() => executor.submit(Point as never, 1, 2), (e: unknown) => e instanceof TypeError && /class/.test(e.message));
      assert.throws(() => executor.submit(42 as never), TypeError);
      return executor.shutdown();
    });

    test('a reference to an export that does not exist fails its future with a TypeError naming the module\'s functions', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const missing = taskRef<(x: number) => number>(new URL('../../fixtures/futures/tasks.js', import.meta.url), 'notThere');
      const outcome = await settle(executor.submit(missing, 1).result());
      assert.ok(!outcome.ok && outcome.error instanceof TypeError, `TypeError, got ${String(!outcome.ok && outcome.error)}`);
      assert.match(outcome.error.message, /no exported function "notThere"/);
      assert.match(outcome.error.message, /isPrime/, 'lists what the module does export');
      const nowhere = taskRef<() => number>(new URL('../../fixtures/futures/no-such-module.js', import.meta.url), 'f');
      await assert.rejects(executor.submit(nowhere).result(), /cannot import task module .*no-such-module/);
      assert.equal(await executor.submit(tasks.add, 1, 2), 3, 'the worker keeps working');
    });

    test('taskModule refuses a relative path: it would resolve against the worker', () => {
      assert.throws(() => taskModule('./tasks.js'), (e: unknown) => e instanceof TypeError && /new URL\("\.\/tasks\.js", import\.meta\.url\)/.test(e.message));
    });

    test('isMain() is true in the program and false inside a task', async () => {
      await using executor = factory({ maxWorkers: 1 });
      assert.equal(isMain(), true);
      assert.equal(await executor.submit(tasks.inMain), false);
    });
  });

  describe('arguments and results', () => {
    test('arguments and results travel by structured clone: plain data, Maps, Dates, typed arrays, bigints', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const args = [{ a: [1, 'two', null] }, new Map([['k', new Set([1])]]), new Date(0), new Uint8Array([1, 2]), 10n ** 20n, undefined];
      const back = await executor.submit(tasks.echo, ...args);
      assert.deepEqual(back, args);
    });

    test('an argument that cannot be cloned makes submit throw a SerializationError (a TypeError) naming it', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const cases: Array<[unknown[], string, RegExp]> = [
        [[1, () => 2], 'args[1]', /function/],
        [[{ cb: function callback() {} }], 'args[0].cb', /callback/],
        [[[0, [Symbol('s')]]], 'args[0][1][0]', /symbol/],
        [[new Point(1, 2)], 'args[0]', /class Point/],
      ];
      for (const [args, path, detail] of cases) {
        assert.throws(() => executor.submit(tasks.echo, ...args), (e: unknown) =>
          e instanceof SerializationError && e instanceof TypeError && e.path === path && e.message.includes(path) && detail.test(e.message),
        `submit(echo, ${path} uncloneable)`);
      }
      assert.deepEqual(await executor.submit(tasks.echo, 1, 'ok'), [1, 'ok'], 'the pool keeps working');
    });

    test('an argument that passes submit\'s check but will not clone (a detached ArrayBuffer) fails only its own task, not its batch', async () => {
      await using executor = factory({ maxWorkers: 1 });
      for (let i = 0; i < 3; i++) await executor.submit(tasks.add, i, i); // tiny tasks: the pool batches
      const detached = new ArrayBuffer(8);
      structuredClone(detached, { transfer: [detached] });
      const before = executor.submit(tasks.add, 1, 2);
      const bad = executor.submit(tasks.echo, detached);
      const after = executor.submit(tasks.add, 3, 4);
      await assert.rejects(bad.result(), (e: unknown) => e instanceof SerializationError && /arguments of echo cannot be sent/.test(e.message));
      assert.deepEqual([await before.result(), await after.result()], [3, 7]);
      const crash = executor.submit(tasks.throwFromTimerWhileRunning, 'crash');
      await assert.rejects(crash.result(), (e: unknown) => e instanceof kind().Broken && /throwFromTimerWhileRunning/.test((e).message),
        'a worker death after it still blames the right task');
      assert.equal(await executor.submit(tasks.add, 5, 5), 10);
    });

    test('a result that cannot be cloned fails only that future, clearly; the rest of the batch and the pool are fine', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const before = executor.submit(tasks.add, 1, 1);
      const bad = executor.submit(tasks.returnFunction);
      const after = executor.submit(tasks.add, 2, 2);
      const outcome = await settle(bad.result());
      assert.ok(!outcome.ok);
      const error = outcome.error as Error;
      assert.ok(error instanceof SerializationError, `a SerializationError, got ${String(error)}`);
      assert.match(error.message, /result cannot be sent back/);
      assert.deepEqual([await before.result(), await after.result()], [2, 4]);
      assert.equal(await executor.submit(tasks.add, 3, 3), 6);
      await assert.rejects(executor.map(() => Symbol('no'), [1]).toArray(), SerializationError);
    });
  });

  describe('exceptions from a task', () => {
    test('a RangeError arrives as a RangeError with its message and the worker-side stack', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const outcome = await settle(executor.submit(tasks.throwRangeError, 'out of range').result());
      assert.ok(!outcome.ok);
      const error = outcome.error as Error;
      assert.ok(error instanceof RangeError);
      assert.equal(error.name, 'RangeError');
      assert.equal(error.message, 'out of range');
      assert.match(error.stack ?? '', /^RangeError: out of range\n/);
      assert.match(error.stack ?? '', /throwRangeError/, 'the stack shows the worker-side frame');
      assert.match(error.stack ?? '', /fixtures[/\\]futures[/\\]tasks\.ts/);
    });

    test('a custom class MyError extends Error arrives with name "MyError", its message and stack', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const outcome = await settle(executor.submit(tasks.throwMyError, 'mine').result());
      assert.ok(!outcome.ok);
      const error = outcome.error as Error;
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'MyError');
      assert.equal(error.message, 'mine');
      assert.equal(String(error), 'MyError: mine');
      assert.match(error.stack ?? '', /^MyError: mine\n/);
      assert.match(error.stack ?? '', /throwMyError/);
    });

    test('an error thrown by a source-text function shows its frame under task-source:', async () => {
      await using executor = factory({ maxWorkers: 1 });
      const outcome = await settle(executor.submit(function explode(): never {
        throw new TypeError('from source');
      }).result());
      assert.ok(!outcome.ok && outcome.error instanceof TypeError);
      assert.match((outcome.error).stack ?? '', /task-source:explode/);
    });

    test('a thrown non-Error value arrives as that value; the worker carries on', async () => {
      await using executor = factory({ maxWorkers: 1 });
      for (const value of [42, 'text', { code: 7 }, [1, 2]]) {
        const outcome = await settle(executor.submit(tasks.throwValue, value).result());
        assert.ok(!outcome.ok);
        assert.deepEqual(outcome.error, value);
      }
      assert.equal(await executor.submit(tasks.add, 1, 2), 3);
    });
  });
}
