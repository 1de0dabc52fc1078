// Random interleavings of acquire/release/wait/notify across 4 worker threads, mixing the
// blocking and the Promise forms. Each run checks: a Lock never has two holders, a Semaphore never
// admits more than its value, a Barrier releases exactly `parties` per round with distinct
// indices, and no wake-up is lost (every run completes: every take finds its put).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { Barrier } from '../../src/threading/barrier.js';
import { Condition } from '../../src/threading/condition.js';
import { Lock } from '../../src/threading/lock.js';
import { Semaphore } from '../../src/threading/semaphore.js';
import { sharedInts, startAgents, stopAll, within, type Agent, type Lib } from '../fixtures/sync/harness.js';

const WORKERS = 4;
const SEM_VALUE = 2;

interface Op {
  kind: 'lock' | 'sem' | 'put';
  sync: boolean;
  spin: number;
}
interface Segment {
  ops: Op[];
  takes: number;
  takeSync: boolean;
  barrierSync: boolean;
}
interface Primitives {
  lock: Lock;
  sem: Semaphore;
  cond: Condition;
  barrier: Barrier;
}

// shared: 0 lock holders · 1 lock violations · 2 inside sem · 3 most inside sem · 4 tokens ·
// 5 puts · 6 takes · 7 early barrier releases. rounds: per segment [arrivals, index mask].
async function party(lib: Lib, plan: Segment[], p: Primitives, shared: Int32Array, rounds: Int32Array): Promise<void> {
  const { lock, sem, cond, barrier } = p;
  for (let s = 0; s < plan.length; s++) {
    const segment = plan[s]!;
    for (const op of segment.ops) {
      if (op.kind === 'lock') {
        if (op.sync) lock.acquireSync();
        else await lock.acquire();
        if (Atomics.add(shared, 0, 1) !== 0) Atomics.add(shared, 1, 1);
        lib.spin(op.spin);
        Atomics.sub(shared, 0, 1);
        lock.release();
      } else if (op.kind === 'sem') {
        if (op.sync) sem.acquireSync();
        else await sem.acquire();
        const inside = Atomics.add(shared, 2, 1) + 1;
        for (;;) {
          const most = Atomics.load(shared, 3);
          if (inside <= most || Atomics.compareExchange(shared, 3, most, inside) === most) break;
        }
        lib.spin(op.spin);
        Atomics.sub(shared, 2, 1);
        sem.release();
      } else {
        const put = (): void => {
          Atomics.add(shared, 4, 1);
          Atomics.add(shared, 5, 1);
          cond.notify();
        };
        if (op.sync) cond.withLockSync(put);
        else await cond.withLock(put);
      }
    }
    for (let i = 0; i < segment.takes; i++) {
      const take = (): void => {
        Atomics.sub(shared, 4, 1);
        Atomics.add(shared, 6, 1);
      };
      if (segment.takeSync) {
        cond.withLockSync(() => {
          cond.waitForSync(() => Atomics.load(shared, 4) > 0);
          take();
        });
      } else {
        await cond.withLock(async () => {
          await cond.waitFor(() => Atomics.load(shared, 4) > 0);
          take();
        });
      }
    }
    Atomics.add(rounds, 2 * s, 1);
    const index = segment.barrierSync ? barrier.waitSync() : await barrier.wait();
    if (Atomics.load(rounds, 2 * s) !== 4) Atomics.add(shared, 7, 1);
    Atomics.or(rounds, 2 * s + 1, 1 << index);
  }
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('lock', 'sem', 'put'),
  sync: fc.boolean(),
  spin: fc.integer({ min: 0, max: 3000 }),
});

const planArb = fc.integer({ min: 1, max: 4 }).chain((segments) =>
  fc.array(
    fc.array(fc.record({ ops: fc.array(opArb, { maxLength: 12 }), takeSync: fc.boolean(), barrierSync: fc.boolean() }), {
      minLength: segments,
      maxLength: segments,
    }),
    { minLength: WORKERS, maxLength: WORKERS },
  ));

let agents: Agent[] = [];
before(async () => {
  agents = await startAgents(WORKERS);
});
after(() => stopAll(agents));

test('random interleavings across 4 threads keep every primitive invariant and lose no wake-up', async () => {
  await fc.assert(
    fc.asyncProperty(planArb, async (draft) => {
      // Worker w takes, in each segment, as many tokens as worker w+1 puts there: every take has
      // a put, and a worker puts before it takes, so a correct implementation always completes.
      const plans: Segment[][] = draft.map((segments, w) =>
        segments.map((segment, s) => ({
          ...segment,
          takes: draft[(w + 1) % WORKERS]![s]!.ops.filter((op) => op.kind === 'put').length,
        })));
      const segments = plans[0]!.length;
      const primitives: Primitives = {
        lock: new Lock(),
        sem: new Semaphore(SEM_VALUE),
        cond: new Condition(),
        barrier: new Barrier(WORKERS),
      };
      const shared = sharedInts(8);
      const rounds = sharedInts(2 * segments);
      const runs = Promise.all(agents.map((agent, w) => agent.run(party, plans[w]!, primitives, shared, rounds)));
      const finished = await within(runs.then(() => 'done'), 20_000);
      assert.equal(finished, 'done', 'a run did not complete: a lost wake-up or a deadlock');
      assert.equal(shared[1], 0, 'two holders of the Lock at once');
      assert.ok(shared[3]! <= SEM_VALUE, `the Semaphore admitted ${shared[3]}`);
      assert.equal(shared[5], shared[6], 'puts and takes differ');
      assert.equal(shared[4], 0);
      assert.equal(shared[7], 0, 'a Barrier released a party before all had arrived');
      for (let s = 0; s < segments; s++) {
        assert.equal(rounds[2 * s], WORKERS);
        assert.equal(rounds[2 * s + 1], 0b1111, 'indices not distinct within a round');
      }
      assert.equal(primitives.lock.locked(), false);
      assert.equal(primitives.sem.getValue(), SEM_VALUE);
    }),
    { numRuns: 300, endOnFailure: true },
  );
});
