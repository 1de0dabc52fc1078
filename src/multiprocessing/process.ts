/**
 * `Process`: Python's `multiprocessing.Process` on `child_process.fork`. The child is a full Node
 * process that runs `target(...args)` and then ends like a Node program; its stdout and stderr
 * are the parent's. `join()` is a Promise, the exit code follows Python's rules (a negative
 * signal number when a signal ended the child), and Python's messages report misuse.
 *
 * Lifetimes: a non-daemonic child keeps the parent alive until it ends (Python joins them at
 * exit); a daemonic one does not, and is terminated when the parent exits. A child never
 * outlives its parent: it exits when the IPC channel closes, and a watchdog thread in the child
 * kills it within half a second of its parent being killed by SIGKILL.
 *
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { AssertionError, SerializationError, ValueError } from '../errors.js';
import { startTimer, waitArgument, type Timer } from '../sync/deadline.js';
import { encodeValue, TASK_ERRORS, TASK_SHARED, type WireFn } from '../protocol.js';
import { checkArgs } from '../task-ref/check-args.js';
import type { Callable } from '../task-ref/task-module.js';
import { toWireFn } from '../task-ref/to-wire-fn.js';
import { currentContext, refuseWhileImporting } from '../worker/context.js';
import { PROCESS_START_VERSION, type ProcessIdentity, type ProcessStartMessage } from '../worker/process-start.js';
import { BROKER_ENV, brokerDone, brokerPathForChildren } from './link.js';
import { siblingUrl } from '../sibling-url.js';

const ENTRY = fileURLToPath(siblingUrl('../worker/process-target-entry', import.meta.url));

/** Options of {@link Process}. */
export interface ProcessOptions<A extends unknown[]> {
  /** The function to run in the child: self-contained, a `taskModule()` reference, or a built-in (`console.log`). */
  target?: Callable<A, unknown> | undefined;
  /** Arguments of `target`. Queues, pipes, locks and other handles of this module arrive working. */
  args?: A | undefined;
  /** The child's name; default `Process-N` (`Process-1:N` inside `Process-1`). */
  name?: string | undefined;
  /** A daemonic child does not keep the parent alive and is terminated when the parent exits. Default: the current process's flag. */
  daemon?: boolean | undefined;
}

type State = 'initial' | 'started' | 'stopped' | 'closed';

let counter = 0;
const children = new Set<Process<any>>();
let exitHook = false;

function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    // A normal exit only happens once every non-daemonic child has ended (they keep the loop alive);
    // what is left is daemonic, or the program was ended by process.exit(): no child outlives it.
    for (const child of children) child._killOnExit();
  });
}

function selfIdentity(): ProcessIdentity | undefined {
  const context = currentContext();
  if (context.kind !== 'process') return undefined;
  const data = context.data as Partial<ProcessIdentity> | undefined;
  return {
    identity: data?.identity ?? [],
    daemon: data?.daemon ?? false,
    parentName: data?.parentName ?? 'MainProcess',
    parentPid: data?.parentPid ?? process.ppid,
  };
}

/**
 * A child process running `target(...args)`, like Python's `multiprocessing.Process`.
 *
 * @typeParam A - the argument types of the target.
 * @example
 * ```ts
 * const p = new Process({ target: console.log, args: ['text'] });
 * p.start();
 * await p.join();
 * ```
 */
export class Process<A extends unknown[] = unknown[]> {
  readonly #target: Callable<A, unknown> | undefined;
  readonly #args: unknown[];
  readonly #identity: readonly number[];
  #name: string;
  #daemon: boolean;
  #state: State = 'initial';
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #exitcode: number | null = null;
  #finished: Promise<void> | undefined;
  /** Joins waiting on a daemonic child (it is referenced while there are any). */
  #joining = 0;
  /** Set for the objects that stand for the current process or its parent. */
  #role: 'child' | 'current' | 'parent' = 'child';

