import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { BrokenBarrierError, ValueError } from '../../src/errors.js';
import { reviveShareables } from '../../src/entries/revivers.js';
import { Barrier } from '../../src/threading/barrier.js';
import { sharedInts, startAgents, stopAll, until, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

const broken = (e: unknown): boolean => e instanceof BrokenBarrierError;

test('BAR-01 parties < 1 throws ValueError', () => {
  assert.throws(() => new Barrier(0), (e: unknown) => e instanceof ValueError && e.message === 'parties must be > 0');
  assert.throws(() => new Barrier(-2), ValueError);
  assert.throws(() => new Barrier(Number.NaN), ValueError);
});

test('BAR-02 wait() releases all parties together, round after round in lockstep', async () => {
  const rounds = 20;
  const barrier = new Barrier(4);
  const arrived = sharedInts(rounds);
  const early = sharedInts(1); // a party released before everyone arrived
  const party = (_: unknown, b: Barrier, a: Int32Array, e: Int32Array, n: number): void => {
    for (let r = 0; r < n; r++) {
      Atomics.add(a, r, 1);
      b.waitSync();
      if (Atomics.load(a, r) !== 4) Atomics.add(e, 0, 1);
    }
  };
  const runs = agents.map((a) => a.run(party, barrier, arrived, early, rounds));
  for (let r = 0; r < rounds; r++) {
    Atomics.add(arrived, r, 1);
    await barrier.wait();
    if (Atomics.load(arrived, r) !== 4) Atomics.add(early, 0, 1);
  }
  await Promise.all(runs);
  assert.equal(early[0], 0);
  assert.deepEqual([...arrived], new Array<number>(rounds).fill(4));
});

test('BAR-03 wait() returns an index from 0 to parties-1, unique within each round', async () => {
  const rounds = 10;
  const barrier = new Barrier(4);
  const masks = sharedInts(rounds);
  const runs = agents.map((a) => a.run((_, b: Barrier, m: Int32Array, n: number) => {
    for (let r = 0; r < n; r++) Atomics.or(m, r, 1 << b.waitSync());
  }, barrier, masks, rounds));
  for (let r = 0; r < rounds; r++) Atomics.or(masks, r, 1 << (await barrier.wait()));
  await Promise.all(runs);
  assert.deepEqual([...masks], new Array<number>(rounds).fill(0b1111));
});

test('BAR-04 the action runs exactly once per round, before anyone is released, in the creating thread', async () => {
  const rounds = 10;
  const actions = sharedInts(2); // [runs of the main-thread action, ident that ran the worker's action]
  const threads: string[] = [];
  const barrier = new Barrier(3, {
    action: () => {
      Atomics.add(actions, 0, 1);
      threads.push('MainThread');
    },
  });
  const late = sharedInts(1); // a party that saw the action not yet run for its round
  const runs = agents.slice(0, 2).map((a) => a.run((_, b: Barrier, act: Int32Array, l: Int32Array, n: number) => {
    for (let r = 0; r < n; r++) {
      b.waitSync();
      if (Atomics.load(act, 0) < r + 1) Atomics.add(l, 0, 1);
    }
  }, barrier, actions, late, rounds));
  for (let r = 0; r < rounds; r++) {
    await barrier.wait();
    if (Atomics.load(actions, 0) < r + 1) Atomics.add(late, 0, 1);
  }
  await Promise.all(runs);
  assert.equal(actions[0], rounds);
  assert.equal(late[0], 0);
  assert.equal(threads.length, rounds);

  // A barrier created in a worker runs its action in that worker, whoever arrives last.
  const remote = reviveShareables(await agent(2).run((lib, act: Int32Array) => {
    const b = new lib.Barrier(3, { action: () => Atomics.store(act, 1, lib.threadIdentity().ident) });
    (globalThis as { keep?: unknown }).keep = b; // the action lives as long as the original Barrier
    return b;
  }, actions));
  await Promise.all([
    agent(2).run((_, b: Barrier) => b.waitSync(), remote),
    agent(0).run((_, b: Barrier) => b.waitSync(), remote),
    remote.wait(),
  ]);
  assert.equal(actions[1], agent(2).worker.threadId);
});

test('BAR-04 when no party of the creating thread waits, the action cannot run and the barrier breaks', async () => {
  const barrier = new Barrier(2, { action: () => undefined });
  const results = await Promise.allSettled(agents.slice(0, 2).map((a) => a.run((_, b: Barrier) => b.waitSync(), barrier)));
  assert.ok(results.every((r) => r.status === 'rejected' && broken(r.reason)));
  const messages = results.map((r) => (r as PromiseRejectedResult).reason.message as string);
  assert.ok(messages.some((m) => /the barrier action cannot run: it lives in MainThread/.test(m)), messages.join(' | '));
  assert.equal(barrier.broken, true);
});

test('BAR-05 if the action throws, that party gets the error and the others BrokenBarrierError', async () => {
  const barrier = new Barrier(3, {
    action: () => {
      throw new Error('action failed');
    },
  });
  const remote = agents.slice(0, 2).map((a) => a.run((_, b: Barrier) => b.waitSync(), barrier));
  await assert.rejects(barrier.wait(), /action failed/);
  const results = await Promise.allSettled(remote);
  assert.ok(results.every((r) => r.status === 'rejected' && broken(r.reason)));
  assert.equal(barrier.broken, true);
});

test('BAR-06 abort() breaks the barrier: current and later waiters get BrokenBarrierError until reset()', async () => {
  const barrier = new Barrier(3);
  const remote = agents.slice(0, 2).map((a) => a.run((_, b: Barrier) => b.waitSync(), barrier));
  await until(() => barrier.nWaiting === 2);
  barrier.abort();
  const results = await Promise.allSettled(remote);
  assert.ok(results.every((r) => r.status === 'rejected' && broken(r.reason)));
  assert.equal(barrier.broken, true);
  await assert.rejects(barrier.wait(), BrokenBarrierError);
  assert.throws(() => barrier.waitSync(), BrokenBarrierError);
  await assert.rejects(agent(2).run((_, b: Barrier) => b.waitSync(), barrier), BrokenBarrierError);
});

test('BAR-07 reset() breaks the current round for its waiters; the barrier then works, also after abort()', async () => {
  const barrier = new Barrier(3);
  const remote = agents.slice(0, 2).map((a) => a.run((_, b: Barrier) => b.waitSync(), barrier));
  await until(() => barrier.nWaiting === 2);
  barrier.reset();
  const results = await Promise.allSettled(remote);
  assert.ok(results.every((r) => r.status === 'rejected' && broken(r.reason)));
  assert.equal(barrier.broken, false);
  const round = async (): Promise<number[]> => {
    const all = await Promise.all([
      ...agents.slice(0, 2).map((a) => a.run((_, b: Barrier) => b.waitSync(), barrier)),
      barrier.wait(),
    ]);
    return all.sort();
  };
  assert.deepEqual(await round(), [0, 1, 2]);
  barrier.abort();
  barrier.reset();
  assert.equal(barrier.broken, false);
  assert.deepEqual(await round(), [0, 1, 2]);
});

test('BAR-08 an expired wait(timeout) breaks the barrier for that waiter and all the others', async () => {
  const barrier = new Barrier(3);
  const remote = agent(0).run((_, b: Barrier) => b.waitSync(), barrier);
  await until(() => barrier.nWaiting === 1);
  const start = performance.now();
  await assert.rejects(barrier.wait(200), BrokenBarrierError);
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  await assert.rejects(remote, BrokenBarrierError);
  assert.equal(barrier.broken, true);
});

test("BAR-09 the constructor's timeout applies to wait() calls that give none", async () => {
  const barrier = new Barrier(2, { timeout: 200 });
  const start = performance.now();
  await assert.rejects(barrier.wait(), BrokenBarrierError);
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  barrier.reset();
  const remote = await agent(0).run((_, b: Barrier) => {
    const t0 = performance.now();
    try {
      b.waitSync();
      return -1;
    } catch {
      return performance.now() - t0;
    }
  }, barrier);
  assert.ok(remote >= 120, `elapsed ${remote}`);
});

test('BAR-10 parties, nWaiting (0 while broken) and broken; repr `Barrier <waiters=2/3>` or `Barrier <broken>`', async () => {
  const barrier = new Barrier(3);
  assert.equal(barrier.parties, 3);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(inspect(barrier), 'Barrier <waiters=0/3>');
  const remote = agents.slice(0, 2).map((a) => a.run((_, b: Barrier) => b.waitSync(), barrier));
  await until(() => barrier.nWaiting === 2);
  assert.equal(inspect(barrier), 'Barrier <waiters=2/3>');
  assert.equal(await agent(2).run((_, b: Barrier) => [b.nWaiting, b.parties], barrier).then(String), '2,3');
  barrier.abort();
  await Promise.allSettled(remote);
  assert.equal(barrier.broken, true);
  assert.equal(barrier.nWaiting, 0);
  assert.equal(String(barrier), 'Barrier <broken>');
});

test('BAR-11 Barrier(1).wait() returns 0 at once, every time', async () => {
  const barrier = new Barrier(1);
  for (let i = 0; i < 3; i++) {
    assert.equal(await barrier.wait(), 0);
    assert.equal(barrier.waitSync(), 0);
  }
  let ran = 0;
  const withAction = new Barrier(1, { action: () => ran++ });
  assert.equal(withAction.waitSync(), 0);
  assert.equal(await withAction.wait(), 0);
  assert.equal(ran, 2);
});

test('an aborted wait() breaks the barrier like a timeout', async () => {
  const barrier = new Barrier(2);
  const controller = new AbortController();
  const waiting = barrier.wait({ signal: controller.signal });
  controller.abort(new Error('stop'));
  await assert.rejects(waiting, /stop/);
  assert.equal(barrier.broken, true);
});
