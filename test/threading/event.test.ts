import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import { ValueError } from '../../src/errors.js';
import { Event } from '../../src/threading/event.js';
import { delay, sharedInts, startAgents, stopAll, until, type Agent } from '../fixtures/sync/harness.js';

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(3);
});
after(() => stopAll(agents));
const agent = (i: number): Agent => agents[i]!;

test('EVT-01 isSet() starts false; set() and clear() are idempotent', () => {
  const event = new Event();
  assert.equal(event.isSet(), false);
  event.set();
  event.set();
  assert.equal(event.isSet(), true);
  event.clear();
  event.clear();
  assert.equal(event.isSet(), false);
});

test('EVT-02 set() wakes every waiter and wait() returns true; it works again after clear()', async () => {
  const event = new Event();
  for (let round = 0; round < 2; round++) {
    const runs = agents.map((a) => a.run((_, e: Event) => e.waitSync(), event));
    const local = event.wait();
    event.set();
    assert.deepEqual(await Promise.all([...runs, local]), [true, true, true, true]);
    event.clear();
  }
  assert.equal(event.isSet(), false);
});

test('EVT-03 wait(timeout) returns false after about the timeout; wait(0) does not block; a set event returns at once', async () => {
  const event = new Event();
  let start = performance.now();
  assert.equal(await event.wait(200), false);
  let elapsed = performance.now() - start;
  assert.ok(elapsed >= 120 && elapsed < 5000, `elapsed ${elapsed}`);
  const remote = await agent(0).run((_, e: Event) => {
    const t0 = performance.now();
    return [e.waitSync(150), performance.now() - t0] as const;
  }, event);
  assert.equal(remote[0], false);
  assert.ok(remote[1] >= 90 && remote[1] < 5000, `elapsed ${remote[1]}`);
  start = performance.now();
  assert.equal(event.waitSync(0), false);
  assert.equal(await event.wait(0), false);
  elapsed = performance.now() - start;
  assert.ok(elapsed < 1000);
  event.set();
  assert.equal(event.waitSync(0), true);
  assert.equal(await event.wait(), true);
  assert.equal(await agent(0).run((_, e: Event) => e.waitSync(), event), true);
  assert.throws(() => event.waitSync(-5), ValueError);
  // A timeout longer than 2^31-1 ms must not end early.
  event.clear();
  const long = event.wait(2 ** 31 + 1000);
  assert.equal(await Promise.race([long.then(() => 'settled'), delay(300)]), 'later');
  event.set();
  assert.equal(await long, true);
});

test('EVT-04 waiters woken by set() return true even if clear() follows at once', async () => {
  const event = new Event();
  const entered = sharedInts(1);
  // Async waits: the waiter has read the generation by the time wait() returns its promise.
  const runs = agents.map((a) => a.run(async (_, e: Event, n: Int32Array) => {
    const waiting = e.wait();
    Atomics.add(n, 0, 1);
    return waiting;
  }, event, entered));
  const local = event.wait();
  await until(() => Atomics.load(entered, 0) === 3);
  event.set();
  event.clear();
  assert.deepEqual(await Promise.all([...runs, local]), [true, true, true, true]);
  assert.equal(event.isSet(), false);
});

test('EVT-05 repr is `Event <unset>` / `Event <set>`', async () => {
  const event = new Event();
  assert.equal(inspect(event), 'Event <unset>');
  await agent(1).run((_, e: Event) => e.set(), event);
  assert.equal(inspect(event), 'Event <set>');
  assert.equal(String(event), 'Event <set>');
});

test('an aborted wait() rejects with the reason; other waiters still wake on set()', async () => {
  const event = new Event();
  const controller = new AbortController();
  const aborted = event.wait({ signal: controller.signal });
  const other = event.wait();
  controller.abort(new Error('stop'));
  await assert.rejects(aborted, /stop/);
  event.set();
  assert.equal(await other, true);
});
