/**
 * The file every pool child process starts with: waits for its `init` message on the IPC channel,
 * then binds the channel to the runtime. Exits when the parent goes away.
 *
 * @module
 */
import { serialize } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { PROCESS_CLAIM_BYTES } from '../control-block.js';
import { PROTOCOL_VERSION, REVOKER_FD, type InitMessage } from '../protocol.js';
import { siblingUrl } from '../sibling-url.js';
import { bootstrapSource, tsxApiUrl } from '../transports/loader-flags.js';
import { setContext } from '../sync/current-thread.js';
import { watchParent } from '../worker/parent-watchdog.js';
import { Runtime } from '../worker/runtime.js';

const exit = process.exit.bind(process);
if (typeof process.send !== 'function') {
  console.error('process-entry must run in a child process started by concurrent-ts');
  exit(1);
}
// The marker was for this process only; its own children are the user's business.
delete process.env.CONCURRENT_TS_WORKER;
watchParent();
process.on('disconnect', () => exit(0));

process.once('message', (first: InitMessage) => {
  const init = first.init;
  if (first.op !== 'init' || init.version !== PROTOCOL_VERSION) {
    console.error(`protocol mismatch: expected init version ${PROTOCOL_VERSION}`);
    exit(1);
  }
  setContext({ kind: 'process', name: init.name, ident: process.pid });
  const claims = new SharedArrayBuffer(PROCESS_CLAIM_BYTES);
  const runtime = new Runtime({
    // A transfer list cannot apply here: the channel to the parent copies every value (V8's serializer).
    post: (message) => {
      (process.send as (m: unknown) => boolean)(message);
    },
    // The IPC channel uses V8's serializer, which refuses what structured clone in one process accepts.
    check: (value) => void serialize(value),
    loadReviver: async () => (await import('./revivers.js')).reviveShareables,
    claims: new Int32Array(claims),
  }, init);
  runtime.watchEndings();
  process.on('message', (message: unknown) => runtime.receive(message));
  // Once ready: its start-up must not delay the initializer or the first task.
  runtime.start().then(() => startRevoker(claims), () => {});
});

/**
 * Starts the thread that answers the pool's take-backs while this thread runs a task (see
 * `entries/revoker-entry.ts`). Until it runs, requests wait in its pipe; a worker whose revoker
 * cannot start only loses take-backs (the pool's own accounting does not depend on them).
 */
function startRevoker(claims: SharedArrayBuffer): void {
  const entry = siblingUrl('./revoker-entry', import.meta.url);
  const tsxApi = tsxApiUrl();
  try {
    const revoker = new Worker(tsxApi === null ? entry : bootstrapSource(entry, tsxApi), {
      eval: tsxApi !== null,
      workerData: { claims, fd: REVOKER_FD },
      name: 'revoker',
      stdout: false,
      stderr: false,
    });
    revoker.unref();
    revoker.on('error', () => {});
  } catch {
    // No revoker: tasks are only never taken back from this worker while it runs.
  }
}