  /**
   * @throws {TypeError} when `target` is not a function or task reference.
   * @param options - `target`, `args`, `name`, `daemon`.
   */
  constructor(options: ProcessOptions<A> = {}) {
    if (options.target !== undefined && options.target !== null && typeof options.target !== 'function' && typeof options.target !== 'object') {
      throw new TypeError(`Process target must be a function or a task reference, got ${typeof options.target}`);
    }
    const parent = selfIdentity();
    this.#target = options.target ?? undefined;
    this.#args = [...(options.args ?? [])];
    this.#identity = [...(parent?.identity ?? []), ++counter];
    this.#name = options.name ?? `Process-${this.#identity.join(':')}`;
    this.#daemon = options.daemon ?? parent?.daemon ?? false;
  }

  /** The process name (not unique; only used for messages and `currentProcess().name`). */
  get name(): string {
    return this.#name;
  }

  /** Renames the process (any value is converted to a string). */
  set name(value: string) {
    this.#name = String(value);
  }

  /** Whether the child is daemonic. */
  get daemon(): boolean {
    return this.#daemon;
  }

  /** @throws {AssertionError} `process has already started`. */
  set daemon(value: boolean) {
    if (this.#state !== 'initial') throw new AssertionError('process has already started');
    this.#daemon = Boolean(value);
  }

  /** The child's process id once started, else `undefined`. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** Same as {@link Process.pid}. */
  get ident(): number | undefined {
    return this.#pid;
  }

  /**
   * The child's exit code: `null` while it runs (or before it starts), `0` after a normal end,
   * `n` after `process.exit(n)`, `1` after an uncaught error, `-N` when signal N ended it
   * (`-15` after {@link Process.terminate}, `-9` after {@link Process.kill}).
   */
  get exitcode(): number | null {
    return this.#exitcode;
  }

  /**
   * Starts the child: `target(...args)` begins running in a new process.
   *
   * @throws {AssertionError} `cannot start a process twice`; `daemonic processes are not allowed to
   * have children` (inside a daemonic process).
   * @throws {ValueError} `process object is closed`.
   * @throws {SerializationError} when an argument cannot be sent to a process (a function, a class
   * instance, or a threading primitive, which lives in one process's memory).
   * @throws {TypeError} when the target cannot reach a process (a closure; the message says why).
   */
  start(): void {
    this.#checkClosed();
    refuseWhileImporting('Process');
    if (this.#role !== 'child' || this.#state !== 'initial') throw new AssertionError('cannot start a process twice');
    if (selfIdentity()?.daemon === true) throw new AssertionError('daemonic processes are not allowed to have children');
    const target: WireFn | null = this.#target === undefined ? null : toWireFn(this.#target, 'Process target');
    const flags = checkArgs(this.#args, 'args', true);
    if ((flags & TASK_SHARED) !== 0) refuseThreadLocal(this.#args);
    const message: ProcessStartMessage = {
      op: 'start',
      version: PROCESS_START_VERSION,
      name: this.#name,
      identity: this.#identity,
      daemon: this.#daemon,
      parentName: currentContext().kind === 'process' ? currentContext().name : 'MainProcess',
      parentPid: process.pid,
      target,
      // Errors among the arguments keep their class and fields (the error codec; decoded in the child).
      args: (flags & TASK_ERRORS) !== 0 ? encodeValue(this.#args) as unknown[] : this.#args,
      flags,
    };
    installExitHook();
    const child = fork(ENTRY, [], {
      serialization: 'advanced',
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      execArgv: process.execArgv,
      env: { ...process.env, [BROKER_ENV]: brokerPathForChildren() },
    });
    try {
      child.send(message);
    } catch (error) {
      child.kill('SIGKILL');
      throw new TypeError(`the arguments of the Process target cannot be sent to a child process: ${(error as Error).message}. ` +
        'Threading primitives live in one process; use the multiprocessing ones (Lock, Queue, Value…) instead.', { cause: error });
    }
    this.#child = child;
    this.#pid = child.pid;
    this.#state = 'started';
    children.add(this);
    const pid = child.pid as number;
    this.#finished = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitcode = code ?? -(signal === null ? 0 : (constants.signals[signal] ?? 0));
        if (this.#state === 'started') this.#state = 'stopped';
        children.delete(this);
        // What the child put on queues before it ended is handled before the join returns (a
        // program that joins its producers and then puts sentinels relies on it, as in Python).
        void brokerDone(pid).then(resolve);
      });
    });
    // The channel only tells the child when the parent is gone; the child itself keeps the parent
    // alive unless it is daemonic.
    (child as ChildProcess & { channel?: { unref(): void } }).channel?.unref();
    if (this.#daemon) child.unref();
  }

  /**
   * Waits until the child ends, or `timeout` ms pass. Resolves to `undefined` either way (as
   * Python's `join` returns None): check {@link Process.exitcode} or {@link Process.isAlive}.
   *
   * Cancel safety: a timeout ends only the wait; the child keeps running.
   *
   * @param timeout - milliseconds, or `{ timeout }`; `0` only looks; `undefined` or `null` waits until it ends.
   * @throws {AssertionError} `can only join a started process`; `can only join a child process`.
   * @throws {TypeError} for a timeout that is not a number, `undefined` or `null`.
   * @throws {ValueError} `process object is closed`.
   */
  async join(timeout?: number | { timeout?: number | null | undefined } | null): Promise<void> {
    const ms = waitArgument(timeout).timeout;
    this.#checkClosed();
    if (this.#role !== 'child') throw new AssertionError('can only join a child process');
    const finished = this.#finished;
    if (finished === undefined) throw new AssertionError('can only join a started process');
    // A daemonic child does not keep the program alive, but a join on it must (Python's join blocks).
    const child = this.#daemon && this.#exitcode === null ? this.#child : undefined;
    if (child !== undefined && this.#joining++ === 0) child.ref();
    let timer: Timer | undefined;
    try {
      if (ms === undefined) return await finished;
      await Promise.race([finished, new Promise<void>((resolve) => {
        timer = startTimer(resolve, ms);
      })]);
    } finally {
      timer?.clear();
      if (child !== undefined && --this.#joining === 0 && this.#exitcode === null) child.unref();
    }
  }

  /**
   * `true` from `start()` until the child has ended.
   *
   * @throws {ValueError} `process object is closed`.
   * @returns `true` while the child runs.
   */
  isAlive(): boolean {
    this.#checkClosed();
    if (this.#role === 'current') return true;
    if (this.#role === 'parent') return isRunning(this.#pid as number) && process.ppid === this.#pid;
    return this.#state === 'started' && this.#exitcode === null;
  }

  /**
   * Ends the child with SIGTERM; its exit code becomes −15.
   *
   * @throws {ValueError} `process object is closed`.
   */
  terminate(): void {
    this.#signal('SIGTERM');
  }

  /**
   * Sends SIGINT (Python 3.14's `interrupt()`): a child with no SIGINT handler ends with exit code −2.
   *
   * @throws {ValueError} `process object is closed`.
   */
  interrupt(): void {
    this.#signal('SIGINT');
  }

  /**
   * Ends the child with SIGKILL (it cannot be caught); its exit code becomes −9.
   *
   * @throws {ValueError} `process object is closed`.
   */
  kill(): void {
    this.#signal('SIGKILL');
  }

  /**
   * Releases the process object. Later calls to `isAlive`, `join`, `start`, `terminate` or `kill`
   * throw `ValueError('process object is closed')`. Calling it twice is fine.
   *
   * @throws {ValueError} `Cannot close a process while it is still running. You should first call
   * join() or terminate().`
   */
  close(): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'started' && this.#exitcode === null) {
      throw new ValueError('Cannot close a process while it is still running. You should first call join() or terminate().');
    }
    this.#child = undefined;
    this.#state = 'closed';
  }

  /**
   * Python's repr: `<Process name='Process-1' pid=123 parent=100 stopped exitcode=-SIGTERM>`.
   *
   * @returns Python's repr of the process.
   */
  toString(): string {
    const cls = this.#role === 'current' && currentContext().kind === 'main' ? '_MainProcess'
      : this.#role === 'parent' ? '_ParentProcess' : 'Process';
    const parts = [`name='${this.#name}'`];
    if (this.#state === 'closed') return `<${cls} ${parts.join(' ')} closed>`;
    if (this.#pid !== undefined && this.#role !== 'parent') parts.push(`pid=${this.#pid}`);
    if (this.#role === 'child') parts.push(`parent=${process.pid}`);
    else if (this.#role === 'current') parts.push(`parent=${currentContext().kind === 'main' ? 'None' : process.ppid}`);
    if (this.#role !== 'child') parts.push('started');
    else if (this.#state === 'initial') parts.push('initial');
    else if (this.#exitcode === null) parts.push('started');
    else parts.push('stopped', `exitcode=${describeExit(this.#exitcode)}`);
    if (this.#daemon) parts.push('daemon');
    return `<${cls} ${parts.join(' ')}>`;
  }

  /** What `util.inspect` and `console.log` show: the same text as {@link Process.toString}. */
  [inspect.custom](): string {
    return this.toString();
  }

  /** @internal Builds the object for the current process or its parent. */
  static _describe(role: 'current' | 'parent', name: string, pid: number, daemon: boolean): Process {
    const p = new Process();
    counter--;
    p.#role = role;
    p.#name = name;
    p.#pid = pid;
    p.#daemon = daemon;
    p.#state = 'started';
    return p;
  }

  /** @internal The program is exiting: no child may outlive it. */
  _killOnExit(): void {
    if (this.#child !== undefined && this.#exitcode === null) this.#child.kill('SIGTERM');
  }

  #signal(signal: NodeJS.Signals): void {
    this.#checkClosed();
    if (this.#role === 'current') process.kill(process.pid, signal);
    else if (this.#role === 'parent') process.kill(this.#pid as number, signal);
    else if (this.#child !== undefined && this.#exitcode === null) this.#child.kill(signal);
  }

  #checkClosed(): void {
    if (this.#state === 'closed') throw new ValueError('process object is closed');
  }
}

/**
 * Threading primitives live in the memory of one process: structured clone would copy them into
 * the child, where they would silently stop being shared. Refuse them, as Python refuses to
 * pickle a `threading.Lock`.
 */
function refuseThreadLocal(value: unknown, path = 'args', depth = 0): void {
  if (typeof value !== 'object' || value === null || depth > 32) return;
  const tag = (value as { __ct?: unknown }).__ct;
  if (typeof tag === 'string') {
    if (tag.startsWith('mp.')) return;
    throw new SerializationError(`${path} is a ${tag}, which lives in one process's memory and cannot be shared with a ` +
      'child process; use the multiprocessing one (Lock, Event, Value…) instead', path);
  }
  if (Array.isArray(value)) value.forEach((item, i) => refuseThreadLocal(item, `${path}[${i}]`, depth + 1));
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) refuseThreadLocal(item, `${path}.${key}`, depth + 1);
  }
}

function describeExit(code: number): string {
  if (code >= 0) return String(code);
  const name = Object.entries(constants.signals).find(([, n]) => n === -code)?.[0];
  return name === undefined ? String(code) : `-${name}`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let current: Process | undefined;

/**
 * The process this code runs in.
 *
 * @returns `MainProcess` in the program; inside a `Process` or a pool worker, an object with the
 * child's own name, pid and daemon flag.
 */
export function currentProcess(): Process {
  if (current !== undefined) return current;
  const context = currentContext();
  const self = selfIdentity();
  current = Process._describe('current', context.kind === 'process' ? context.name : 'MainProcess', process.pid, self?.daemon ?? false);
  return current;
}

/**
 * The parent of the current process.
 *
 * @returns an object with the parent's name and pid (`isAlive()` tells whether it still runs), or
 * `null` in the program the user started.
 */
export function parentProcess(): Process | null {
  const self = selfIdentity();
  if (self === undefined) return null;
  return Process._describe('parent', self.parentName, self.parentPid, false);
}

/**
 * The `Process` children this process started that have not ended yet.
 *
 * @returns them, in the order they were started.
 */
export function activeChildren(): Array<Process<any>> {
  return [...children].filter((p) => p.exitcode === null);
}

/**
 * The number of CPUs of the machine (Python's `os.cpu_count()`).
 *
 * @returns the count from `os.cpus()`.
 */
export function cpuCount(): number {
  return cpus().length;
}
