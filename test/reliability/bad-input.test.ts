/**
 * Bad input at the doors that test/futures and test/conformance do not already cover (see
 * docs/reliability.md for the list of those that they do): each fails with a specific error
 * class, and the pool keeps serving afterwards.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProcessPoolExecutor, SerializationError, ThreadPoolExecutor, ValueError } from '../../src/futures/index.js';
import { tasks } from '../fixtures/reliability/faults.js';
import { InstrumentedPool, type PoolKind } from '../fixtures/reliability/pools.js';
import { settle } from '../helpers/futures.js';

const MB = 1024 * 1024;

const kinds: Array<[PoolKind, typeof ThreadPoolExecutor | typeof ProcessPoolExecutor]> = [
  ['thread', ThreadPoolExecutor],
  ['process', ProcessPoolExecutor],
];

for (const [kind, Executor] of kinds) {
  describe(`bad input: ${kind} pool`, () => {
    test('maxWorkers NaN, fractional, Infinity or a string: TypeError (0 and negatives: EXE-12)', () => {
      for (const maxWorkers of [Number.NaN, 1.5, Infinity, -Infinity, '2']) {
        assert.throws(() => new Executor({ maxWorkers: maxWorkers as number }),
          (e: unknown) => e instanceof TypeError && /^maxWorkers must be an integer/.test(e.message), String(maxWorkers));
      }
    });

    test('a negative or NaN timeout: ValueError at the constructor, at submit and at map; the pool still serves', async () => {
      for (const bad of [-1, -0.5, Number.NaN, -Infinity]) {
        assert.throws(() => new Executor({ maxWorkers: 1, taskTimeout: bad }), ValueError, `taskTimeout ${bad}`);
      }
      await using executor = new Executor({ maxWorkers: 1 });
      for (const bad of [-1, Number.NaN]) {
        assert.throws(() => executor.withOptions({ timeout: bad }).submit(tasks.square, 2), ValueError, `submit timeout ${bad}`);
        assert.throws(() => executor.map(tasks.square, [1, 2], { timeout: bad }), ValueError, `map timeout ${bad}`);
      }
      assert.throws(() => executor.withOptions({ timeout: '5' as never }).submit(tasks.square, 2), TypeError);
      assert.equal(await executor.submit(tasks.square, 9), 81);
    });

    test('results that cannot travel fail their own future with SerializationError; the others arrive; the pool still serves', async () => {
      await using executor = new Executor({ maxWorkers: 1 });
      const kinds = ['nestedFunction', 'weakmap', 'promiseOfFunction', 'symbol'];
      const futures = kinds.map((k) => executor.submit(tasks.returnKind, k));
      const fine = executor.submit(tasks.square, 3);
      for (const [i, future] of futures.entries()) {
        const outcome = await settle(future.result());
        assert.ok(!outcome.ok && outcome.error instanceof SerializationError && /cannot be sent back/.test(outcome.error.message),
          `${kinds[i]}: ${String(outcome.ok ? outcome.value : outcome.error)}`);
      }
      assert.equal(await fine, 9);
      assert.equal(await executor.submit(tasks.square, 4), 16);
    });

    test('a class instance with private fields comes back as plain data (own fields only, no class); circular results keep their shape', async () => {
      await using executor = new Executor({ maxWorkers: 1 });
      const privateOne = await executor.submit(tasks.returnKind, 'private') as Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(privateOne), Object.prototype);
      assert.deepEqual(Object.keys(privateOne), ['visible']);
      assert.equal(privateOne.secret, undefined, 'no method came along');
      const circular = await executor.submit(tasks.returnKind, 'circular') as { self: unknown; list: unknown[] };
      assert.equal(circular.self, circular);
      assert.equal(circular.list[0], circular);
      // Circular arguments travel too (structured clone).
      const arg: Record<string, unknown> = { name: 'arg' };
      arg.self = arg;
      assert.deepEqual(await executor.submit(tasks.inspectArg, arg), { type: '[object Object]', circular: true });
    });

    test('a 100 MB argument and a 100 MB result arrive whole; the pool still serves', async () => {
      await using executor = new Executor({ maxWorkers: 1 });
      const big = new Uint8Array(100 * MB);
      big[0] = 1;
      big[big.length - 1] = 2;
      assert.deepEqual(await executor.submit(tasks.inspectArg, big), { type: 'Uint8Array', length: 100 * MB, first: 1, last: 2 });
      const back: Uint8Array = await executor.submit(tasks.makeBytes, 100 * MB);
      assert.ok(back instanceof Uint8Array);
      assert.deepEqual([back.length, back[0], back[back.length - 1]], [100 * MB, 1, 2]);
      assert.equal(await executor.submit(tasks.square, 5), 25);
    });

    test('a task returning a rejected promise with a non-Error reason fails with that reason (or a string describing it)', async () => {
      await using executor = new Executor({ maxWorkers: 1 });
      const cases: Array<[string, (e: unknown) => boolean]> = [
        ['number', (e) => e === 42],
        ['zero', (e) => e === 0],
        ['string', (e) => e === 'plain string'],
        ['empty', (e) => e === ''],
        ['undefined', (e) => e === undefined],
        ['null', (e) => e === null],
        ['false', (e) => e === false],
        ['object', (e) => JSON.stringify(e) === '{"code":"E_PLAIN","nested":[1,{"deep":true}]}'],
        ['array', (e) => Array.isArray(e) && e[1] === 'two'],
        ['bigint', (e) => e === 10n ** 20n],
        ['symbol', (e) => e === 'symbol thrown: Symbol(reason)'],
        ['function', (e) => typeof e === 'string' && e.startsWith('function thrown: function reasonFn')],
        ['classInstance', (e) => e === 'object thrown: [object Object]'],
      ];
      const futures = cases.map(([k]) => executor.submit(tasks.rejectWith, k));
      for (const [i, future] of futures.entries()) {
        const [label, fits] = cases[i] as [string, (e: unknown) => boolean];
        assert.equal(future.state, future.done() ? 'FINISHED' : future.state);
        const outcome = await settle(future.result());
        assert.ok(!outcome.ok, `${label}: the future failed`);
        assert.ok(fits(outcome.error), `${label}: got ${String(outcome.error)}`);
        assert.equal(await future.exception(), outcome.error, `${label}: exception() agrees`);
      }
      assert.equal(await executor.submit(tasks.square, 6), 36);
    });

    test('messages of the wrong shape sent to a worker are refused there: the worker, the parent and the pool carry on', async () => {
      const pool = new InstrumentedPool(kind, { maxWorkers: 1 });
      try {
        assert.equal(await pool.submit(tasks.square, 2), 4);
        const started = pool.workersStarted;
        const garbage: unknown[] = [
          null, 42, 'run', [], {}, { op: 'nope' }, { op: 'run' }, { op: 'run', defs: null, tasks: [1, 2, 3] },
          { op: 'run', defs: 'x', tasks: [] }, { op: 'run', defs: [[1, { kind: 'evil', name: 'x' }]], tasks: [] },
          { op: 'run', defs: [[1, null]], tasks: [] },
          // Well-formed, but naming a task id the pool never sent and a function the worker does not have.
          { op: 'run', defs: null, tasks: [2_000_000_000, 999, 0, [1]] },
          { op: 'run', defs: null, tasks: [2_000_000_001, 0, 0, 'not a list'] },
          { op: 'run', defs: null, tasks: ['id', 0, 0, []] },
        ];
        for (const message of garbage) assert.equal(pool.inject(message), 1);
        const after = await Promise.all([pool.submit(tasks.square, 3), pool.submit(tasks.ident), pool.submit(tasks.square, 4)]);
        assert.deepEqual([after[0], after[2]], [9, 16]);
        assert.equal(pool.workersStarted, started, 'no worker died or was replaced');
        assert.equal(pool.live().length, 1);
      } finally {
        await pool.shutdown();
      }
    });

    test('messages of the wrong shape sent by a worker are ignored by the parent; the pool carries on', async () => {
      const pool = new InstrumentedPool(kind, { maxWorkers: 1 });
      try {
        assert.equal(await pool.submit(tasks.square, 2), 4);
        const started = pool.workersStarted;
        const garbage: unknown[] = [
          null, 7, 'done', [], {}, { op: 'nope' }, { op: 'ready' }, { op: 'ready', pid: 'x' },
          { op: 'done' }, { op: 'done', results: [1, 0], busy: 0 }, { op: 'done', results: [], busy: Number.NaN },
          { op: 'done', results: [], busy: -1 }, { op: 'done', results: [], busy: 0, spans: 'x' },
          { op: 'done', results: ['x', 0, 1], busy: 0 }, { op: 'done', results: [2_000_000_000, 0, 'stray'], busy: 0 },
          { op: 'exiting', code: 'x' }, { op: 'started' }, { op: 'started', taskId: 2_000_000_000 },
          { op: 'init-failed' }, { op: 'init-failed', error: { error: { name: 1 } } },
        ];
        assert.equal(await pool.submit(tasks.postToParent, garbage), garbage.length);
        assert.deepEqual(await Promise.all([pool.submit(tasks.square, 3), pool.submit(tasks.square, 4)]), [9, 16]);
        assert.equal(pool.workersStarted, started, 'no worker died or was replaced');
      } finally {
        await pool.shutdown();
      }
    });
  });
}
