/**
 * The file every pool child process starts with: waits for its `init` message on the IPC channel,
 * then binds the channel to the runtime. Exits when the parent goes away.
 *
 * @module
 */
import { serialize } from 'node:v8';
import { PROTOCOL_VERSION, type InitMessage } from '../protocol.js';
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
  const runtime = new Runtime({
    // A transfer list cannot apply here: the channel to the parent copies every value (V8's serializer).
    post: (message) => {
      (process.send as (m: unknown) => boolean)(message);
    },
    // The IPC channel uses V8's serializer, which refuses what structured clone in one process accepts.
    check: (value) => void serialize(value),
    loadReviver: async () => (await import('./revivers.js')).reviveShareables,
  }, init);
  runtime.watchEndings();
  process.on('message', (message: unknown) => runtime.receive(message));
  runtime.start().catch(() => {});
});
