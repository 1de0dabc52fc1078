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
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BrokenProcessPool, type ErrorOptions } from '../errors.js';
import { PROTOCOL_VERSION, REVOKER_FD, type InitMessage, type WorkerInit } from '../protocol.js';
import type { Transport, WorkerChannel, WorkerEvents, WorkerSpec } from '../pool/transport.js';
import { siblingUrl } from '../sibling-url.js';

const ENTRY = fileURLToPath(siblingUrl('../entries/process-entry', import.meta.url));
/** A stopped child that has not exited after this long is killed. */
const STOP_GRACE_MS = 5000;
/** How much of a child's last stderr output is kept, to tell why it died. */
const TAIL_CHARS = 4096;

/**
 * A child that died of a fatal V8 error cannot say so over IPC; V8 writes it to stderr before the
 * process aborts. Turns that line into the error the pool reports (as a worker thread's
 * `ERR_WORKER_OUT_OF_MEMORY` for the heap limit).
 */
function fatalError(tail: string): Error | undefined {
  const line = /FATAL ERROR: ([^\n]*)/.exec(tail)?.[1]?.trim();
  if (line === undefined) return undefined;
  const outOfMemory = /heap out of memory|heap limit/i.test(line);
  return Object.assign(new Error(outOfMemory ? `JavaScript heap out of memory (${line})` : line), outOfMemory ? { code: 'ERR_WORKER_OUT_OF_MEMORY' } : {});
}

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
      // stderr passes through the program: it still reaches the program's stderr, and the pool can
      // tell from its last lines why a child died that could not say so (V8's heap limit).
      // fd 4: the revoker's pipe (REVOKER_FD).
      stdio: ['inherit', 'inherit', 'pipe', 'ipc', 'pipe'],
      execArgv: this.#options.execArgv ?? process.execArgv,
      env: { ...(this.#options.env ?? process.env), CONCURRENT_TS_WORKER: '1' },
    });
    live.add(child);
    const init: WorkerInit = { ...spec, version: PROTOCOL_VERSION, kind: 'process', control: null, registry: null, replies: null };
    const first: InitMessage = { op: 'init', init };
    child.send(first);

    // 'exit' can come before the last messages and lines are read; report it once the channel
    // and stderr are closed too (or a moment later).
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let disconnected = false;
    let stderrClosed = child.stderr === null;
    let lastError: Error | undefined;
    let reported = false;
    let referenced = true;
    let tail = '';
    const report = (force = false): void => {
      if (reported || exited === undefined || (!force && !(disconnected && stderrClosed))) return;
      reported = true;
      live.delete(child);
      clearTimeout(stopTimer);
      const lastOutput = tail.trim().split('\n').pop()?.trim();
      events.exit({ ...exited, error: lastError ?? fatalError(tail), ...(lastOutput ? { lastOutput } : {}) });
    };
    // An idle child must not keep the program alive through its stderr pipe; one with tasks must,
    // since its exit is reported only once stderr is closed: with the child's handle and channel
    // gone, nothing else would keep the program alive until then, and it ended with tasks unsettled.
    const stderr = child.stderr as Socket | null;
    if (stderr !== null) {
      stderr.on('data', (chunk: Buffer) => {
        process.stderr.write(chunk);
        tail = (tail + chunk.toString('utf8')).slice(-TAIL_CHARS);
      });
      stderr.on('error', () => {});
      stderr.on('close', () => {
        stderrClosed = true;
        report();
      });
    }
    let stopTimer: NodeJS.Timeout | undefined;
    child.on('message', (message: unknown) => events.message(message));
    child.on('error', (error) => {
      // A write to a child that is already gone fails (EPIPE): a consequence of its end, not a
      // cause to report beside its exit code. Spawn failures (ENOENT, EACCES…) are kept.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_IPC_CHANNEL_CLOSED') return;
      lastError = error;
    });
    child.on('disconnect', () => {
      disconnected = true;
      report();
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      if (!child.connected) disconnected = true;
      report();
      const late = setTimeout(() => report(true), 200);
      if (!referenced) late.unref();
    });
    const channel = (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    const revoker = revokerPipe(child);
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
        referenced = true;
        child.ref();
        channel?.ref();
        stderr?.ref();
      },
      unref: () => {
        referenced = false;
        child.unref();
        channel?.unref();
        stderr?.unref();
      },
      control: null,
      ...(revoker === undefined ? {} : { revoke: revoker }),
    };
  }
}

/** The pool's end of a child's revoker pipe (fd 4): requests out, answers in, matched by id. */
function revokerPipe(child: ChildProcess): WorkerChannel['revoke'] {
  const pipe = child.stdio[REVOKER_FD] as Socket | null | undefined;
  if (pipe === null || pipe === undefined) return undefined;
  // Answers matter only while the child holds tasks, and then the child itself keeps the program alive.
  pipe.unref();
  pipe.on('error', () => {});
  const waiting = new Map<number, (taken: readonly number[]) => void>();
  let nextId = 1;
  let rest = '';
  pipe.setEncoding('latin1').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const space = line.indexOf(' ');
      const id = Number(line.slice(0, space));
      const done = waiting.get(id);
      if (done === undefined) continue;
      waiting.delete(id);
      const fields = line.slice(space + 1);
      done(fields === '' ? [] : fields.split(',').map(Number));
    }
  });
  pipe.on('close', () => waiting.clear());
  return (seqs, done) => {
    if (pipe.destroyed || seqs.length === 0) return;
    const id = nextId++;
    waiting.set(id, done);
    pipe.write(`${id} ${seqs.join(',')}\n`);
  };
}
