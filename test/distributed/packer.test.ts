/**
 * The packer on its own (no Redis): property tests of which submits share a job, in what order,
 * how a pack's outcome reaches its members, and what giving up a pack puts back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RingQueue } from '../../src/core/ring-queue.js';
import { JobFuture, type JobOverrides } from '../../src/distributed/job-future.js';
import { PackFuture } from '../../src/distributed/pack-future.js';
import { Packer, type PackerHost } from '../../src/distributed/packer.js';
import { KIND_CALL, KIND_STARCHUNK, WIRE_VERSION, type JobData } from '../../src/distributed/wire.js';

const RUNS = Number(process.env.CT_FUZZ_RUNS ?? 200);

/** A call as the property tests submit it: which function, and whether it has options of its own. */
interface Call {
  readonly fn: 'a' | 'b';
  readonly own: boolean;
}

const call = fc.record({ fn: fc.constantFrom<'a' | 'b'>('a', 'b'), own: fc.boolean() });

/** An executor reduced to what the packer sees, routing cancels as DistributedExecutor does. */
function harness(enabled = true, targetMs = 100) {
  const local = new RingQueue<JobFuture>(4);
  let ids = 0;
  let requeued = 0;
  const cancelledPacks: PackFuture[] = [];
  const host: PackerHost = {
    nextId: () => `p${ids++}`,
    requeued: () => {
      requeued++;
    },
    cancelled: (future) => {
      if (future.stage === 'PACKED') packer.dissolve(future);
      else if (future instanceof PackFuture) cancelledPacks.push(future);
      future.stage = 'DONE';
    },
    forceCancel: (future) => {
      if (future.stage === 'PACKED') packer.dissolve(future);
      else if (future instanceof PackFuture) cancelledPacks.push(future);
      future.stage = 'DONE';
      return true;
    },
    settled: (future) => {
      if (future instanceof PackFuture) packer.unpack(future);
    },
  };
  const packer = new Packer(host, local, enabled, targetMs);
  const submit = (calls: readonly Call[]): JobFuture[] => calls.map((c, i) => {
    const data: JobData = { v: WIRE_VERSION, m: 'tasks', f: c.fn, k: KIND_CALL, a: [i] };
    const overrides: JobOverrides | undefined = c.own ? { priority: 1 } : undefined;
    const future = new JobFuture(host, `t${i}`, `tasks#${c.fn}`, data, overrides, undefined);
    local.push(future);
    return future;
  });
  /** What a flush with `free` slots would send, as DistributedExecutor's flush takes the queue. */
  const flush = (free: number): JobFuture[] => {
    const jobs: JobFuture[] = [];
    while (local.size > 0 && free > 0) {
      const first = local.shift() as JobFuture;
      if (first.done()) continue;
      jobs.push(local.size >= free && packer.packable(first) ? packer.pack(first, free) : first);
      free--;
    }
    return jobs;
  };
  return { local, packer, submit, flush, cancelledPacks, requeuedCount: () => requeued };
}

function membersOf(job: JobFuture): readonly JobFuture[] {
  return job instanceof PackFuture ? job.members : [job];
}

test('packer: every call lands in exactly one job, in submission order; packs hold consecutive plain calls of one function', () => {
  fc.assert(fc.property(fc.array(call, { maxLength: 120 }), fc.integer({ min: 1, max: 40 }), (calls, free) => {
    const { submit, flush, local } = harness();
    const futures = submit(calls);
    const sent: JobFuture[] = [];
    while (local.size > 0) sent.push(...flush(free));
    const order = sent.flatMap((job) => membersOf(job));
    assert.deepEqual(order, futures, 'each call once, in the order submitted');
    for (const job of sent) {
      if (!(job instanceof PackFuture)) continue;
      assert.ok(job.members.length >= 2 && job.members.length <= 4, `an untimed function packs 2 to 4 calls, got ${job.members.length}`);
      assert.ok(job.members.every((m) => m.name === job.name && m.overrides === undefined && m.stage === 'PACKED' && m.pack === job));
      const data = job.data as JobData;
      assert.equal(data.k, KIND_STARCHUNK);
      assert.deepEqual(data.a, job.members.map((m) => (m.data as JobData).a), 'the pack carries each member\'s arguments, in order');
    }
  }), { numRuns: RUNS });
});

test('packer: nothing is packed while the backlog fits the free slots, or when packing is off', () => {
  fc.assert(fc.property(fc.array(call, { minLength: 1, maxLength: 60 }), (calls) => {
    const fits = harness();
    fits.submit(calls);
    assert.ok(fits.flush(calls.length).every((job) => !(job instanceof PackFuture)), 'one job per call when all fit');
    const off = harness(false);
    off.submit(calls);
    const sent: JobFuture[] = [];
    while (off.local.size > 0) sent.push(...off.flush(1));
    assert.ok(sent.every((job) => !(job instanceof PackFuture)), 'packSubmits: false');
  }), { numRuns: RUNS });
});

