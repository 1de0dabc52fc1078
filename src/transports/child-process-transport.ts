/**
 * Runs pool workers as child processes (`child_process.fork`, structured clone over IPC).
 * Children inherit the program's Node flags (a TypeScript loader carries over) and its stdout and
 * stderr. No child outlives the program: children exit when the IPC channel closes, a watchdog in
 * each child catches a parent killed by SIGKILL, and the program kills the children it still has
 * when it exits.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BrokenProcessPool, type ErrorOptions } from '../errors.js';
import { PROTOCOL_VERSION, type InitMessage, type WorkerInit } from '../protocol.js';
import type { Transport, WorkerChannel, WorkerEvents, WorkerSpec } from '../pool/transport.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const ENTRY = fileURLToPath(new URL(`../worker/process-entry${ext}`, import.meta.url));
/** A stopped child that has not exited after this long is killed. */
const STOP_GRACE_MS = 5000;

const live = new Set<ChildProcess>();
let exitHook = false;

function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Options for child processes. */
export interface ChildProcessOptions {
  /** Node flags of the children; by default the program's own. */
  execArgv?: string[] | undefined;
  /** Environment of the children; by default the program's own. */
  env?: NodeJS.ProcessEnv | undefined;
}

export class ChildProcessTransport implements Transport {
  readonly noun = 'process';
  readonly crossProcess = true;
  readonly #options: ChildProcessOptions;

  constructor(options: ChildProcessOptions = {}) {
    this.#options = options;
  }

  broken(message: string, options?: ErrorOptions): BrokenProcessPool {
    return new BrokenProcessPool(message, options);
  }

  spawn(spec: WorkerSpec, events: WorkerEvents): WorkerChannel {
    killAllOnExit();
    const child = fork(ENTRY, [], {
      serialization: 'advanced',
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      execArgv: this.#options.execArgv ?? process.execArgv,
      env: { ...(this.#options.env ?? process.env), CONCURRENT_TS_WORKER: '1' },
    });
    live.add(child);
    const init: WorkerInit = { ...spec, version: PROTOCOL_VERSION, kind: 'process', control: null, registry: null, replies: null };
    const first: InitMessage = { op: 'init', init };
    child.send(first);

    // 'exit' can come before the last messages are read; report it once the channel is closed too.
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let disconnected = false;
    let lastError: Error | undefined;
    let reported = false;
    const report = (): void => {
      if (reported || exited === undefined) return;
      reported = true;
      live.delete(child);
      clearTimeout(stopTimer);
      events.exit({ ...exited, error: lastError });
    };
    let stopTimer: NodeJS.Timeout | undefined;
    child.on('message', (message: unknown) => events.message(message));
    child.on('error', (error) => {
      lastError = error;
    });
    child.on('disconnect', () => {
      disconnected = true;
      report();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      if (disconnected || !child.connected) report();
      else setTimeout(report, 200).unref();
    });
    const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    return {
      pid: child.pid ?? -1,
      ident: child.pid ?? -1,
      post: (message) => {
        if (child.connected) child.send(message);
      },
      stop: () => {
        if (child.connected) child.send({ op: 'stop' });
        stopTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        stopTimer.unref();
      },
      terminate: () => {
        child.kill('SIGKILL');
      },
      ref: () => {
        child.ref();
        channel?.ref();
      },
      unref: () => {
        child.unref();
        channel?.unref();
      },
      control: null,
    };
  }
}
