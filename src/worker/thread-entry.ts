/**
 * The file every pool worker thread starts with: binds the worker's port to the runtime.
 *
 * @module
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { PROTOCOL_VERSION, type WorkerInit } from '../protocol.js';
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
if (init.registry !== null) {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const registry = await import(new URL(`../sync/registry${ext}`, import.meta.url).href) as { adoptRegistry(sab: SharedArrayBuffer): void };
  registry.adoptRegistry(init.registry);
}
useDirectStdio();

const runtime = new Runtime({ post: (message) => port.postMessage(message) }, init);
port.on('message', (message: unknown) => runtime.receive(message));
runtime.start().catch(() => {});
