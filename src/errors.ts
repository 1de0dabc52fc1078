/**
 * Every public error class of concurrent-ts, named and arranged like Python's.
 *
 * ```
 * Error
 * ├── RuntimeError
 * │   ├── BrokenExecutor ── BrokenThreadPool, BrokenProcessPool
 * │   ├── BrokenBarrierError
 * │   └── DeadlockError
 * ├── ValueError
 * ├── OSError
 * ├── EOFError
 * ├── TimeoutError
 * ├── CancelledError
 * ├── InvalidStateError
 * ├── Empty, Full
 * ├── ProcessError ── BufferTooShort, AuthenticationError
 * ├── RemoteError
 * ├── AssertionError
 * ├── ModuleNotFoundError
 * └── TypeError ── SerializationError, TaskNotAllowedError
 * ```
 *
 * `name` equals the class name on every instance, so an error keeps its identity
 * across structured clone, and `instanceof` also works between two loaded copies
 * of the library (a worker may load its own copy).
 *
 * @module
 */

const kBrand = Symbol.for('concurrent-ts.error');

/** Options accepted by every error constructor (the standard `cause`). */
export interface ErrorOptions {
  cause?: unknown;
}

function brandedHasInstance(this: abstract new (...args: never[]) => unknown, value: unknown): boolean {
  if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
  // A second copy of the library has its own classes; match by brand and name along the chain.
  if (typeof value !== 'object' || value === null || !(kBrand in value)) return false;
  for (let proto = Object.getPrototypeOf(value); proto !== null; proto = Object.getPrototypeOf(proto)) {
    const ctor = (proto as { constructor?: { name?: string } }).constructor;
    if (ctor?.name === this.name && Object.prototype.hasOwnProperty.call(proto, kBrand)) return true;
  }
  return false;
}

function brand(cls: { prototype: object; name: string }): void {
  Object.defineProperty(cls.prototype, kBrand, { value: true });
  Object.defineProperty(cls.prototype, 'name', { value: cls.name, writable: true, configurable: true });
  Object.defineProperty(cls, Symbol.hasInstance, { value: brandedHasInstance });
}

/** Python's `RuntimeError`: an operation is not possible in the current state. */
export class RuntimeError extends Error {}
/** Python's `ValueError`: an argument has the right type but a bad value. */
export class ValueError extends Error {}
/** Python's `OSError`: misuse of an OS-level handle (a closed or one-way connection). */
export class OSError extends Error {}
/** Python's `EOFError`: the other end of a pipe was closed and nothing is left to read. */
export class EOFError extends Error {}
/**
 * A wait ran out of time: `future.result({ timeout })`, `asCompleted`, `map`'s deadline,
 * a per-task timeout. Python's `concurrent.futures.TimeoutError` (the builtin `TimeoutError`).
 */
export class TimeoutError extends Error {}
/** The future was cancelled before it produced a result. */
export class CancelledError extends Error {}
/** A `Future` transition that its current state forbids (setting a result twice). */
export class InvalidStateError extends Error {}
/** The executor can no longer run work: an initializer failed, or a worker died in `onWorkerExit: 'break'` mode. */
export class BrokenExecutor extends RuntimeError {}
/** A thread pool worker failed: its initializer threw, or the thread died while running the task. */
export class BrokenThreadPool extends BrokenExecutor {}
/** A process pool worker failed: its initializer threw, or the process died while running the task. */
export class BrokenProcessPool extends BrokenExecutor {}
/** A `Barrier` was aborted, reset or timed out while a party waited. */
export class BrokenBarrierError extends RuntimeError {}

/** One edge of a deadlock cycle: `thread` waits for `lock`, which another thread of the cycle holds. */
export interface DeadlockEdge {
  /** The waiting thread or process, by name (`Thread-1 (f)`, `Process-1`). */
  thread: string;
  /** The lock it waits for, by name (`lock_a`, `Lock-1`). */
  lock: string;
}

/**
 * A blocking acquire would never return: the thread already holds the lock, or its wait closes
 * a cycle of threads each waiting for a lock another one holds. `cycle` lists every waiter in order.
 */
export class DeadlockError extends RuntimeError {
  /** Every waiter of the cycle, in order; one edge when a thread waits for a lock it holds itself. */
  readonly cycle: readonly DeadlockEdge[];
  /**
   * @param message - the cycle in words, and what to do about it.
   * @param cycle - every waiter of the cycle, in order.
   * @param options - the standard `cause`.
   */
  constructor(message: string, cycle: readonly DeadlockEdge[] = [], options?: ErrorOptions) {
    super(message, options);
    this.cycle = cycle;
  }
}

