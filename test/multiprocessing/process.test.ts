/**
 * `Process` and the module functions about processes: the PROC rows of the checklist.
 */
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { describe, test } from 'node:test';
import {
  AssertionError, Event, Process, Queue, ValueError, activeChildren, cpuCount, currentProcess, parentProcess,
} from '../../src/multiprocessing/index.js';
import { runScript } from '../helpers/node-script.js';
import { assertTimeout, since } from '../helpers/timing.js';
import { alive, allEnded, tasks } from '../fixtures/multiprocessing/support.js';

describe('Process', () => {
  test("PROC-01 a new Process: name 'Process-N', no pid, exitcode null, not alive, daemon as the current process", () => {
    const p = new Process({ target: tasks.nothing });
    assert.match(p.name, /^Process-\d+$/);
    assert.equal(p.pid, undefined);
    assert.equal(p.exitcode, null);
    assert.equal(p.isAlive(), false);
    assert.equal(p.daemon, false);
    assert.equal(new Process({ daemon: true }).daemon, true);
    assert.match(String(p), /^<Process name='Process-\d+' parent=\d+ initial>$/);
  });

  test('PROC-02 start: alive and listed in activeChildren; the target gets its args and its name; join: exitcode 0, gone from the list', async () => {
    const q = new Queue<{ name: string; args: unknown[] }>();
    const p = new Process({ target: tasks.whoAmI, args: [q, 1, 'two', [3]], name: 'Worker-A' });
    p.start();
    assert.equal(p.isAlive(), true);
    assert.ok(activeChildren().includes(p));
    assert.equal(p.exitcode, null);
    assert.ok(typeof p.pid === 'number' && p.pid > 0);
    const seen = await q.get();
    assert.equal(seen.name, 'Worker-A');
    assert.deepEqual(seen.args, [1, 'two', [3]]);
    await p.join();
    assert.equal(p.exitcode, 0);
    assert.equal(p.isAlive(), false);
    assert.ok(!activeChildren().includes(p));
  });

  test("PROC-03 start() twice throws AssertionError('cannot start a process twice')", async () => {
    const p = new Process({ target: tasks.nothing });
    p.start();
    assert.throws(() => p.start(), (e: unknown) => e instanceof AssertionError && e.message === 'cannot start a process twice');
    await p.join();
    assert.throws(() => p.start(), (e: unknown) => e instanceof AssertionError);
  });

  test("PROC-04 join() before start throws AssertionError('can only join a started process'); joining the current process, 'can only join a child process'", async () => {
    const p = new Process({ target: tasks.nothing });
    await assert.rejects(p.join(), (e: unknown) => e instanceof AssertionError && e.message === 'can only join a started process');
    await assert.rejects(currentProcess().join(), (e: unknown) => e instanceof AssertionError && e.message === 'can only join a child process');
  });

  test('PROC-05 join(timeout) resolves after about the timeout while the child runs; join(0) returns at once; a negative timeout is a ValueError', async () => {
    const started = new Event();
    const stop = new Event();
    const p = new Process({ target: tasks.waitForever, args: [started, stop] });
    p.start();
    await started.wait();
    let t0 = performance.now();
    assert.equal(await p.join(300), undefined);
    assertTimeout(since(t0), 300, 5000);
    assert.equal(p.isAlive(), true);
    t0 = performance.now();
    await p.join(0);
    assert.ok(since(t0) < 1000);
    await assert.rejects(p.join(-1), (e: unknown) => e instanceof ValueError);
    stop.set();
    await p.join();
    assert.equal(p.exitcode, 0);
  });

  test('PROC-06 exitcode: 0 on return, n after process.exit(n), 1 after an uncaught error', async () => {
    const ok = new Process({ target: tasks.nothing });
    const three = new Process({ target: tasks.exitWith, args: [3] });
    ok.start();
    three.start();
    await ok.join();
    await three.join();
    assert.equal(ok.exitcode, 0);
    assert.equal(three.exitcode, 3);
  });

  test('PROC-06 an uncaught error in the target: exit code 1, and "Process Process-N:" with the stack on stderr', async () => {
    const result = await runScript(new URL('../fixtures/multiprocessing/exit-script.ts', import.meta.url));
    assert.match(result.stdout, /^exitcode 1$/m);
    assert.match(result.stderr, /^Process Process-1:\nRangeError: boom from the child\n\s+at fail \(.*tasks\.ts:\d+:\d+\)/m);
  });

  test('PROC-07 terminate() gives exitcode −15 (repr exitcode=-SIGTERM); kill() gives −9', async () => {
    const started = [new Event(), new Event()];
    const [a, b] = started.map((s) => new Process({ target: tasks.runForever, args: [s] })) as [Process, Process];
    a.start();
    b.start();
    await Promise.all(started.map((s) => s.wait()));
    a.terminate();
    b.kill();
    await a.join();
    await b.join();
    assert.equal(a.exitcode, -15);
    assert.equal(b.exitcode, -9);
    assert.match(String(a), /stopped exitcode=-SIGTERM>$/);
  });

  test('PROC-08 interrupt() sends SIGINT: a child without a handler ends with −2 (Python 3.14)', async () => {
    const started = new Event();
    const p = new Process({ target: tasks.runForever, args: [started] });
    p.start();
    await started.wait();
    p.interrupt();
    await p.join();
    assert.equal(p.exitcode, -2);
  });

  test("PROC-09 daemon cannot change after start (AssertionError 'process has already started'); a daemonic process may not have children", async () => {
    const q = new Queue<{ error: string; message: string }>();
    const p = new Process({ target: tasks.startGrandchild, args: [q], daemon: true });
    p.start();
    assert.throws(() => {
      p.daemon = false;
    }, (e: unknown) => e instanceof AssertionError && e.message === 'process has already started');
    assert.deepEqual(await q.get(), { error: 'AssertionError', message: 'daemonic processes are not allowed to have children' });
    await p.join();
  });

  test('PROC-10 at exit, the program waits for its non-daemonic children and terminates its daemonic ones', async () => {
    const result = await runScript(new URL('../fixtures/multiprocessing/exit-script.ts', import.meta.url));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /main done\nnon-daemonic child finished\n/);
    const daemonPid = Number(/^daemon (\d+)$/m.exec(result.stdout)?.[1]);
    assert.ok(daemonPid > 0);
    await allEnded([daemonPid], 2000);
  });

  test('PROC-11 a child ends only when its own pending work is done, not when the target returns', async () => {
    const q = new Queue<string>();
    const p = new Process({ target: tasks.putLater, args: [q] });
    p.start();
    assert.equal(await q.get(), 'late');
    await p.join();
    assert.equal(p.exitcode, 0);
  });

  // Generous waits: a child that starts a thread of its own under a loaded CI took over 15 s.
  test('PROC-11 a child waits for its own non-daemon threading.Thread before exiting', { timeout: 150_000 }, async () => {
    const returned = new Event();
    const go = new Event();
    const q = new Queue<string>();
    const p = new Process({ target: tasks.startThreadAndReturn, args: [returned, go, q] });
    p.start();
    try {
      assert.equal(await returned.wait(60_000), true, 'the target started its thread and returned');
      // The target has returned and the thread waits for `go`: a child that did not wait for its
      // threads would end within milliseconds (join returns early); one that waits is still alive.
      await p.join(1000);
      assert.equal(p.isAlive(), true, 'the child ended while its non-daemon thread was still running');
      go.set();
      assert.equal(await q.get({ timeout: 60_000 }), 'from the thread');
      await p.join(20_000);
      assert.equal(p.exitcode, 0);
    } finally {
      go.set();
      if (p.isAlive()) p.kill();
    }
  });

  test("PROC-12 close() while running throws ValueError; after close, isAlive/join/terminate throw 'process object is closed'; close twice is fine", async () => {
    const started = new Event();
    const stop = new Event();
    const p = new Process({ target: tasks.waitForever, args: [started, stop] });
    p.start();
    await started.wait();
    assert.throws(() => p.close(), (e: unknown) => e instanceof ValueError &&
      e.message === 'Cannot close a process while it is still running. You should first call join() or terminate().');
    stop.set();
    await p.join();
    p.close();
    p.close();
    assert.throws(() => p.isAlive(), (e: unknown) => e instanceof ValueError && e.message === 'process object is closed');
    assert.throws(() => p.terminate(), (e: unknown) => e instanceof ValueError && e.message === 'process object is closed');
    await assert.rejects(p.join(), (e: unknown) => e instanceof ValueError && e.message === 'process object is closed');
    assert.match(String(p), /closed>$/);
  });

  test("PROC-14 currentProcess() is 'MainProcess' here (parentProcess() null); a child sees its own name and its parent's pid and name", async () => {
    const me = currentProcess();
    assert.equal(me.name, 'MainProcess');
    assert.equal(me.ident, process.pid);
    assert.equal(me.exitcode, null);
    assert.equal(me.isAlive(), true);
    assert.equal(parentProcess(), null);
    const q = new Queue<{ name: string; pid: number; parentPid: number; parentName: string; daemon: boolean }>();
    const p = new Process({ target: tasks.whoAmI, args: [q] });
    p.start();
    const seen = await q.get();
    assert.equal(seen.name, p.name);
    assert.equal(seen.pid, p.pid);
    assert.equal(seen.parentPid, process.pid);
    assert.equal(seen.parentName, 'MainProcess');
    assert.equal(seen.daemon, false);
    await p.join();
  });

  test("PROC-15 processes start processes: the grandchild is named 'Process-N:1' and sees its parent", async () => {
    const q = new Queue<{ name?: string; parentName?: string; args?: unknown[] }>();
    const p = new Process({ target: tasks.startGrandchild, args: [q] });
    p.start();
    const seen = await q.get();
    assert.equal(seen.name, `${p.name}:1`);
    assert.equal(seen.parentName, p.name);
    assert.deepEqual(seen.args, ['grandchild']);
    await p.join();
    assert.equal(p.exitcode, 0);
  });

  test('a target that cannot reach a process fails at start with a TypeError that says why', () => {
    const local = 3;
    const closure = (): number => local;
    const bound: () => number = Math.max.bind(null);
    assert.throws(() => new Process({ target: bound }).start(), (e: unknown) => e instanceof TypeError && /bound/.test(e.message));
    const p = new Process({ target: closure });
    assert.doesNotThrow(() => p.start(), 'a closure travels as source text; it fails in the child instead');
    return p.join().then(() => assert.equal(p.exitcode, 1));
  });

  test('a threading primitive cannot be passed to a process: start() says to use the multiprocessing one', async () => {
    const { Lock: ThreadLock } = await import('../../src/threading/index.js');
    const p = new Process({ target: tasks.nothing, args: [new ThreadLock()] as never });
    assert.throws(() => p.start(), (e: unknown) => e instanceof TypeError && /multiprocessing/.test(e.message));
  });

  test('cpuCount() is the number of CPUs of the machine', () => {
    assert.equal(cpuCount(), cpus().length);
  });

  test('a process that never started is not alive, and alive() of a finished child is false', async () => {
    const p = new Process({ target: tasks.nothing });
    p.start();
    const pid = p.pid as number;
    await p.join();
    assert.equal(alive(pid), false);
  });
});
