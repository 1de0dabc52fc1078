/**
 * `Thread`: Python's `threading.Thread` on a Node worker thread. The target runs in its own
 * worker; `join()` waits for it (a Promise, as everything that blocks in Python).
 *
 * @module
 */
import { inspect } from 'node:util';
import { RuntimeError } from '../errors.js';
import { startTimer, waitArgument } from '../sync/deadline.js';
import { reportError } from '../core/logger.js';
import { PoolExecutor } from '../pool/pool-executor.js';
import type { Callable } from '../task-ref/task-module.js';
import { functionName } from '../task-ref/to-wire-fn.js';
import { WorkerThreadTransport } from '../transports/worker-thread-transport.js';
import { currentContext } from '../worker/context.js';

/** Options of {@link Thread}. */
export interface ThreadOptions<A extends unknown[]> {
  /** The function to run: self-contained, a `taskModule()` reference, or a built-in. */
  target?: Callable<A, unknown> | undefined;
  /** Arguments of `target`. Primitives (locks, events, shared values) arrive working. */
  args?: A | undefined;
  /** The thread's name; default `Thread-N (target)`. */
  name?: string | number | undefined;
  /** A daemon thread does not keep the program alive; default `false`. */
  daemon?: boolean | undefined;
}

/** What {@link setExcepthook}'s hook receives. */
export interface ExceptHookArgs {
  /** What the target threw (any value), with its worker-side stack when it is an `Error`. */
  readonly excValue: unknown;
  /** The thread whose target threw. */
  readonly thread: Thread<any[]>;
}

let counter = 0;
const live = new Set<Thread<any[]>>();

let excepthook = (args: ExceptHookArgs): void => {
  const value = args.excValue;
  const text = value instanceof Error ? (value.stack ?? `${value.name}: ${value.message}`) : String(value);
  process.stderr.write(`Exception in thread ${args.thread.name}:\n${text}\n`);
};

/**
 * Replaces what happens to an exception a thread's target throws (Python's `threading.excepthook`).
 * The default prints `Exception in thread <name>:` and the stack to stderr.
 *
 * @param hook - called with `{ excValue, thread }` for each exception a target throws.
 * @returns the previous hook, so that it can be restored.
 */
export function setExcepthook(hook: (args: ExceptHookArgs) => void): (args: ExceptHookArgs) => void {
  const previous = excepthook;
  excepthook = hook;
  return previous;
}

/** A single worker thread with an exact name, which busy or not keeps the program alive unless daemon. */
class ThreadRunner extends PoolExecutor {
  constructor(name: string, daemon: boolean) {
    super(new WorkerThreadTransport(), { maxWorkers: 1, keepAlive: !daemon }, () => name);
  }
}

/**
 * A thread of control: `target(...args)` on its own worker thread.
 *
 * @example
 * ```ts
 * const t = new Thread({ target: console.log, args: ['hello from a thread'] });
 * t.start();
 * await t.join();
 * ```
 */
export class Thread<A extends unknown[] = any[]> {
  readonly #target: Callable<unknown[], unknown> | undefined;
  readonly #args: unknown[];
  #name: string;
  #daemon: boolean;
  #runner: ThreadRunner | undefined;
  #finished: Promise<void> | undefined;
  #ident: number | undefined;
  #alive = false;