test('packer: a timed function packs up to the backlog and the target time; members settle from the outcome', () => {
  const { submit, flush } = harness(true, 100);
  // Time `tasks#a` with one pack: 4 calls in 2 ms, 0.5 ms each, so 100 ms holds 200 calls.
  submit(Array.from({ length: 5 }, () => ({ fn: 'a' as const, own: false })));
  const [first] = flush(1);
  assert.ok(first instanceof PackFuture && first.members.length === 4);
  first.setResult({ values: [10, 11, 12, 13], errors: new Map([[2, new RangeError('third')]]), ms: 2 });
  assert.deepEqual(first.members.map((m) => m.state), ['FINISHED', 'FINISHED', 'FINISHED', 'FINISHED']);
  assert.deepEqual(first.members[1]?._outcome(), { ok: true, value: 11 });
  const third = first.members[2]?._outcome();
  assert.ok(third !== undefined && !third.ok && third.error instanceof RangeError, 'a failed call fails alone');

  const fresh = harness(true, 100);
  fresh.submit(Array.from({ length: 5 }, () => ({ fn: 'a' as const, own: false })));
  const [timing] = fresh.flush(1);
  assert.ok(timing instanceof PackFuture);
  timing.setResult({ values: [1, 1, 1, 1], errors: null, ms: 2 });
  fresh.submit(Array.from({ length: 1000 }, () => ({ fn: 'a' as const, own: false })));
  const sizes = fresh.flush(2).map((job) => membersOf(job).length);
  assert.deepEqual(sizes, [200, 200], 'the target time caps the pack (0.5 ms per call, 100 ms)');
  // 601 calls wait, 400 slots are free: packs of 2 are enough, then single calls once it fits.
  const sizes2 = fresh.flush(400).map((job) => membersOf(job).length);
  assert.equal(sizes2[0], 2, 'packs no bigger than the backlog needs');
  assert.equal(sizes2.reduce((a, b) => a + b, 0), 601);
  assert.equal(sizes2.at(-1), 1, 'single calls once the rest fits');
});

test('packer: a pack of booleans yields booleans; a pack that failed as a whole fails every member', () => {
  const { submit, flush } = harness();
  submit(Array.from({ length: 8 }, () => ({ fn: 'b' as const, own: false })));
  const [yes, no] = flush(2);
  assert.ok(yes instanceof PackFuture && no instanceof PackFuture);
  yes.setResult({ values: Uint8Array.of(1, 0, 1, 0), bools: true, errors: null, ms: 0 });
  assert.deepEqual(yes.members.map((m) => m._outcome()), [true, false, true, false].map((value) => ({ ok: true, value })));
  const lost = new Error('worker lost');
  no.setException(lost);
  assert.ok(no.members.every((m) => {
    const outcome = m._outcome();
    return !outcome.ok && outcome.error === lost;
  }));
});

test('packer: cancelling a member gives up its pack; the others go back to the front of the queue, in order', () => {
  fc.assert(fc.property(fc.integer({ min: 2, max: 4 }), fc.nat(), fc.boolean(), (size, pick, started) => {
    const { submit, flush, local, cancelledPacks, requeuedCount } = harness();
    const futures = submit(Array.from({ length: size * 3 }, () => ({ fn: 'a' as const, own: false })));
    const [pack] = flush(3);
    assert.ok(pack instanceof PackFuture);
    const leaving = pack.members[pick % pack.members.length] as JobFuture;
    if (started) {
      pack.setRunningOrNotifyCancel();
      assert.ok(pack.members.every((m) => m.running()), 'a started pack runs all its members');
      assert.equal(leaving.cancel(), false, 'a running member is not cancelled without force');
      assert.equal(leaving.cancel({ force: true }), true);
    } else {
      assert.equal(leaving.cancel(), true);
    }
    assert.equal(leaving.cancelled(), true);
    assert.equal(pack.cancelled(), true, 'the pack is given up');
    assert.deepEqual(cancelledPacks, [pack]);
    assert.equal(requeuedCount(), 1);
    const back = pack.members.filter((m) => m !== leaving);
    const front = Array.from({ length: back.length }, () => local.shift());
    assert.deepEqual(front, back, 'the others are next to be sent, in their order');
    assert.ok(back.every((m) => m.stage === 'LOCAL' && m.pack === undefined && !m.done()));
    assert.equal(futures.filter((f) => f.done()).length, 1, 'only the cancelled call settled');
  }), { numRuns: RUNS });
});
