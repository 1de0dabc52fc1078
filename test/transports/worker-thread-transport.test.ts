import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WorkerExit } from '../../src/pool/transport.js';
import { CLAIM_MASK, CTL_CLAIMS, CTL_STARTED, claimTag } from '../../src/control-block.js';
import { asFromWorker, RESULT_STRIDE, STATUS_OK, TASK_CALL, type FromWorker } from '../../src/protocol.js';
import { toWireFn } from '../../src/task-ref/to-wire-fn.js';
import { WorkerThreadTransport } from '../../src/transports/worker-thread-transport.js';

const spec = { workerId: 0, name: 'ThreadPoolExecutor-test_0', initializer: null, initargs: [], initflags: 0, trace: false };

/** Spawns one worker thread and records, in order, every message and the exit. */
function spawn(transport = new WorkerThreadTransport()) {
  const messages: FromWorker[] = [];
  let exited: (info: WorkerExit) => void;
  const exit = new Promise<WorkerExit>((resolve) => {
    exited = resolve;
  });
  const channel = transport.spawn(spec, {
    message: (raw) => messages.push(asFromWorker(raw) as FromWorker),
    exit: (info) => exited(info),
  });
  return { channel, messages, exit };
}

/** Offers task `seq` to the worker, as the pool does when it sends one: the worker claims it before it runs it. */
function offer(control: Int32Array | null, seq: number): number {
  assert.ok(control !== null, 'a thread worker shares its control block');
  Atomics.store(control, CTL_CLAIMS + (seq & CLAIM_MASK), claimTag(seq));
  return seq;
}

/** Results of every `done` message so far, as [taskId, value] pairs. */
function results(messages: readonly FromWorker[]): Array<[number, unknown]> {
  const out: Array<[number, unknown]> = [];
  for (const m of messages) {
    if (m.op !== 'done') continue;
    for (let i = 0; i < m.results.length; i += RESULT_STRIDE) {
      assert.equal(m.results[i + 1], STATUS_OK);
      out.push([m.results[i] as number, m.results[i + 2]]);
    }
  }
  return out;
}

test('poll() hands over a reply synchronously, without a turn of the event loop', async () => {
  const { channel, messages, exit } = spawn();
  try {
    assert.equal(typeof channel.poll, 'function');
    const add = toWireFn((a: number, b: number) => a + b);
    channel.post({ op: 'run', seq: offer(channel.control, 0), defs: [[1, add]], tasks: [7, 1, TASK_CALL, [2, 3]] });
    // Busy-wait: no event can be delivered while this loop runs, so whatever arrives came
    // through poll(). The deadline only turns a broken poll() into a failure instead of a hang.
    const deadline = performance.now() + 30_000;
    while (results(messages).length === 0 && performance.now() < deadline) channel.poll!();
    assert.deepEqual(results(messages), [[7, 5]]);
    assert.equal(channel.poll!(), false, 'nothing more to read');
  } finally {
    channel.terminate();
    await exit;
  }
});

test('replies are delivered once each, in order, whether by event or by poll()', async () => {
  const { channel, messages, exit } = spawn();
  try {
    const add = toWireFn((a: number, b: number) => a + b);
    let defs: Array<[number, ReturnType<typeof toWireFn>]> | null = [[1, add]];
    for (let id = 1; id <= 200; id++) {
      channel.post({ op: 'run', seq: offer(channel.control, id - 1), defs, tasks: [id, 1, TASK_CALL, [id, 1]] });
      defs = null;
      // Every other task, read what is there now; the rest come as events.
      if (id % 2 === 0) channel.poll!();
      if (id % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const deadline = Date.now() + 30_000;
    while (results(messages).length < 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.deepEqual(results(messages), Array.from({ length: 200 }, (_, i) => [i + 1, i + 2]));
  } finally {
    channel.terminate();
    await exit;
  }
});

test('a reply posted just before the worker exits is delivered before the exit', async () => {
  const { channel, messages, exit } = spawn();
  // The task waits for a go, replies, and the whole worker thread ends right after (process.exit
  // in a worker ends the thread): the reply port and the exit race, the reply must come first.
  const exitAfterReply = toWireFn((gate: Int32Array) => {
    Atomics.wait(gate, 0, 0);
    queueMicrotask(() => process.exit(3));
    return 'sent';
  });
  const gate = new Int32Array(new SharedArrayBuffer(4));
  channel.post({ op: 'run', seq: offer(channel.control, 0), defs: [[1, exitAfterReply]], tasks: [1, 1, TASK_CALL, [gate]] });
  while (Atomics.load(channel.control!, CTL_STARTED) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  // Go, then keep this thread busy until the worker is surely gone, so that the reply and the
  // exit are both pending when its event loop looks again.
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  const until = performance.now() + 500;
  while (performance.now() < until);
  const info = await exit;
  assert.equal(info.code, 3);
  assert.deepEqual(results(messages), [[1, 'sent']]);
});