  /**
   * Creates the thread; `start()` starts it.
   *
   * @param options - `target` (the function to run), `args`, `name` (default `Thread-N (target)`)
   *   and `daemon` (default `false`: the program waits for the thread before it exits).
   */
  constructor(options: ThreadOptions<A> = {}) {
    counter++;
    this.#target = options.target as Callable<unknown[], unknown> | undefined;
    this.#args = [...(options.args ?? [])];
    this.#name = options.name === undefined
      ? `Thread-${counter}${this.#target === undefined ? '' : ` (${functionName(this.#target)})`}`
      : String(options.name);
    this.#daemon = options.daemon ?? false;
  }

  /** The thread's name (any value given is converted to a string). */
  get name(): string {
    return this.#name;
  }

  /** Renames the thread (Python allows it at any time); the value is converted to a string. */
  set name(value: string) {
    this.#name = String(value);
  }

  /** The worker thread's id once started, else `undefined`. */
  get ident(): number | undefined {
    return this.#ident;
  }

  /** Same as {@link Thread.ident}: Node's thread ids are what the OS-level id is in Python. */
  get nativeId(): number | undefined {
    return this.#ident;
  }

  /** Whether the program may exit while this thread runs. */
  get daemon(): boolean {
    return this.#daemon;
  }

  /** @throws {RuntimeError} on a thread already started. */
  set daemon(value: boolean) {
    if (this.#runner !== undefined) throw new RuntimeError('cannot set daemon status of active thread');
    this.#daemon = Boolean(value);
  }

  /**
   * Starts the thread: the target begins running on a new worker thread.
   *
   * @throws {RuntimeError} `threads can only be started once`.
   */
  start(): void {
    if (this.#runner !== undefined) throw new RuntimeError('threads can only be started once');
    const runner = new ThreadRunner(this.#name, this.#daemon);
    this.#runner = runner;
    this.#alive = true;
    live.add(this);
    runner._prestart();
    const target = this.#target;
    // A thread without a target does nothing, as Python's run() with no target.
    const future = runner.submit((target ?? noop), ...this.#args);
    this.#ident = runner.stats().workers[0]?.ident;
    this.#finished = new Promise<void>((resolve) => {
      future.addDoneCallback((f) => {
        if (f._failed()) {
          const outcome = f._outcome();
          try {
            excepthook({ excValue: outcome.ok ? undefined : outcome.error, thread: this });
          } catch (error) {
            reportError(`exception in the excepthook of ${this.#name}`, error);
          }
        }
        runner.shutdown({ wait: true }).finally(() => {
          this.#alive = false;
          live.delete(this);
          resolve();
        }).catch(() => {});
      });
    });
  }

  /**
   * Waits until the thread ends, or `timeout` ms pass. Always resolves to `undefined` (as Python's
   * join returns None): check {@link Thread.isAlive} to tell a timeout.
   *
   * Cancel safety: a timeout ends only the wait; the thread keeps running.
   *
   * @param timeout - milliseconds, or `{ timeout }`; wait as long as it takes when omitted or `null`.
   * @throws {RuntimeError} `cannot join thread before it is started`.
   * @throws {TypeError} for a timeout that is not a number, `undefined` or `null`.
   */
  async join(timeout?: number | { timeout?: number | null | undefined } | null): Promise<void> {
    const ms = waitArgument(timeout).timeout;
    if (this.#finished === undefined) throw new RuntimeError('cannot join thread before it is started');
    // A daemon thread does not keep the program alive, but a program waiting for it must stay.
    const keep = this.#daemon && this.#alive ? setInterval(noop, 2 ** 30) : undefined;
    let timer: ReturnType<typeof startTimer> | undefined;
    try {
      if (ms === undefined) return await this.#finished;
      await Promise.race([this.#finished, new Promise<void>((resolve) => {
        timer = startTimer(resolve, ms);
      })]);
    } finally {
      timer?.clear();
      clearInterval(keep);
    }
  }

  /** `true` from `start()` until the target has returned and the thread has ended. */
  isAlive(): boolean {
    return this.#alive;
  }

  /** Python's repr: `<Thread(Thread-1 (f), started 3)>` (name, status, daemon, ident). */
  toString(): string {
    const status = this.#runner === undefined ? 'initial' : this.#alive ? 'started' : 'stopped';
    return `<Thread(${this.#name}, ${status}${this.#daemon ? ' daemon' : ''}${this.#ident === undefined ? '' : ` ${this.#ident}`})>`;
  }

  /** What `util.inspect` and `console.log` show: the same text as {@link Thread.toString}. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Threads started by this program and not yet ended. */
  static _live(): number {
    return live.size;
  }
}

function noop(): void {}

/** The thread this code runs on, as Python's `threading.current_thread()` sees it. */
export interface ThreadInfo {
  /** `MainThread`, a `Thread`'s name, or a pool worker's name (`ThreadPoolExecutor-0_1`). */
  readonly name: string;
  /** The worker thread id (0 on the main thread), as {@link getIdent} returns it. */
  readonly ident: number;
  /** Python's `daemon` flag. Always `false` here: the main thread is not one, and inside a worker it is not known. */
  readonly daemon: boolean;
  /** `true`: code that asks is running on it. */
  isAlive(): boolean;
}

const main: ThreadInfo = Object.freeze({ name: 'MainThread', ident: 0, daemon: false, isAlive: () => true });

/** The current thread: `MainThread` in the program, the worker's name inside a pool or `Thread`. */
export function currentThread(): ThreadInfo {
  const context = currentContext();
  if (context.kind === 'main') return main;
  return Object.freeze({ name: context.name, ident: context.ident, daemon: false, isAlive: () => true });
}

/** The main thread (of this process). */
export function mainThread(): ThreadInfo {
  return main;
}

/** Threads alive: the current one plus the `Thread`s it started that have not ended. */
export function activeCount(): number {
  return 1 + Thread._live();
}

/** The current thread's identifier: its worker thread id (0 on the main thread). */
export function getIdent(): number {
  return currentContext().ident;
}