/** `queue.Empty`: a non-blocking or timed `get` found nothing. */
export class Empty extends Error {}
/** `queue.Full`: a non-blocking or timed `put` found no room. */
export class Full extends Error {}
/** Python's `multiprocessing.ProcessError`, base of process-level errors. */
export class ProcessError extends Error {}
/** `recvBytesInto` was given a buffer smaller than the message; `message` data is on `.data`. */
export class BufferTooShort extends ProcessError {
  /** The whole message that did not fit, so that it is not lost. */
  readonly data: Uint8Array | undefined;
  /**
   * @param message - the error message.
   * @param data - the message that did not fit.
   * @param options - the standard `cause`.
   */
  constructor(message: string, data?: Uint8Array, options?: ErrorOptions) {
    super(message, options);
    this.data = data;
  }
}
/** A peer failed authentication. */
export class AuthenticationError extends ProcessError {}
/** A method of a shared (managed) object failed on the broker side, or is not exposed. */
export class RemoteError extends Error {}
/**
 * Python's `AssertionError`, which `multiprocessing` raises for misuse of a process object
 * (`cannot start a process twice`, `can only join a started process`).
 */
export class AssertionError extends Error {}

/**
 * A value cannot travel to or from a worker (a function, a symbol, a class instance that would lose
 * its prototype, a non-transferable host object). `path` names where it sits, such as `args[1].cb`.
 */
export class SerializationError extends TypeError {
  /** Where the value sits in what was sent, such as `args[1]` or `args[0].cb` (empty when unknown). */
  readonly path: string;
  /**
   * @param message - what cannot travel, and why.
   * @param path - where it sits, such as `args[1].cb`.
   * @param options - the standard `cause`.
   */
  constructor(message: string, path = '', options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/** A distributed job named a task module that the worker was not told to allow. */
export class TaskNotAllowedError extends TypeError {}

/**
 * Python's `ModuleNotFoundError`: a package the library needs for this entry point is not
 * installed (`concurrent-ts/distributed` without `bullmq` or `ioredis`). The message names the
 * packages and the command that installs them; `code` is Node's, `ERR_MODULE_NOT_FOUND`.
 */
export class ModuleNotFoundError extends Error {
  /** Node's code for a module that cannot be found. */
  readonly code = 'ERR_MODULE_NOT_FOUND';
  /** The missing packages, by name. */
  readonly packages: readonly string[];
  /**
   * @param message - which packages are missing, and how to install them.
   * @param packages - the missing packages, by name.
   * @param options - the standard `cause` (Node's own error for the first missing package).
   */
  constructor(message: string, packages: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
    this.packages = packages;
  }
}

for (const cls of [
  RuntimeError, ValueError, OSError, EOFError, TimeoutError, CancelledError, InvalidStateError,
  BrokenExecutor, BrokenThreadPool, BrokenProcessPool, BrokenBarrierError, DeadlockError,
  Empty, Full, ProcessError, BufferTooShort, AuthenticationError, RemoteError, AssertionError,
  SerializationError, TaskNotAllowedError, ModuleNotFoundError,
]) brand(cls);

type ErrorClass = new (...args: any[]) => Error;

/**
 * Name → class, used to rebuild an error that crossed a thread, process or machine boundary.
 * Built-in JavaScript errors are included so a worker's `RangeError` arrives as a `RangeError`.
 */
export const ERROR_CLASSES: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ['Error', Error], ['TypeError', TypeError], ['RangeError', RangeError], ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError], ['EvalError', EvalError], ['URIError', URIError], ['AggregateError', AggregateError],
  ['RuntimeError', RuntimeError], ['ValueError', ValueError], ['OSError', OSError], ['EOFError', EOFError],
  ['TimeoutError', TimeoutError], ['CancelledError', CancelledError], ['InvalidStateError', InvalidStateError],
  ['BrokenExecutor', BrokenExecutor], ['BrokenThreadPool', BrokenThreadPool],
  ['BrokenProcessPool', BrokenProcessPool], ['BrokenBarrierError', BrokenBarrierError],
  ['DeadlockError', DeadlockError], ['Empty', Empty], ['Full', Full], ['ProcessError', ProcessError],
  ['BufferTooShort', BufferTooShort], ['AuthenticationError', AuthenticationError],
  ['RemoteError', RemoteError], ['AssertionError', AssertionError], ['SerializationError', SerializationError],
  ['TaskNotAllowedError', TaskNotAllowedError], ['ModuleNotFoundError', ModuleNotFoundError],
]);
