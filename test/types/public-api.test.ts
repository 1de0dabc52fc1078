/**
 * Compile-time checks of the public generics (`taskModule`, `submit`, `map`, `wait`…), checked by
 * `tsc -p tsconfig.json`. Each `expectType` must hold and each `@ts-expect-error` line must be an
 * error. The runtime test runs the _same calls, so the types describe what really happens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ThreadPoolExecutor, asCompleted, taskModule, wait, type CompletedFuture, type Executor, type Future, type MapIterator, type TaskRef,
} from '../../src/index.js';

const tasks = taskModule<typeof import('../fixtures/futures/tasks.js')>(new URL('../fixtures/futures/tasks.js', import.meta.url));

/** `true` only when A and B are the _same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<_T extends true>(): void {}

function cube(x: number): number {
  return x ** 3;
}

/** Compiled, never called: the checks are the types. */
function typeChecks(executor: Executor): void {
  // taskModule keeps each export's signature.
  expectType<Equal<typeof tasks.isPrime, TaskRef<(n: number) => boolean>>>();
  // @ts-expect-error a class is not a task function, so taskModule offers no reference to it
  void tasks.MyError;
  // @ts-expect-error a name the module does not export
  void tasks.notExported;

  // submit: the future's type is the function's return type.
  const prime = executor.submit(tasks.isPrime, 5);
  expectType<Equal<typeof prime, Future<boolean>>>();
  expectType<Equal<ReturnType<typeof executor.submit<[number, number], number>>, Future<number>>>();
  const sum = executor.submit(tasks.add, 1, 2);
  expectType<Equal<typeof sum, Future<number>>>();
  const _later = executor.submit(tasks.addLater, 1, 2);
  expectType<Equal<typeof _later, Future<number>>>();
  const local = executor.submit(cube, 3);
  expectType<Equal<typeof local, Future<number>>>();
  const _abs = executor.submit(Math.abs, -1);
  expectType<Equal<typeof _abs, Future<number>>>();

  // Wrong arguments are compile errors.
  // @ts-expect-error a string where isPrime takes a number
  executor.submit(tasks.isPrime, '5');
  // @ts-expect-error a missing argument
  executor.submit(tasks.add, 1);
  // @ts-expect-error one argument too many
  executor.submit(tasks.isPrime, 5, 6);
  // @ts-expect-error a local function's parameter types are checked too
  executor.submit(cube, 'three');
  // @ts-expect-error a number is not a function
  executor.submit(42);

  // map and starmap yield the function's return type, in order.
  const primes = executor.map(tasks.isPrime, [1, 2, 3]);
  expectType<Equal<typeof primes, MapIterator<boolean>>>();
  const _sums = executor.starmap(tasks.add, [[1, 2], [3, 4]]);
  expectType<Equal<typeof _sums, MapIterator<number>>>();
  // @ts-expect-error map's items must fit the function's parameter
  executor.map(tasks.isPrime, ['a', 'b']);
  // @ts-expect-error starmap's items must be argument tuples of the function
  executor.starmap(tasks.add, [[1, 'x']]);
  const _viaOptions = executor.withOptions({ timeout: 1000 }).submit(tasks.isPrime, 7);
  expectType<Equal<typeof _viaOptions, Future<boolean>>>();

  // Futures of different result types mix in wait() and asCompleted().
  void (async () => {
    for await (const _value of primes) expectType<Equal<typeof _value, boolean>>();
    expectType<Equal<Awaited<typeof prime>, boolean>>();
    const _resultValue = await prime.result();
    expectType<Equal<typeof _resultValue, boolean>>();
    const { done: _done, notDone: _notDone } = await wait([prime, sum]);
    expectType<Equal<typeof _done, Set<Future<boolean | number>>>>();
    expectType<Equal<typeof _notDone, Set<Future<boolean | number>>>>();
    const _same = await wait([sum, local]);
    expectType<Equal<typeof _same.done, Set<Future<number>>>>();
    const step = await asCompleted([prime, sum]).next();
    if (step.done !== true) expectType<Equal<typeof step.value, CompletedFuture<boolean | number>>>();
    // for await gives the future itself (CompletedFuture has no then, so TypeScript does not unwrap it).
    for await (const completed of asCompleted([prime, sum])) {
      expectType<Equal<typeof completed, CompletedFuture<boolean | number>>>();
      const _read: boolean | number = await completed.result();
      void _read;
    }
    const asUnknown: Future<unknown> = prime;
    void asUnknown;
  })();
}
void typeChecks;

test('the typed calls run as their types say', async () => {
  await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  const prime: boolean = await executor.submit(tasks.isPrime, 97);
  const sum: number = await executor.submit(tasks.addLater, 1, 2);
  const primes: boolean[] = await executor.map(tasks.isPrime, [1, 2, 3]).toArray();
  const sums: number[] = await executor.starmap(tasks.add, [[1, 2], [3, 4]]).toArray();
  assert.deepEqual([prime, sum, primes, sums], [true, 3, [false, true, true], [3, 7]]);
  const { done } = await wait([executor.submit(tasks.isPrime, 4), executor.submit(cube, 2)]);
  assert.deepEqual(new Set(await Promise.all([...done].map((f) => f.result()))), new Set([false, 8]));
});
