/**
 * The file every pool worker thread starts with: binds the worker's port to the runtime.
 *
 * An idle worker sleeps on its control block's doorbell (`Atomics.wait`) rather than in its event
 * loop, and drains its port with `receiveMessageOnPort` when woken: a futex wakes a thread in a
 * few microseconds where the event loop's wake-up can take tens. It only does so when nothing
 * else needs its event loop — no task's promise pending, no timer or handle of the user's — so
 * that a task's `setTimeout` never freezes; otherwise it waits in the event loop like any worker.
 *
 * @module
 */
import { parentPort, receiveMessageOnPort, threadId, workerData } from 'node:worker_threads';
import { CTL_DOORBELL, PROTOCOL_VERSION, type WorkerInit } from '../protocol.js';
import { adoptRegistry } from '../sync/registry.js';
import { setContext } from './context.js';
import { useDirectStdio } from './direct-stdio.js';
import { Runtime } from './runtime.js';

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
let sleeping = false;

/** Nothing but the worker's own port is keeping the event loop busy. */
function quiet(): boolean {
  const resources = process.getActiveResourcesInfo();
  for (const kind of resources) if (kind !== 'MessagePort') return false;
  return true;
}

/** Sleeps on the doorbell while idle; handles whatever the main side sends meanwhile. */
function sleepWhileIdle(): void {
  if (control === null || sleeping) return;
  sleeping = true;
  try {
    while (runtime.isIdle() && quiet()) {
      const rung = Atomics.load(control, CTL_DOORBELL);
      const message = receiveMessageOnPort(port as NonNullable<typeof port>);
      if (message !== undefined) {
        runtime.receive(message.message);
        continue;
      }
      Atomics.wait(control, CTL_DOORBELL, rung);
    }
  } finally {
    sleeping = false;
  }
}

const runtime = new Runtime({
  post: (message) => port.postMessage(message),
  // Called from inside a batch: go to sleep only after the current event has unwound.
  idle: () => {
    if (!sleeping) queueMicrotask(sleepWhileIdle);
  },
}, init);
port.on('message', (message: unknown) => runtime.receive(message));
runtime.start().catch(() => {});
