/**
 * Doors of the pools that an adversarial user found open (issue: reliability), each with the
 * outcome it must give on both pool kinds: a bad worker option, results and thrown values that
 * cannot travel or fight being read, errors inside arguments and results, a worker that dies of an
 * uncaught error, and a task module that starts pools at its top level.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BrokenProcessPool, BrokenThreadPool, RuntimeError, SerializationError } from '../../src/errors.js';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { settle } from '../helpers/futures.js';
import { captureReports } from '../helpers/reporter.js';
import { captureStderr } from '../helpers/stderr.js';

const tasks = taskModule<typeof import('../fixtures/pool/tasks.js')>(new URL('../fixtures/pool/tasks.ts', import.meta.url));
const unguarded = taskModule<typeof import('../fixtures/pool/unguarded.js')>(new URL('../fixtures/pool/unguarded.ts', import.meta.url));

const kinds = [
  { name: 'thread', Broken: BrokenThreadPool, make: (): ThreadPoolExecutor | ProcessPoolExecutor => new ThreadPoolExecutor({ maxWorkers: 1 }) },
  { name: 'process', Broken: BrokenProcessPool, make: (): ThreadPoolExecutor | ProcessPoolExecutor => new ProcessPoolExecutor({ maxWorkers: 1 }) },
] as const;

test('a thread pool with an execArgv flag Node refuses fails its futures with BrokenThreadPool naming the flag; the program lives on', async () => {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1, execArgv: ['--bogus-flag'] });
  const outcome = await settle(executor.submit(tasks.add, 1, 2).result());
  assert.ok(!outcome.ok && outcome.error instanceof BrokenThreadPool, `BrokenThreadPool, got ${String(!outcome.ok && outcome.error)}`);
  assert.match((outcome.error).message, /thread workers cannot start/);
  assert.equal(((outcome.error).cause as NodeJS.ErrnoException).code, 'ERR_WORKER_INVALID_EXEC_ARGV');
  assert.throws(() => executor.submit(tasks.add, 1, 2), BrokenThreadPool);
  await executor.shutdown();
});

test('a process pool whose workers cannot start says what Node said (a bad execArgv flag)', async () => {
  using stderr = captureStderr();
  const executor = new ProcessPoolExecutor({ maxWorkers: 1, execArgv: ['--bogus-flag'] });
  const outcome = await settle(executor.submit(tasks.add, 1, 2).result());
  assert.ok(!outcome.ok && outcome.error instanceof BrokenProcessPool, `BrokenProcessPool, got ${String(!outcome.ok && outcome.error)}`);
  assert.match((outcome.error).message, /keep failing to start: exit code 9 \(it wrote: .*bad option: --bogus-flag\)/);
  assert.match(stderr.text(), /bad option/, 'the children\'s stderr still reaches the program');
  await executor.shutdown();
});

for (const kind of kinds) {
  describe(`${kind.name} pool doors`, () => {
    test('any odd thrown value fails its own task with a clear error, and the same worker serves on', async () => {
      await using executor = kind.make();
      const before = await executor.submit(tasks.where);
      for (const odd of ['getter', 'proxy', 'circular', 'number', 'null', 'undefined']) {
        const outcome = await settle(executor.submit(tasks.throwOdd, odd).result());
        assert.ok(!outcome.ok, `${odd}: the task fails`);
        assert.ok(!(outcome.error instanceof kind.Broken), `${odd}: its own error, not a broken worker (${String(outcome.error)})`);
      }
      const circular = await settle(executor.submit(tasks.throwOdd, 'circular').result());
      assert.equal(!circular.ok && (circular.error as { name?: unknown }).name, 'loop', 'a circular thrown object arrives with its fields');
      const getter = await settle(executor.submit(tasks.throwOdd, 'getter').result());
      assert.ok(!getter.ok && getter.error instanceof Error, 'an error with throwing getters arrives as an Error');
      assert.match((getter.error).message, /its message could not be read: the message getter throws/, 'and says why its message is missing');
      assert.equal(await executor.submit(tasks.where), before, 'no worker was replaced');
    });

    test('errors inside arguments and results keep their class, fields, cause and errors', async () => {
      await using executor = kind.make();
      const arg = Object.assign(new TypeError('bad', { cause: new RangeError('deeper') }), { extra: { code: 7 } });
      const out = await executor.submit(tasks.inspectError, arg);
      assert.equal(out.arrived, 'TypeError:TypeError:bad');
      assert.deepEqual(out.extra, { code: 7 });
      assert.equal(out.cause, 'RangeError:deeper');
      assert.ok(out.wrapped instanceof AggregateError, 'an AggregateError result stays one');
      assert.equal(out.wrapped.message, 'both');
      assert.ok(out.wrapped.errors[0] instanceof TypeError && out.wrapped.errors[1] instanceof RangeError);
      assert.deepEqual((out.wrapped.errors[0] as { extra?: unknown }).extra, { code: 7 });
      const thrown = await settle(executor.submit(tasks.throwAggregate).result());
      assert.ok(!thrown.ok && thrown.error instanceof AggregateError, 'a thrown AggregateError stays one');
      assert.deepEqual((thrown.error).errors.map((e: Error) => `${e.constructor.name}:${e.message}`), ['TypeError:first', 'RangeError:second']);
    });

    test('a worker that dies of an uncaught error names it (message and stack), never just an exit code', async () => {
      using _reports = captureReports();
      await using executor = kind.make();
      const died = await settle(executor.submit(tasks.throwLaterWhilePending, 'boom').result());
      assert.ok(!died.ok && died.error instanceof kind.Broken);
      assert.match((died.error).message, /uncaught TypeError: thrown while boom was pending/);
      assert.doesNotMatch((died.error).message, /exit code 0/);
      assert.match(String(((died.error).cause as Error).stack), /fixtures[/\\]pool[/\\]tasks\.ts/, 'the worker-side stack');
    });

    test('a task module that starts a pool at its top level fails with a RuntimeError that says to guard it with isMain(); nothing recurses', async () => {
      await using executor = kind.make();
      const outcome = await settle(executor.submit(unguarded.one).result());
      assert.ok(!outcome.ok);
      assert.match((outcome.error as Error).message, /isMain\(\)/);
      assert.ok(((outcome.error as Error).cause as Error) instanceof RuntimeError, 'the refusal is the cause of the import failure');
      assert.equal(await executor.submit(tasks.add, 2, 3), 5, 'the pool serves on');
    });
  });
}

test('a process pool task that returns a SharedArrayBuffer fails alone with SerializationError; its worker serves on', async () => {
  await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
  const before = await executor.submit(tasks.where);
  const outcome = await settle(executor.submit(tasks.sharedBuffer).result());
  assert.ok(!outcome.ok && outcome.error instanceof SerializationError, `SerializationError, got ${String(!outcome.ok && outcome.error)}`);
  assert.match((outcome.error as Error).message, /cannot be sent back/);
  assert.equal(await executor.submit(tasks.where), before, 'the same worker');
});
