/**
 * The file every pool worker thread starts with: binds the worker's port to the runtime.
 *
 * An idle worker sleeps on its control block's doorbell (`Atomics.wait`) rather than in its event
 * loop, and drains its port with `receiveMessageOnPort` when woken: a futex wakes a thread in a
 * few microseconds where the event loop's wake-up can take tens. It only does so when nothing
 * else needs its event loop — no task's promise pending, no timer or handle of the user's — so
 * that a task's `setTimeout` never freezes; otherwise it waits in the event loop like any worker.
 *
 * Before it sleeps, it spins for a few dozen microseconds when the last idle spell was that short
 * too: a program awaiting one task after another sends the next one within microseconds, and
 * catching it awake saves the wake-up of a halted CPU on each side of the round trip.
 *
 * @module
 */
import { parentPort, receiveMessageOnPort, threadId, workerData, type TransferListItem } from 'node:worker_threads';
import { CTL_DOORBELL, CTL_REPLIES, CTL_SPIN, CTL_STOP } from '../control-block.js';
import { PROTOCOL_VERSION, type WorkerInit } from '../protocol.js';
import { setContext } from '../sync/current-thread.js';
import { adoptRegistry } from '../sync/registry.js';
import { SPIN_MS, spinAllowed, spinUntil } from '../sync/spin.js';
import { useDirectStdio } from '../worker/direct-stdio.js';
import { Runtime } from '../worker/runtime.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error('thread-entry must run in a worker thread started by concurrent-ts');
if (init.version !== PROTOCOL_VERSION) {
  throw new Error(`protocol version mismatch: main side speaks ${init.version}, this worker ${PROTOCOL_VERSION}`);
}
setContext({ kind: 'thread', name: init.name, ident: threadId });
if (init.registry !== null) adoptRegistry(init.registry);
useDirectStdio();

const control = init.control === null ? null : new Int32Array(init.control);
const replies = init.replies;
let sleepScheduled = false;
/**
 * The last idle spell was short, so the next one likely is too and a spin will catch its end.
 * "Short" is a few spins long: a sleep's length includes the wake-up the spin would have saved.
 */
let spinPays = spinAllowed;
const SHORT_IDLE_MS = 4 * SPIN_MS;

/** Nothing but the worker's own port is keeping the event loop busy. */
function quiet(): boolean {
  const resources = process.getActiveResourcesInfo();
  for (const kind of resources) if (kind !== 'MessagePort') return false;
  return true;
}

/**
 * Sleeps on the doorbell while idle, until a message comes; hands it to the runtime and returns.
 * Never more than one message per call: the tasks it runs may leave work in the microtask queue
 * (a promise chain they started and did not return), and that work must run before the thread
 * blocks again, or it would freeze until the next message.
 */
function sleepWhileIdle(): void {
  sleepScheduled = false;
  if (control === null) return;
  while (runtime.isIdle() && quiet()) {
    const rung = Atomics.load(control, CTL_DOORBELL);
    // Being stopped: stay in the event loop, where Node ends the worker (see CTL_STOP).
    if (Atomics.load(control, CTL_STOP) !== 0) return;
    const message = receiveMessageOnPort(port as NonNullable<typeof port>);
    if (message !== undefined) {
      runtime.receive(message.message);
      scheduleSleep();
      return;
    }
    // The pool says whether a core is free for the spin (CTL_SPIN).
    if (spinPays && Atomics.load(control, CTL_SPIN) !== 0 && spinUntil(() => Atomics.load(control, CTL_DOORBELL) !== rung)) continue;
    const asleep = performance.now();
    Atomics.wait(control, CTL_DOORBELL, rung);
    spinPays = spinAllowed && performance.now() - asleep < SHORT_IDLE_MS;
  }
}

/**
 * Sleeps once the microtask queue is empty, promise chains included: a microtask that queues a
 * tick does that, because Node runs the tick queue only after draining every microtask. Cheaper
 * than waiting for the next turn of the event loop, which a one-core round trip would feel.
 */
function scheduleSleep(): void {
  if (sleepScheduled || control === null || !runtime.isIdle()) return;
  sleepScheduled = true;
  queueMicrotask(sleepAfterTicks);
}

const sleepAfterTicks = (): void => process.nextTick(sleepWhileIdle);

const runtime = new Runtime({
  post: replies === null
    ? (message, transfer) => port.postMessage(message, transfer as TransferListItem[] | undefined)
    : (message, transfer) => {
      replies.postMessage(message, transfer as TransferListItem[] | undefined);
      // After posting: a main side that sees the count move finds the message on the port.
      if (control !== null) Atomics.add(control, CTL_REPLIES, 1);
    },
  // Called from inside a batch: go to sleep only after the current event has unwound.
  idle: scheduleSleep,
  loadReviver: async () => (await import('./revivers.js')).reviveShareables,
}, init);
runtime.watchEndings();
port.on('message', (message: unknown) => runtime.receive(message));
runtime.start().catch(() => {});
