/**
 * Runs pool workers on `worker_threads`. Each worker gets a control block in shared memory: the
 * claim words through which the pool knows which tasks it has started (and takes back the others),
 * and a count of the messages it posts, so that the pool can read a reply the moment it exists
 * (see {@link WorkerChannel.poll}).
 *
 * Replies come on a port of their own rather than the worker's `parentPort`: only a real
 * `MessagePort` can be read synchronously. That port gives no ordering guarantee against the
 * worker's `exit` event, so the exit handler reads what is left on it first.
 *
 * @module
 */
import { MessageChannel, receiveMessageOnPort, Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads';
import { BrokenThreadPool, type ErrorOptions } from '../errors.js';
import { CTL_BYTES, CTL_DOORBELL, CTL_REPLIES, CTL_STOP } from '../control-block.js';
import { PROTOCOL_VERSION, type WorkerInit } from '../protocol.js';
import type { Transport, WorkerChannel, WorkerEvents, WorkerSpec } from '../pool/transport.js';
import { processRegistry } from '../sync/registry.js';
import { siblingUrl } from '../sibling-url.js';
import { bootstrapSource, tsxApiUrl } from './loader-flags.js';

const ENTRY = siblingUrl('../entries/thread-entry', import.meta.url);

/** Options for worker threads. */
export interface WorkerThreadOptions {
  /** Heap and stack limits of each worker; a worker that exceeds them fails its task and is replaced. */
  resourceLimits?: ResourceLimits | undefined;
  /** Node flags for the workers; by default they inherit the program's (so a TypeScript loader carries over). */
  execArgv?: string[] | undefined;
  /** The registry of synchronization primitives to share; by default this process's. */
  registry?: (() => SharedArrayBuffer | null) | undefined;
}

export class WorkerThreadTransport implements Transport {
  readonly noun = 'thread';
  readonly crossProcess = false;
  readonly #options: WorkerThreadOptions;

  constructor(options: WorkerThreadOptions = {}) {
    this.#options = options;
  }

  broken(message: string, options?: ErrorOptions): BrokenThreadPool {
    return new BrokenThreadPool(message, options);
  }

  spawn(spec: WorkerSpec, events: WorkerEvents): WorkerChannel {
    const control = new SharedArrayBuffer(CTL_BYTES);
    const counters = new Int32Array(control);
    const { port1: replies, port2: workerEnd } = new MessageChannel();
    const init: WorkerInit = {
      ...spec,
      version: PROTOCOL_VERSION,
      kind: 'thread',
      control,
      // Every thread of the process shares one registry, so deadlock detection sees them all.
      registry: (this.#options.registry ?? processRegistry)(),
      replies: workerEnd,
    };
    const tsxApi = tsxApiUrl();
    const worker = new Worker(tsxApi === null ? ENTRY : bootstrapSource(ENTRY, tsxApi), {
      eval: tsxApi !== null,
      workerData: init,
      transferList: [workerEnd],
      name: spec.name,
      ...(this.#options.resourceLimits === undefined ? {} : { resourceLimits: this.#options.resourceLimits }),
      ...(this.#options.execArgv === undefined ? {} : { execArgv: this.#options.execArgv }),
    });
    let lastError: Error | undefined;
    let read = 0;
    /** Delivers every message already on the reply port; returns whether there was one. */
    const drain = (): boolean => {
      let any = false;
      for (let entry = receiveMessageOnPort(replies); entry !== undefined; entry = receiveMessageOnPort(replies)) {
        any = true;
        read++;
        events.message(entry.message);
      }
      return any;
    };
    replies.on('message', (message: unknown) => {
      read++;
      events.message(message);
    });
    // The worker's own handle keeps the program alive while it is referenced; this port must not.
    replies.unref();
    worker.on('error', (error) => {
      lastError = error;
    });
    worker.on("exit", (code) => {
      drain();
      replies.close();
      events.exit({ code, signal: null, error: lastError });
    });
    /** Ends the worker; see {@link CTL_STOP} for why the flag and the doorbell come first. */
    const end = (): void => {
      Atomics.store(counters, CTL_STOP, 1);
      Atomics.add(counters, CTL_DOORBELL, 1);
      Atomics.notify(counters, CTL_DOORBELL);
      void worker.terminate();
    };
    return {
      pid: process.pid,
      ident: worker.threadId,
      post: (message, transfer) => {
        worker.postMessage(message, transfer as TransferListItem[] | undefined);
        // Ring after posting: a worker asleep on the doorbell drains its port when it wakes.
        Atomics.add(counters, CTL_DOORBELL, 1);
        Atomics.notify(counters, CTL_DOORBELL, 1);
      },
      stop: end,
      terminate: end,
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      control: counters,
      poll: () => Atomics.load(counters, CTL_REPLIES) !== read && drain(),
    };
  }
}
