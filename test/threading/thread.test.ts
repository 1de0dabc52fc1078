import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  Event, Thread, activeCount, currentThread, getIdent, mainThread, setExcepthook, type ExceptHookArgs,
} from '../../src/threading/index.js';
import { RuntimeError } from '../../src/errors.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/threading/exit-order.ts', import.meta.url));

function waitThenSet(go: Event, done: Event): void {
  go.waitSync();
  done.set();
}

test('THR-01 start() twice throws RuntimeError', async () => {
  const t = new Thread({ target: Math.abs, args: [-1] });
  t.start();
  assert.throws(() => t.start(), (e: unknown) => e instanceof RuntimeError && e.message === 'threads can only be started once');
  await t.join();
});

test('THR-02 join() before start() throws RuntimeError', async () => {
  const t = new Thread({ target: Math.abs, args: [-1] });
  await assert.rejects(t.join(), (e: unknown) => e instanceof RuntimeError && e.message === 'cannot join thread before it is started');
});

test('THR-03 join(timeout) resolves to undefined whether or not the thread ended; join can be repeated', async () => {
  const go = new Event();
  const done = new Event();
  const t = new Thread({ target: waitThenSet, args: [go, done] });
  t.start();
  assert.equal(await t.join(50), undefined);
  assert.equal(t.isAlive(), true, 'a timed-out join leaves the thread running');
  go.set();
  assert.equal(await t.join(), undefined);
  assert.equal(await t.join({ timeout: 10 }), undefined);
  assert.equal(t.isAlive(), false);
  assert.equal(done.isSet(), true, 'the thread ran to the end');
});

test('THR-04 isAlive() and ident through the life of a thread; idents are distinct', async () => {
  const go = new Event();
  const done = new Event();
  const t = new Thread({ target: waitThenSet, args: [go, done] });
  const u = new Thread({ target: Math.abs, args: [-1] });
  assert.equal(t.isAlive(), false);
  assert.equal(t.ident, undefined);
  t.start();
  u.start();
  assert.equal(t.isAlive(), true);
  assert.equal(typeof t.ident, 'number');
  assert.notEqual(t.ident, u.ident);
  assert.notEqual(t.ident, getIdent(), 'a thread is not the main thread');
  go.set();
  await Promise.all([t.join(), u.join()]);
  assert.equal(t.isAlive(), false);
});

test('THR-05 names: explicit ones kept and converted to strings; default Thread-N (target)', async () => {
  assert.equal(new Thread({ name: 'worker' }).name, 'worker');
  assert.equal(new Thread({ name: 123 }).name, '123');
  assert.match(new Thread({ target: waitThenSet }).name, /^Thread-\d+ \(waitThenSet\)$/);
  assert.match(new Thread().name, /^Thread-\d+$/);
  const seen = new Thread({ name: 'Named-7', target: () => (globalThis as { process: NodeJS.Process }).process.env.NONE ?? 'ran' });
  seen.start();
  await seen.join();
});

test('THR-05 currentThread() inside the target has the thread name; in the program it is MainThread', async () => {
  const { ThreadPoolExecutor } = await import('../../src/futures/index.js');
  assert.equal(currentThread().name, 'MainThread');
  assert.equal(mainThread().name, 'MainThread');
  await using ex = new ThreadPoolExecutor({ maxWorkers: 1, threadNamePrefix: 'Named' });
  const { taskModule } = await import('../../src/index.js');
  const tasks = taskModule<typeof import('../fixtures/threading/names.js')>(new URL('../fixtures/threading/names.ts', import.meta.url));
  assert.equal(await ex.submit(tasks.threadName), 'Named_0');
  const box = new Thread({ name: 'Box', target: tasks.recordName, args: [new Int32Array(new SharedArrayBuffer(64))] });
  box.start();
  await box.join();
});

test('THR-06 daemon: false by default, set by the constructor, frozen once started', async () => {
  assert.equal(new Thread().daemon, false);
  assert.equal(new Thread({ daemon: true }).daemon, true);
  const t = new Thread({ target: Math.abs, args: [1] });
  t.daemon = true;
  t.start();
  assert.throws(() => {
    t.daemon = false;
  }, (e: unknown) => e instanceof RuntimeError && e.message === 'cannot set daemon status of active thread');
  await t.join();
});

test('THR-07 the program waits for a non-daemon thread and not for a daemon one', () => {
  const normal = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, 'normal'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(normal.status, 0, normal.stderr);
  assert.deepEqual(normal.stdout.trim().split('\n'), ['main done', 'thread done']);
  const started = performance.now();
  const daemon = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, 'daemon'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(daemon.status, 0, daemon.stderr);
  assert.deepEqual(daemon.stdout.trim().split('\n'), ['main done'], 'the daemon thread was still sleeping when the program ended');
  assert.ok(performance.now() - started < 25_000, 'the program did not wait for the 30 s daemon thread');
});

test('THR-08 an exception in the target goes to the excepthook; join still returns', async () => {
  const seen: ExceptHookArgs[] = [];
  const previous = setExcepthook((args) => seen.push(args));
  try {
    const t = new Thread({ name: 'Failing', target: () => {
      throw new RangeError('out of range');
    } });
    t.start();
    await t.join();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.thread, t);
    const error = seen[0]?.excValue;
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, 'out of range');
  } finally {
    setExcepthook(previous);
  }
});

test('THR-08 the default excepthook prints "Exception in thread <name>:" and the stack to stderr', async () => {
  const chunks: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    const t = new Thread({ name: 'Loud', target: () => {
      throw new Error('boom');
    } });
    t.start();
    await t.join();
  } finally {
    process.stderr.write = write;
  }
  const text = chunks.join('');
  assert.match(text, /^Exception in thread Loud:\nError: boom\n {4}at /);
});

test('THR-09 args are passed to the target, and primitives among them arrive working', async () => {
  const go = new Event();
  const done = new Event();
  const t = new Thread({ target: waitThenSet, args: [go, done] });
  t.start();
  go.set();
  assert.equal(await done.wait(30_000), true, 'the Event set in the thread woke the main thread');
  await t.join();
});

test('THR-10 the repr shows initial, started or stopped, daemon and the ident', async () => {
  const go = new Event();
  const t = new Thread({ name: 'R', target: waitThenSet, args: [go, new Event()], daemon: true });
  assert.equal(String(t), '<Thread(R, initial daemon)>');
  t.start();
  assert.equal(String(t), `<Thread(R, started daemon ${t.ident})>`);
  go.set();
  await t.join();
  assert.equal(String(t), `<Thread(R, stopped daemon ${t.ident})>`);
});

test('activeCount() counts the main thread and the started threads that are still alive', async () => {
  const before = activeCount();
  const go = new Event();
  const t = new Thread({ target: waitThenSet, args: [go, new Event()] });
  t.start();
  assert.equal(activeCount(), before + 1);
  go.set();
  await t.join();
  assert.equal(activeCount(), before);
});
