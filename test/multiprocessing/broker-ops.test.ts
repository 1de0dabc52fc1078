/**
 * The typed broker protocol (`broker/ops.ts`): handles and states are written against one map per
 * kind, so a wrong operation or argument shape does not compile (the `@ts-expect-error` lines
 * below fail `npm run typecheck` the day they start compiling), and an operation a state does not
 * serve is answered with a clear error at run time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectOps } from '../../src/multiprocessing/link.js';
import { serve, type BarrierOps, type Handlers, type LockOps, type QueueOps } from '../../src/multiprocessing/broker/ops.js';
import { STATE_FACTORIES } from '../../src/multiprocessing/broker/kinds.js';
import type { Call, StateContext } from '../../src/multiprocessing/broker/state.js';

// Never called: these only have to type-check (or fail to, where marked).
export function sendsOnlyWhatTheKindServes(lock: ObjectOps<LockOps>, queue: ObjectOps<QueueOps>): void {
  void lock.call('acquire', [true, null, 1000]);
  // @ts-expect-error a Lock has no `put`
  void lock.call('put', [0, 0, true, null]);
  // @ts-expect-error acquire's first argument is `block: boolean`
  void lock.call('acquire', ['yes', null, 1000]);
  // @ts-expect-error acquire takes three arguments
  void lock.call('acquire', [true]);
  queue.send('put', [1, 0, true, 5]);
  // @ts-expect-error a Queue's put carries a sequence number first
  queue.send('put', [0, true, 5]);
}

export async function repliesAreTyped(lock: ObjectOps<LockOps>): Promise<void> {
  const reply = await lock.call('locked', []);
  if (reply.status === 0) {
    const held: boolean = reply.value;
    // @ts-expect-error `locked` replies a boolean
    const wrong: string = reply.value;
    void held;
    void wrong;
  }
}

export const statesServeEveryOperation: Handlers<BarrierOps> = {
  wait: (call, [timeout]) => call.ok([timeout ?? 0, false]),
  actionDone: (call) => call.ok(),
  abort: (call) => call.ok(),
  reset: (call) => call.ok(),
  nWaiting: (call) => call.ok(0),
  // @ts-expect-error `broken` replies a boolean
  broken: (call) => call.ok(1),
};

// @ts-expect-error a state table must serve every operation of its kind
export const missingOperation: Handlers<LockOps> = { acquire: (call) => call.ok(true), release: (call) => call.ok() };

function recordingCall(): Call & { failed: unknown[] } {
  const failed: unknown[] = [];
  return {
    failed,
    ok: () => assert.fail('no operation should succeed'),
    fail: (...args: unknown[]) => failed.push(args),
  } as unknown as Call & { failed: unknown[] };
}

test('an operation the kind does not serve is answered with an error that names the kind and the operation', () => {
  const state = (STATE_FACTORIES.get('mp.Lock') as (p: Record<string, unknown>, c: StateContext) => { kind: string; ops: Readonly<Record<string, unknown>> })({ name: 'L' }, {} as StateContext);
  const call = recordingCall();
  serve(state.kind, state.ops, call, 'put', []);
  serve(state.kind, state.ops, call, 'toString', []);
  assert.deepEqual(call.failed, [['RuntimeError', 'Lock has no operation put'], ['RuntimeError', 'Lock has no operation toString']]);
});

test('every kind a handle can carry has a broker state', () => {
  assert.deepEqual([...STATE_FACTORIES.keys()].sort(), [
    'mp.Array', 'mp.Barrier', 'mp.BoundedSemaphore', 'mp.Condition', 'mp.Connection', 'mp.Event', 'mp.JoinableQueue', 'mp.Lock',
    'mp.Namespace', 'mp.Queue', 'mp.RLock', 'mp.Semaphore', 'mp.SimpleQueue', 'mp.Value', 'mp.dict', 'mp.list',
  ]);
});
