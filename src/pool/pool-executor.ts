/**
 * The pool engine behind `ThreadPoolExecutor` and `ProcessPoolExecutor`: one queue, worker
 * slots, batching, and what happens when a worker dies. The transport decides only how workers
 * run; everything here is the same for threads and processes.
 *
 * ```
 *  submit ─▶ queue ──flush (once per tick)──▶ slot.post(run{ many tasks }) ─▶ worker
 *                                                                              │
 *  future.setResult ◀── inflight map ◀──────── done{ many results } ◀──────────┘
 * ```
 *
 * When a reply is due within microseconds (one small task in flight), the main side spins for it
 * rather than sleeping in its event loop (see `ReplySpin`).
 *
 * How much a worker holds at once adapts to the work: the pool measures how long tasks run and
 * keeps a few milliseconds of work queued in each worker (one task when tasks are long, thousands
 * when they are tiny), so tiny tasks cost a fraction of a message each and long tasks still spread
 * evenly over the workers.
 *
 * This file is longer than most because the dispatch and the death handling share all their
 * state; splitting them would spread one invariant (every task is queued, in flight, or settled)
 * over several files.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { RuntimeError, SerializationError, TimeoutError, ValueError, type BrokenExecutor } from '../errors.js';
import { describe } from '../describe.js';
import { checkTimeout, startTimer } from '../sync/deadline.js';
import { Admissions } from '../core/admissions.js';
import type { ChunkOutcome, MapAdmission, TaskKind, TaskOptions } from '../core/backend.js';
import { cancelOnAbort } from '../core/cancel-on-abort.js';
import { Executor, type ShutdownOptions } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { reportError } from '../core/logger.js';
import { RingQueue } from '../core/ring-queue.js';
import { packValues } from '../chunk-values.js';
import { decodeThrown, decodeValue, encodeValue, isWireThrown } from '../error-codec.js';
import {
  RESULT_STRIDE, STATUS_OK, STATUS_OK_ENCODED, TASK_CALL, TASK_CHUNK, TASK_ERRORS, TASK_KIND_MASK, TASK_SPAN, TASK_STARCHUNK,
  TASK_STRIDE, TASK_TIMED, TASK_TRACE, asFromWorker, timingKey, type DoneMessage, type FnDef, type WireFn,
} from '../protocol.js';
import { checkPriority } from '../core/priority.js';
import { checkArgs } from '../task-ref/check-args.js';
import { functionName, toWireFn } from '../task-ref/to-wire-fn.js';
import { ReplySpin } from './reply-spin.js';
import { MOVED, REQUEUED, TaskFuture, newExtra, type ForceCanceller, type TaskExtra } from './task-future.js';
import { TaskTiming } from './task-timing.js';
import { PoolMetricsRecorder, type MetricsOptions, type PoolMetrics } from './pool-metrics.js';
import { PriorityQueue, type TaskQueue } from './priority-queue.js';
import { Tracing } from './tracing.js';
import { takeTransfers } from './take-transfers.js';
import type { Transport, WorkerExit } from './transport.js';
import { WorkerSlot } from './worker-slot.js';
import { refuseWhileImporting } from '../worker/context.js';

/** Options shared by the thread and process pools. */
export interface PoolOptions {
  /** How many workers at most; defaults to `os.availableParallelism()`. Workers start on demand. */
  maxWorkers?: number | undefined;
  /** Runs once in each worker before its first task; if it throws, the pool is broken. */
  initializer?: ((...args: any[]) => unknown) | object | undefined;
  /** Arguments of `initializer`. */
  initargs?: readonly unknown[] | undefined;
  /** A worker is replaced after running this many tasks. */
  maxTasksPerChild?: number | undefined;
  /**
   * What a worker dying mid-task does: `'replace'` (default) fails only the task it was running
   * and starts a new worker; `'break'` is Python's behaviour, every pending task fails with the
   * pool's `Broken…` error and the pool takes no more work.
   */
  onWorkerExit?: 'replace' | 'break' | undefined;
  /** Default per-task timeout in ms, counted from the start of each task. */
  taskTimeout?: number | undefined;
  /** `false`: busy workers do not keep the program alive either (daemon threads). @internal */
  keepAlive?: boolean | undefined;
}

/** Per-worker figures, as reported by `stats()`. */
export interface WorkerStats {
  /** The worker's name, `<prefix>_<index>` (`threadNamePrefix` on a thread pool); a replacement takes the next index. */
  readonly name: string;
  /** The id of the process the worker runs in (the program's own for a thread). */
  readonly pid: number;
  /** The worker thread's id, or the process id. */
  readonly ident: number;
  /** Tasks this worker has finished. */
  readonly completed: number;
  /** Milliseconds this worker has spent running task code. */
  readonly busyMs: number;
  /** Tasks started on this worker and not finished (several when tasks await). */
  readonly running: number;
  /** Tasks sent to this worker that it has not started (for a process worker: not known to have started). */
  readonly waiting: number;
}

/** Statistics of a pool, for monitoring and tests. */
export interface PoolStats {
  /** The live workers. */
  readonly workers: readonly WorkerStats[];
  /** Tasks waiting in the queue, not yet sent to a worker. */
  readonly queued: number;
  /** Tasks sent to a worker and not settled yet (running, or held by the worker to run next: see each worker's figures). */
  readonly running: number;
  /** Tasks the workers have finished (returned or thrown) since the pool started. */
  readonly completed: number;
}

/** Tasks per message, at most. */
const MAX_BATCH = 1024;
/** Tasks one worker may hold unstarted, at most (below the protocol's `CLAIM_SLOTS`). */
const MAX_HELD = 8192;
/** Milliseconds of work each worker should hold unstarted: enough to never wait for the next message. */
const HELD_MS = 4;
/** What a process worker may hold unstarted: this much expected work (ms), and at most this many tasks. */
const PROCESS_HELD_MS = 1;
const PROCESS_MAX_HELD = 512;
/**
 * Milliseconds of work a map chunk should hold (docs/decisions/map-chunking.md): each chunk costs
 * a reply and a next message, and the wake-ups that go with them, whatever its size.
 */
const MAP_CHUNK_MS = 16;
/** The same for a map with a `timeout`: results that finished before the deadline are yielded, so chunks end sooner. */
const MAP_DEADLINE_CHUNK_MS = 4;
/** A task expected to take this long (ms), or never measured, goes to a worker holding nothing unstarted, alone. */
const LONG_MS = HELD_MS;
/** Cores this process may use (`taskset` and cgroup limits included). */
const CORES = availableParallelism();
/** How soon an idle thread worker looks again at a worker that holds tasks it has not started, and how long such a worker may start none before they are taken back. */
const STEAL_RECHECK_MS = 1;
/** A worker that holds tasks and has started none for this long (ms) while another idles is stalled. */
const STALL_MS = 5;
/** How long a process worker asked to halt may take to answer before it is killed. */
const HALT_MS = 100;
/** Consecutive workers dying before `ready` after which the pool gives up. */
const MAX_START_FAILURES = 3;

let interpreterExiting = false;
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    interpreterExiting = true;
  });
}

/** Validates `maxWorkers` (Python's message, with the value). */
function checkMaxWorkers(value: unknown, name = 'maxWorkers'): number {
  if (value === undefined) return availableParallelism();
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${describe(value)}`);
  }
  if (value <= 0) throw new ValueError(`${name} must be greater than 0, got ${value}`);
  return value;
}

/** The pool engine. Concrete executors pass a transport and their names. */
export abstract class PoolExecutor extends Executor implements ForceCanceller {
  readonly #transport: Transport;
  readonly #maxWorkers: number;
  readonly #nameOf: (index: number) => string;
  readonly #keepAlive: boolean;
  readonly #initializer: WireFn | null;
  readonly #initargs: readonly unknown[];
  readonly #initflags: number;
  readonly #maxTasks: number;
  readonly #onWorkerExit: 'replace' | 'break';
  readonly #taskTimeout: number | undefined;
  /** A plain FIFO until the first task with a priority comes; then a {@link PriorityQueue}. */
  #queue: TaskQueue<TaskFuture<unknown>> = new RingQueue<TaskFuture<unknown>>(1024);
  readonly #inflight = new Map<number, TaskFuture<unknown>>();
  readonly #slots: WorkerSlot[] = [];
  /** Weak: a function object dropped by the program must not be kept here (EXE-13). */
  readonly #fnIds = new WeakMap<WireFn, number>();
  /**
   * By content: `submit((x) => x + 1, i)` in a loop makes a new function object each time, all
   * with the same source. They share one id, so each worker compiles that source once.
   */
  readonly #fnByContent = new Map<string, number>();
  readonly #fnWires: WireFn[] = [];
  readonly #fnNames: string[] = [];
  /** Delivers the replies already sent by the workers that can be read without the event loop. */
  readonly #pollReplies = (): boolean => {
    let any = false;
    for (const slot of this.#slots) if (!slot.empty() && slot.channel.poll?.() === true) any = true;
    return any;
  };
  readonly #replySpin = new ReplySpin(this.#pollReplies);
  #nextId = 1;
  #spawned = 0;
  #completed = 0;
  readonly #timing = new TaskTiming();
  readonly #metrics = new PoolMetricsRecorder();
  readonly #tracing: Tracing;
  #flushScheduled = false;
  #stealTimer: NodeJS.Timeout | undefined;
  #startFailures = 0;
  /** Shut down or not, and the maps admitted before that which still pull their input (shutdown waits for them). */
  readonly #admissions = new Admissions((fn, args, kind, options, admission) => this.#schedule(fn, args, kind, options, admission), () => this.#maybeFinish());
  /** A `shutdown({ wait: true })` is waiting: stopping workers keep the program alive until they exit. */
  #holdUntilExit = false;
  #broken: BrokenExecutor | undefined;
  /** What `submit` says once broken, when it differs from what the pending futures got (Python's texts). */
  #brokenForSubmit: string | undefined;
  #allExited: Promise<void> | undefined;
  #resolveAllExited: (() => void) | undefined;

  protected constructor(transport: Transport, options: PoolOptions, names: string | ((index: number) => string)) {
    super();
    refuseWhileImporting(new.target.name);
    this.#transport = transport;
    this.#maxWorkers = checkMaxWorkers(options.maxWorkers);
    this.#nameOf = typeof names === 'string' ? (index) => `${names}_${index}` : names;
    this.#keepAlive = options.keepAlive !== false;
    const init = options.initializer;
    if (init !== undefined && init !== null && typeof init !== 'function' && (typeof init !== 'object')) {
      throw new TypeError('initializer must be a callable');
    }
    this.#initializer = init === undefined || init === null ? null : toWireFn(init, 'initializer');
    const initargs = [...(options.initargs ?? [])];
    this.#initflags = checkArgs(initargs, 'initargs', transport.crossProcess);
    this.#initargs = (this.#initflags & TASK_ERRORS) !== 0 ? encodeValue(initargs) as unknown[] : initargs;
    const maxTasks = options.maxTasksPerChild;
    if (maxTasks !== undefined) {
      if (typeof maxTasks !== 'number' || !Number.isInteger(maxTasks)) throw new TypeError('maxTasksPerChild must be an integer');
      if (maxTasks < 1) throw new ValueError(`maxTasksPerChild must be >= 1, got ${maxTasks}`);
    }
    this.#maxTasks = maxTasks ?? Infinity;
    const onExit = options.onWorkerExit ?? 'replace';
    if (onExit !== 'replace' && onExit !== 'break') throw new ValueError(`onWorkerExit must be 'replace' or 'break', got ${describe(onExit)}`);
    this.#onWorkerExit = onExit;
    this.#taskTimeout = checkTimeout(options.taskTimeout, 'taskTimeout');
    this.#tracing = new Tracing(transport.noun);
    installExitHook();
  }

  /** The most workers this pool runs at once. */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** Figures about the pool and each live worker. */
  stats(): PoolStats {
    return {
      workers: this.#slots.map((s) => {
        const waiting = s.waiting();
        return { name: s.name, pid: s.channel.pid, ident: s.channel.ident, completed: s.completed, busyMs: s.busyMs, running: s.running.size, waiting };
      }),
      queued: this.#queue.size,
      running: this.#inflight.size,
      completed: this.#completed,
    };
  }

  /**
   * How the pool's tasks fare: how many wait, run, completed, failed and were cancelled; how long
   * they waited for a worker and ran on one (p50, p99…, in ms); how busy each worker was. Counts,
   * times and utilization cover the time since the pool started or since the last reset; a map
   * chunk counts as one task. Always on: it costs a few timestamps per task.
   *
   * @param options - `reset: true` starts a new period after reading this one.
   * @returns the figures (metrics.md in the docs exports them in Prometheus' text format).
   */
  metrics(options: MetricsOptions = {}): PoolMetrics {
    const figures = this.#metrics.read(this.#queue.size, this.#inflight.size, this.#slots, this.#maxWorkers);
    if (options.reset === true) this.resetMetrics();
    return figures;
  }

  /** Starts a new period for {@link PoolExecutor.metrics}: counts, histograms and utilization from zero. */
  resetMetrics(): void {
    this.#metrics.reset(this.#slots);
  }

  /** Starts a worker now instead of at the first task (so its identity is known at once). @internal */
  _prestart(): void {
    if (this.#slots.length < this.#maxWorkers && this.#broken === undefined && !this.#admissions.shutDown) this.#spawn()?.unref();
  }

  /** @internal See {@link Backend._admitMap}. */
  _admitMap(): MapAdmission {
    return this.#admissions.admit();
  }

  /** @internal See {@link Backend._parallelism}. */
  _parallelism(): number {
    return this.#maxWorkers;
  }

  /** @internal See {@link Backend._poll}. */
  _poll(): boolean {
    if (this.#transport.crossProcess) return false;
    this.#pollReplies();
    return true;
  }

  /** @internal See {@link Backend._chunkTargetMs}. */
  _chunkTargetMs(deadline: boolean): number {
    return deadline ? MAP_DEADLINE_CHUNK_MS : MAP_CHUNK_MS;
  }

  /** @internal See {@link Backend._checkOpen}. */
  _checkOpen(): void {
    this.#checkUsable(null);
  }

  /** @internal See {@link Backend._timed}. */
  _timed(options: TaskOptions | undefined): boolean {
    return (options?.timeout ?? this.#taskTimeout) !== undefined;
  }

  /** @internal See {@link Backend._schedule}. */
  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined): Future<unknown> {
    return this.#schedule(fn, args, kind, options, null);
  }

  /**
   * @internal Submits a call that should run on another worker than `worker` (a name from its
   * task events) whenever the pool has, or may start, another one: it waits for room there rather
   * than run on `worker` (the CLI's `--retries`). With no other worker, it runs on `worker`.
   */
  _scheduleAvoiding(fn: unknown, args: unknown[], options: TaskOptions | undefined, worker: string): Future<unknown> {
    return this.#schedule(fn, args, 'call', options, null, worker);
  }

  /** Throws what a new task gets: the pool is broken, or shut down (unless `admission` is still open). */
  #checkUsable(admission: MapAdmission | null): void {
    if (this.#broken !== undefined) throw this.#transport.broken(this.#brokenForSubmit ?? this.#broken.message, { cause: this.#broken.cause });
    this.#admissions.check(admission);
  }

  #schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined, admission: MapAdmission | null,
    avoid?: string): Future<unknown> {
    this.#checkUsable(admission);
    if (interpreterExiting) throw new RuntimeError('cannot schedule new futures after interpreter shutdown');
    const wire = toWireFn(fn);
    let fnId = this.#fnIds.get(wire);
    if (fnId === undefined) {
      const key = `${wire.kind}\0${wire.name}\0${wire.kind === 'source' ? wire.source : wire.kind === 'module' ? wire.url : wire.path}`;
      fnId = this.#fnByContent.get(key);
      if (fnId === undefined) {
        fnId = this.#fnWires.length;
        this.#fnWires.push(wire);
        this.#fnNames.push(functionName(fn));
        this.#fnByContent.set(key, fnId);
      }
      this.#fnIds.set(wire, fnId);
    }
    const moves = takeTransfers(args, kind);
    if (moves !== undefined) args = moves.args;
    let flags: number;
    let payload: unknown[] = args;
    if (kind === 'chunk') {
      const packed = packValues(args);
      // A packed chunk is all numbers or booleans: nothing in it needs checking.
      flags = TASK_CHUNK | (packed.values === args ? checkArgs(args, 'args', this.#transport.crossProcess) : 0);
      if (packed.bools === undefined) payload = packed.values as unknown[];
    } else {
      flags = checkArgs(args, 'args', this.#transport.crossProcess) | (kind === 'call' ? TASK_CALL : TASK_STARCHUNK);
    }
    if ((flags & TASK_ERRORS) !== 0) payload = encodeValue(payload) as unknown[];
    const timeout = options?.timeout === undefined ? this.#taskTimeout : checkTimeout(options.timeout);
    const signal = options?.signal;
    const priority = options?.priority === undefined ? 0 : checkPriority(options.priority);
    const traced = this.#tracing.enabled();
    const extra: TaskExtra | undefined = timeout === undefined && signal === undefined && priority === 0 && moves === undefined && !traced
      && avoid === undefined ? undefined : newExtra(timeout, signal, priority);
    if (extra !== undefined) extra.avoid = avoid;
    const task = new TaskFuture<unknown>(this, fnId, flags, payload, extra);
    if (extra !== undefined) {
      // Only a thread's message moves memory; a process's copies it (see transfer.md in the docs).
      if (moves !== undefined && moves.list.length > 0 && !this.#transport.crossProcess) {
        extra.transfer = moves.list;
        task.marks |= MOVED;
      }
      if (traced) extra.trace = this.#tracing.start(task, this.#fnNames[fnId] ?? 'task', kind, kind === 'call' ? 1 : args.length);
      if (priority !== 0 && !(this.#queue instanceof PriorityQueue)) this.#usePriorities();
    }
    if (this.taskEvents.active) this.taskEvents.submitted(task, this.#fnNames[fnId] ?? 'task', kind, kind === 'call' ? 1 : args.length);
    if (signal !== undefined && extra !== undefined) {
      extra.onAbort = cancelOnAbort(task, signal);
      if (extra.onAbort === undefined) return task;
    }
    this.#queue.push(task);
    this.#scheduleFlush();
    return task;
  }

  /** The first task with a priority: from now on the queue serves the most urgent first. */
  #usePriorities(): void {
    const queue = new PriorityQueue<TaskFuture<unknown>>((task) => task.extra?.priority ?? 0);
    for (const task of this.#queue.drain()) queue.push(task);
    this.#queue = queue;
  }

  /** @internal Stops the worker that runs `task`; the task becomes CANCELLED. */
  forceCancel(task: TaskFuture<unknown>): boolean {
    const slot = task.slot;
    // A task back in the queue (its worker died or gave it back) is RUNNING but on no worker:
    // dropping it is enough (the flush skips cancelled tasks).
    if (slot === undefined) return (task.marks & REQUEUED) !== 0 && !task.done();
    if (!this.#inflight.has(task.id)) return false;
    this.#detach(task);
    this.#kill(slot, task, 'cancelled');
    this.#metrics.cancelled++;
    return true;
  }

  /**
   * @internal A task sent to a thread worker that has not claimed it: the worker will skip it,
   * so it is cancelled as a pending one is. A task back in the queue has not started either.
   */
  cancelUnstarted(task: TaskFuture<unknown>): boolean {
    const slot = task.slot;
    if (slot === undefined) return (task.marks & REQUEUED) !== 0 && !task.done();
    if (!slot.revoke(task)) return false;
    this.#inflight.delete(task.id);
    this.#cleanUp(task);
    this.#metrics.cancelled++;
    slot.dispatched--;
    if (slot.exclusive === task) slot.exclusive = undefined;
    if (slot.empty() && !slot.stopping) {
      if (slot.retiring) this.#stop(slot);
      else slot.unref();
    }
    // Room on that worker, or the pool may be done.
    this.#scheduleFlush();
    return true;
  }

  /**
   * Stops now (Python 3.14's `terminate_workers()`): cancels the tasks that have not started,
   * stops the workers running the others (those tasks become CANCELLED, as with
   * `cancel({ force: true })`), and resolves when every worker has exited. `submit` afterwards
   * throws. Does nothing more on a pool already stopped or broken.
   */
  async terminateWorkers(): Promise<void> {
    const stopped = this.shutdown({ wait: true, cancelFutures: true });
    for (const task of [...this.#inflight.values()]) task.cancel({ force: true });
    for (const task of this.#queue.drain()) this.#cancelQueued(task, true);
    for (const slot of this.#slots) slot.channel.terminate();
    this.#maybeFinish();
    await stopped;
  }

  /** Same as {@link PoolExecutor.terminateWorkers} (workers are always stopped at once here). */
  killWorkers(): Promise<void> {
    return this.terminateWorkers();
  }

  /**
   * Signals the pool to free its workers once pending work is done; see {@link Executor.shutdown}.
   * With `wait` (the default), resolves when every task has settled and every worker has exited.
   *
   * @param options - `wait` (default `true`) and `cancelFutures` (default `false`: with `true`,
   *   the tasks that have not started are cancelled).
   * @returns a promise that resolves when the pool is shut down (at once with `wait: false`).
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    // With cancelFutures: Python's map has submitted every call by now, so they are all
    // cancelled; here a map's calls not yet submitted are refused, and shutdown stops waiting for them.
    this.#admissions.shutdown(cancelFutures);
    if (cancelFutures) {
      for (const task of this.#queue.drain()) this.#cancelQueued(task, false);
      // Sent to a thread worker and not claimed yet: not started, so cancelled as well.
      for (const task of [...this.#inflight.values()]) task.cancel();
    }
    this.#allExited ??= new Promise<void>((resolve) => {
      this.#resolveAllExited = resolve;
    });
    if (wait && this.#keepAlive) {
      // Whoever awaits this needs the program alive until the workers have exited, and idle
      // workers are unref'd: a child process's exit alone would not keep the event loop running
      // (`await using` at the top level ended the program with an unsettled await).
      this.#holdUntilExit = true;
      for (const slot of this.#slots) slot.ref();
    }
    this.#maybeFinish();
    if (wait) await this.#allExited;
  }

  /**
   * Whether this thread, `slot`'s worker and every other worker running code each have a core:
   * spinning for a reply helps only then. With the other cores taken (a long task on one of two),
   * the spin takes the core from the very worker it waits for (a tiny task behind a long one
   * answered in ~150 µs instead of ~40).
   */
  #coreToSpare(slot: WorkerSlot): boolean {
    let running = 2;
    for (const other of this.#slots) if (other !== slot && other.busy() && ++running > CORES) return false;
    return true;
  }

  /** Cancels a task taken off the queue; counts it if it is cancelled now (not already settled). */
  #cancelQueued(task: TaskFuture<unknown>, force: boolean): void {
    if (!task.done() && task.cancel({ force })) this.#metrics.cancelled++;
    this.#cleanUp(task);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One flush per tick: a loop of submits becomes a few large messages.
    queueMicrotask(this.#flushNow);
  }

  readonly #flushNow = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  #flush(): void {
    const queue = this.#queue;
    // Each round may steal once per worker: what is stolen goes to idle workers, never back.
    for (let round = 0; round <= this.#slots.length; round++) {
      while (queue.size > 0 && this.#broken === undefined) {
        const head = queue.peek() as TaskFuture<unknown>;
        if (head.cancelled()) {
          this.#cleanUp(queue.shift() as TaskFuture<unknown>);
          this.#metrics.cancelled++;
          continue;
        }
        const slot = this.#pickSlot(head);
        if (slot === undefined || this.#dispatch(slot) === 0) break;
      }
      // Nothing left to send: an idle thread worker takes what a busy one holds and has not started.
      if (queue.size > 0 || this.#broken !== undefined || !this.#steal()) break;
    }
    this.#maybeFinish();
  }

  /** The expected time of `task` in ms, or `undefined` when its function was never measured. */
  #predict(task: TaskFuture<unknown>): number | undefined {
    return this.#timing.predict(timingKey(task.fnId, task.flags));
  }

  /** May be long (or never measured): sent only to a worker with nothing waiting, and nothing goes behind it. */
  #mayBeLong(task: TaskFuture<unknown>): boolean {
    const ms = this.#predict(task);
    return ms === undefined || ms >= LONG_MS;
  }

  /**
   * How many tasks like `task` a worker may hold unstarted: a few milliseconds' worth on a thread
   * (an idle thread takes back what a busy one holds), a millisecond's on a process (nothing
   * can take its tasks back while it runs a long call its measurements called quick).
   */
  #heldLimit(task: TaskFuture<unknown>): number {
    const ms = this.#predict(task);
    if (ms === undefined || ms >= LONG_MS) return 1;
    const [heldMs, most] = this.#transport.crossProcess ? [PROCESS_HELD_MS, PROCESS_MAX_HELD] : [HELD_MS, MAX_HELD];
    if (ms <= 0) return most;
    return Math.max(1, Math.min(most, Math.floor(heldMs / ms)));
  }

  #pickSlot(head: TaskFuture<unknown>): WorkerSlot | undefined {
    const exclusive = head.exclusive;
    const limit = exclusive ? 1 : this.#heldLimit(head);
    // A process worker is sent more once it holds half its limit or less: topping it up as each
    // report frees a few settles into a message per few tasks each way (~20k tasks/s).
    const most = this.#transport.crossProcess ? Math.max(0, Math.ceil(limit / 2) - 1) : limit - 1;
    const avoid = head.extra?.avoid;
    let best: WorkerSlot | undefined;
    let bestWaiting = 0;
    let bestBusy = false;
    let bestScore = Infinity;
    let avoided: WorkerSlot | undefined;
    /** Another worker that will take tasks again: a retry waits for it rather than run where it failed. */
    let other = false;
    for (const slot of this.#slots) {
      if (avoid !== undefined && slot.name !== avoid && !slot.retiring && slot.killedFor === undefined && !slot.blocked) other = true;
      if (slot.retiring || slot.exclusive !== undefined || slot.killedFor !== undefined || slot.occupied()) continue;
      if (exclusive && !slot.empty()) continue;
      const waiting = slot.waiting();
      if (avoid !== undefined && slot.name === avoid) {
        if (waiting <= most) avoided = slot;
        continue;
      }
      if (waiting > most) continue;
      const busy = slot.busy();
      // Fewest tasks waiting first; then an idle worker before a busy one, a ready one before one still starting.
      const score = waiting * 4 + (busy ? 2 : 0) + (slot.ready ? 0 : 1);
      if (score < bestScore) {
        best = slot;
        bestScore = score;
        bestWaiting = waiting;
        bestBusy = busy;
      }
    }
    // Like Python, prefer an idle worker, else start one, before piling onto a busy one.
    if ((best === undefined || bestWaiting > 0 || bestBusy) && this.#slots.length < this.#maxWorkers) return this.#spawn();
    // The worker a retry should avoid only when no other will take it: there are none, or they
    // are blocked in a wait (which could be for a task queued behind the retry).
    if (best === undefined && !other) return avoided;
    return best;
  }

  /** Starts a worker; `undefined` when it cannot start at all (the pool is then broken, saying why). */
  #spawn(): WorkerSlot | undefined {
    const index = this.#spawned++;
    const slot = new WorkerSlot(index, this.#nameOf(index));
    try {
      this.#startWorker(slot);
    } catch (error) {
      // A bad option (an execArgv flag Node refuses) throws here, inside a flush: nothing would
      // catch it and the program would die. Every task would fail the same way: break the pool.
      const noun = this.#transport.noun;
      this.#breakPool(this.#transport.broken(`${noun} workers cannot start: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
      return undefined;
    }
    this.#slots.push(slot);
    slot.control = slot.channel.control;
    slot.referenced = true;
    if (!this.#keepAlive) slot.unref();
    return slot;
  }

  #startWorker(slot: WorkerSlot): void {
    const index = slot.index;
    slot.channel = this.#transport.spawn({
      workerId: index,
      name: slot.name,
      initializer: this.#initializer,
      initargs: this.#initargs,
      initflags: this.#initflags,
    }, {
      message: (message) => this.#onMessage(slot, message),
      exit: (info) => this.#onExit(slot, info),
    });
  }

  /** Sends `slot` the tasks at the front of the queue that it should hold; returns how many. */
  #dispatch(slot: WorkerSlot): number {
    const queue = this.#queue;
    const exclusive = (queue.peek() as TaskFuture<unknown>).exclusive;
    const waiting = slot.waiting();
    const idle = waiting === 0 && !slot.busy();
    const room = exclusive ? 1 : Math.min(
      this.#heldLimit(queue.peek() as TaskFuture<unknown>) - waiting,
      MAX_BATCH,
      Math.ceil(queue.size / Math.max(1, this.#slots.length)),
    );
    const budget = Math.min(room, this.#maxTasks - slot.dispatched);
    const tasks: unknown[] = [];
    const sent: Array<TaskFuture<unknown>> = [];
    const firstSeq = slot.seq;
    let expectedMs = 0;
    let defs: FnDef[] | null = null;
    let moves: object[] | undefined;
    let traces: string[] | undefined;
    while (sent.length < budget && queue.size > 0) {
      const task = queue.peek() as TaskFuture<unknown>;
      if (task.exclusive !== exclusive) break;
      // A retry that should run elsewhere goes only as the head of a message (#pickSlot chose for it).
      if (sent.length > 0 && task.extra?.avoid === slot.name) break;
      const long = this.#mayBeLong(task);
      // A task that may be long goes to a worker holding nothing unstarted, with nothing behind it.
      if (long && !exclusive && (sent.length > 0 || waiting > 0)) break;
      queue.shift();
      if ((task.marks & REQUEUED) === 0 && !task.setRunningOrNotifyCancel()) {
        this.#cleanUp(task);
        this.#metrics.cancelled++;
        continue;
      }
      if (!slot.fns.has(task.fnId)) {
        slot.fns.add(task.fnId);
        (defs ??= []).push([task.fnId, this.#fnWires[task.fnId] as WireFn]);
      }
      task.id = this.#nextId;
      this.#nextId = this.#nextId >= 0x7fffffff ? 1 : this.#nextId + 1;
      slot.assign(task);
      this.#inflight.set(task.id, task);
      // A timed task's clock starts when the worker says the task started, not now: the worker
      // may still be booting or importing the task's module.
      // Every task's worker times it (TASK_SPAN): the pool's metrics and task events need when it ran.
      let flags = task.flags | TASK_SPAN;
      const extra = task.extra;
      if (extra !== undefined) {
        if (extra.timeout !== undefined) flags |= TASK_TIMED;
        if (extra.transfer !== undefined) (moves ??= []).push(...extra.transfer);
        if (extra.trace !== undefined) {
          flags |= TASK_TRACE;
          (traces ??= []).push(extra.trace.parent);
          extra.worker = slot.name;
        }
      }
      tasks.push(task.id, task.fnId, flags, task.args);
      sent.push(task);
      expectedMs += this.#predict(task) ?? Infinity;
      if (long) {
        slot.longTask = task;
        break;
      }
    }
    if (sent.length === 0) return 0;
    // A process worker sent tasks while quiet is not silent: it has had no time to answer yet.
    if (slot.control === null && waiting === 0) slot.heardAt = performance.now();
    slot.dispatched += sent.length;
    if (slot.dispatched >= this.#maxTasks) slot.retiring = true;
    if (exclusive) slot.exclusive = sent[0];
    if (this.#keepAlive) slot.ref();
    if (this.taskEvents.active) for (const task of sent) this.taskEvents.started(task, slot.name);
    const spare = slot.control !== null && this.#coreToSpare(slot);
    slot.allowSpin(spare);
    try {
      slot.channel.post(traces === undefined ? { op: 'run', seq: firstSeq, defs, tasks } : { op: 'run', seq: firstSeq, defs, tasks, traces },
        moves === undefined ? undefined : [...new Set(moves)]);
      if (spare && slot.channel.poll !== undefined) this.#replySpin.sent(idle ? expectedMs : Infinity);
    } catch (error) {
      this.#sendOneByOne(slot, sent, tasks, defs, error as Error, traces);
    }
    return sent.length;
  }

  /**
   * checkArgs passed, yet the batch would not clone (an exotic host object, such as a
   * SharedArrayBuffer sent to a child process). Nothing reached the worker: take the batch back
   * (its sequence numbers too, so the worker's stream stays whole) and send the tasks one by one,
   * so that only those whose arguments cannot travel fail.
   */
  #sendOneByOne(slot: WorkerSlot, sent: Array<TaskFuture<unknown>>, tasks: unknown[], defs: FnDef[] | null, error: Error,
    traces: string[] | undefined): void {
    for (const task of sent) slot.drop(task);
    slot.seq -= sent.length;
    slot.dispatched -= sent.length;
    let pendingDefs = defs;
    sent.forEach((task, i) => {
      let failure = error;
      if (sent.length > 1) {
        slot.assign(task);
        const trace = task.extra?.trace;
        try {
          const one = tasks.slice(i * TASK_STRIDE, (i + 1) * TASK_STRIDE);
          slot.channel.post(trace === undefined || traces === undefined
            ? { op: 'run', seq: task.seq, defs: pendingDefs, tasks: one }
            : { op: 'run', seq: task.seq, defs: pendingDefs, tasks: one, traces: [trace.parent] }, task.extra?.transfer);
          pendingDefs = null;
          slot.dispatched++;
          return;
        } catch (alone) {
          failure = alone as Error;
          slot.drop(task);
          slot.seq--;
        }
      }
      this.#inflight.delete(task.id);
      if (slot.exclusive === task) slot.exclusive = undefined;
      if (!task.done()) this.#metrics.failed++;
      task.setException(new SerializationError(`the arguments of ${this.#name(task)} cannot be sent to a worker: ${failure.message}`, 'args'));
      this.#cleanUp(task);
    });
    if (pendingDefs !== null) for (const [id] of pendingDefs) slot.fns.delete(id);
  }

  /**
   * A worker with nothing to do takes what another holds and has not started: from a thread
   * worker, half (the main side swaps each task's claim word, so the owner can no longer start
   * it; the tasks are back at the front of the queue at once); from a process worker silent for
   * a while (a long call its measurements called quick), everything, through its revoker thread
   * (the tasks come back with the answer). Returns whether anything was taken now.
   */
  #steal(): boolean {
    let stole = false;
    let later = false;
    let now: number | undefined;
    for (const thief of this.#slots) {
      if (!thief.ready || thief.retiring || thief.occupied() || thief.killedFor !== undefined
        || thief.exclusive !== undefined || thief.waiting() > 0 || thief.busy()) continue;
      let victim: WorkerSlot | undefined;
      let most = 0;
      for (const slot of this.#slots) {
        if (slot === thief || slot.exclusive !== undefined || slot.killedFor !== undefined) continue;
        const waiting = slot.waiting();
        if (slot.control === null) {
          if (waiting === 0 || slot.revoking || slot.channel.revoke === undefined) continue;
          if ((now ??= performance.now()) - slot.heardAt >= STALL_MS) this.#revoke(slot);
          else later = true;
          continue;
        }
        if (waiting <= most) continue;
        // Only from a worker that cannot start them now: running code, blocked, or still starting.
        // An idle worker claims what it was sent within microseconds; taking it back would only bounce it.
        if (slot.busy() || slot.blocked || !slot.ready || slot.stalled(now ??= performance.now(), STALL_MS)) {
          victim = slot;
          most = waiting;
        } else {
          later = true;
        }
      }
      if (victim === undefined) break;
      // A worker stuck in a long task or a wait, or not started yet, or not waking, gives up
      // everything it holds; a busy one, half.
      const stalled = victim.ready && !victim.busy() && !victim.blocked;
      // Until it reports again, a stalled worker gets nothing: it would hold that too.
      if (stalled) victim.stuck = true;
      const all = stalled || victim.occupied() || !victim.ready || most === 1;
      const taken = victim.reclaim(all ? most : Math.ceil(most / 2), thief.name);
      if (taken.length > 0) {
        this.#takeBack(victim, taken);
        stole = true;
      }
    }
    // A worker that holds tasks and has not woken to start them yet may, once awake, start a long
    // one and keep the rest, or never wake (its event loop held by an async task's callback that
    // blocks): with no other message coming (the idle worker has said all it had to), nothing
    // would look again. Look again in a millisecond: by then it has started one, or is stalled.
    if (!stole && later && this.#stealTimer === undefined) this.#stealTimer = setTimeout(this.#lookAgain, STEAL_RECHECK_MS).unref();
    return stole;
  }

  /**
   * Asks a silent process worker's revoker for every task it may not have started. Those it takes
   * go back to the front of the queue; the worker gets nothing more until it reports again.
   */
  #revoke(slot: WorkerSlot): void {
    const tasks = slot.revocable();
    if (tasks.length === 0) return;
    const bySeq = new Map(tasks.map((task) => [task.seq, task]));
    slot.revoking = true;
    slot.stuck = true;
    (slot.channel.revoke as NonNullable<WorkerSlot['channel']['revoke']>)([...bySeq.keys()], (taken) => {
      slot.revoking = false;
      const back: Array<TaskFuture<unknown>> = [];
      for (const seq of taken) {
        const task = bySeq.get(seq);
        // Settled, cancelled or given back meanwhile: no longer this worker's to give (or sent to
        // it again under another sequence number, which the revoker did not take).
        if (task === undefined || task.slot !== slot || task.seq !== seq) continue;
        slot.drop(task);
        back.push(task);
      }
      if (back.length > 0) this.#takeBack(slot, back.sort((a, b) => a.seq - b.seq));
      this.#flush();
    });
  }

  readonly #lookAgain = (): void => {
    this.#stealTimer = undefined;
    if (this.#broken === undefined) this.#flush();
  };

  /** `tasks` (in stream order, already off `slot`'s books) go back to the front of the queue. */
  #takeBack(slot: WorkerSlot, tasks: Array<TaskFuture<unknown>>): void {
    slot.dispatched -= tasks.length;
    if (slot.retiring && !slot.stopping && slot.dispatched < this.#maxTasks) slot.retiring = false;
    for (let i = tasks.length - 1; i >= 0; i--) {
      const task = tasks[i] as TaskFuture<unknown>;
      this.#inflight.delete(task.id);
      if (slot.exclusive === task) slot.exclusive = undefined;
      this.#requeue(task);
    }
    if (slot.empty() && !slot.stopping) {
      if (slot.retiring) this.#stop(slot);
      else slot.unref();
    }
  }

  #name(task: TaskFuture<unknown>): string {
    return this.#fnNames[task.fnId] ?? 'task';
  }

  #armTimeout(task: TaskFuture<unknown>): void {
    const extra = task.extra;
    const ms = extra?.timeout;
    if (extra === undefined || ms === undefined) return;
    extra.timer = startTimer(() => {
      const slot = task.slot;
      if (slot === undefined || task.done()) return;
      this.#detach(task);
      this.#kill(slot, task, 'timed out');
      this.#metrics.failed++;
      task.setException(new TimeoutError(`${this.#name(task)} did not finish within ${ms} ms; its worker was stopped and replaced`));
      this.#cleanUp(task);
    }, ms);
  }

  /**
   * Stops `slot`'s worker because of `task` (already off the books). A process worker that runs
   * other tasks too is first asked which of them have started (it answers unless it is stuck in
   * synchronous code); a thread's claim words already tell.
   */
  #kill(slot: WorkerSlot, task: TaskFuture<unknown>, because: 'cancelled' | 'timed out'): void {
    if (slot.killedFor !== undefined) return;
    slot.killedFor = task;
    slot.killedBecause = because;
    if (slot.control === null && !slot.empty()) {
      slot.channel.post({ op: 'halt' });
      const timer = setTimeout(() => slot.channel.terminate(), HALT_MS);
      timer.unref();
    } else {
      slot.channel.terminate();
    }
  }

  /** Takes a task off its worker's books (not off its future). */
  #detach(task: TaskFuture<unknown>): void {
    const slot = task.slot;
    if (slot === undefined) return;
    this.#inflight.delete(task.id);
    if (slot.exclusive === task) slot.exclusive = undefined;
    slot.drop(task);
  }

  /** Lets go of what a settled task holds: its arguments, its timer, its abort listener. */
  #cleanUp(task: TaskFuture<unknown>): void {
    task.args = undefined;
    const extra = task.extra;
    if (extra === undefined) return;
    extra.timer?.clear();
    extra.timer = undefined;
    if (extra.onAbort !== undefined) {
      extra.signal?.removeEventListener('abort', extra.onAbort);
      extra.onAbort = undefined;
    }
  }

  #onMessage(slot: WorkerSlot, raw: unknown): void {
    const message = asFromWorker(raw);
    if (message === undefined) {
      reportError(`ignored a malformed message from worker ${slot.name}`, raw);
      return;
    }
    slot.heardAt = performance.now();
    if (slot.stuck) {
      // It reports, so its event loop turns again: it may be sent tasks again (after this message's own flush).
      slot.stuck = false;
      this.#scheduleFlush();
    }
    switch (message.op) {
      case 'done':
        this.#onDone(slot, message);
        break;
      case 'ready':
        slot.ready = true;
        this.#startFailures = 0;
        this.#flush();
        break;
      case 'giveback': {
        slot.blocked = true;
        const taken = slot.control !== null ? slot.reclaim(Infinity) : slot.givenBack(message.from, message.to);
        if (taken.length > 0) this.#takeBack(slot, taken);
        this.#flush();
        break;
      }
      case 'fault':
        slot.fault = message;
        // It said it ends: if it does not (a signal it sent itself was not fatal after all), end it.
        setTimeout(() => slot.channel.terminate(), HALT_MS).unref();
        break;
      case 'started': {
        const task = this.#inflight.get(message.taskId);
        if (task !== undefined && task.slot === slot) this.#armTimeout(task);
        break;
      }
      case 'init-failed': {
        const cause = decodeThrown(message.error);
        reportError('Exception in initializer:', cause);
        this.#breakPool(this.#transport.broken(
          `A ${this.#transport.noun} initializer failed, the ${this.#transport.noun} pool is not usable anymore`, { cause }));
        break;
      }
    }
  }

  #onDone(slot: WorkerSlot, message: DoneMessage): void {
    this.#replySpin.replied();
    if (message.solo !== true) slot.blocked = false;
    if (message.pos !== undefined) slot.reported(message.pos, message.solo === true, message.whole === true);
    const timing = message.timing;
    if (timing !== undefined) for (let i = 0; i < timing.length; i += 2) this.#timing.record(timing[i] as number, timing[i + 1] as number);
    const spans = message.spans;
    if (spans !== undefined) {
      const events = this.taskEvents.active;
      for (let i = 0; i + 2 < spans.length; i += 3) {
        const task = this.#inflight.get(spans[i] as number);
        if (task === undefined || task.slot !== slot) continue;
        const start = spans[i + 1] as number;
        const end = spans[i + 2] as number;
        this.#metrics.ran(task.queuedAt, start, end);
        const extra = task.extra;
        if (extra !== undefined) {
          extra.startedAt = start;
          extra.endedAt = end;
        }
        if (events) this.taskEvents.ran(task, slot.name, start, end);
      }
    }
    const results = message.results;
    let count = 0;
    for (let i = 0; i < results.length; i += RESULT_STRIDE) {
      const task = this.#inflight.get(results[i] as number);
      if (task === undefined || task.slot !== slot) continue;
      count++;
      this.#detach(task);
      this.#settle(task, results[i + 1], results[i + 2]);
    }
    slot.completed += count;
    this.#completed += count;
    slot.busyMs += message.busy;
    if (slot.empty()) {
      if (slot.retiring) this.#stop(slot);
      // A worker being stopped stays referenced until it exits: a waiting shutdown needs its exit.
      else if (!slot.stopping) slot.unref();
    }
    this.#flush();
  }

  #settle(task: TaskFuture<unknown>, status: unknown, value: unknown): void {
    this.#cleanUp(task);
    if (task.done()) return;
    if (status === STATUS_OK || status === STATUS_OK_ENCODED) {
      if (status === STATUS_OK_ENCODED) value = decodeValue(value);
      if ((task.flags & TASK_KIND_MASK) === TASK_CALL) {
        this.#metrics.completed++;
        task.setResult(value);
        return;
      }
      let outcome: ChunkOutcome;
      try {
        outcome = decodeChunk(value);
      } catch (error) {
        this.#metrics.failed++;
        task.setException(error);
        return;
      }
      this.#metrics.completed++;
      task.setResult(outcome);
    } else {
      this.#metrics.failed++;
      task.setException(decodeThrown(isWireThrown(value) ? value : { value }));
    }
  }

  #stop(slot: WorkerSlot): void {
    if (slot.stopping) return;
    slot.stopping = true;
    slot.retiring = true;
    if (this.#holdUntilExit) slot.ref();
    slot.channel.stop();
  }

  #onExit(slot: WorkerSlot, info: WorkerExit): void {
    const at = this.#slots.indexOf(slot);
    if (at >= 0) this.#slots.splice(at, 1);
    this.#metrics.gone(slot);
    const { started, unstarted, unknown, culprit } = slot.orphans();
    for (const task of [...started, ...unstarted, ...unknown]) {
      this.#inflight.delete(task.id);
      if (slot.exclusive === task) slot.exclusive = undefined;
    }
    const noun = this.#transport.noun;
    const end = this.#describeEnd(slot, info);
    const lost = started.length + unknown.length;

    if (this.#broken !== undefined) {
      for (const task of [...started, ...unknown, ...unstarted]) this.#failTask(task, this.#broken);
    } else if (!slot.ready && slot.killedFor === undefined && !slot.stopping) {
      // It never started: nobody's task is to blame. Try again, a few times.
      const said = info.lastOutput === undefined ? '' : ` (it wrote: ${info.lastOutput})`;
      this.#requeueOrphans(slot, unstarted, end);
      for (const task of [...started, ...unknown]) this.#failTask(task, this.#transport.broken(`the ${noun} worker ${slot.name} ended before it was ready (${end.reason})${said}`, { cause: end.cause }));
      if (++this.#startFailures >= MAX_START_FAILURES) {
        this.#breakPool(this.#transport.broken(`${noun} workers keep failing to start: ${end.reason}${said}`, { cause: end.cause }));
      }
    } else if (lost + unstarted.length > 0 && this.#onWorkerExit === 'break') {
      const error = this.#transport.broken(
        `A ${noun} in the ${noun} pool was terminated abruptly while the future was running or pending (${end.reason}).`,
        { cause: end.cause });
      this.#brokenForSubmit = `A ${noun === 'process' ? 'child process' : noun} terminated abruptly, the ${noun} pool is not usable anymore`;
      this.#breakPool(error);
      // The orphans are off the books already: breakPool cannot see them.
      for (const task of [...started, ...unknown, ...unstarted]) this.#failTask(task, error);
    } else {
      for (const task of started) this.#failTask(task, this.#endedError(slot, task, culprit, end));
      for (const task of unknown) {
        this.#failTask(task, this.#transport.broken(
          `${this.#name(task)} may have started on ${noun} worker ${slot.name} before it ended abruptly (${end.reason}); ` +
          'it was not run again, so that no task ever runs twice', { cause: end.cause }));
      }
      this.#requeueOrphans(slot, unstarted, end);
      if (slot.fault?.cause === 'error') {
        // An error escaped every task: the program must hear of it, with its stack, even when no task was running.
        const where = lost === 0 ? 'while idle' : `while ${lost} task${lost === 1 ? '' : 's'} ran (they failed with it as their cause)`;
        reportError(`${noun} worker ${slot.name} ended ${where}: ${end.reason}; it will be replaced when needed`, end.cause);
      } else if (lost === 0 && !slot.stopping && slot.killedFor === undefined && !slot.retiring) {
        reportError(`${noun} worker ${slot.name} ended while idle (${end.reason}); it will be replaced when needed`, end.cause);
      }
    }
    this.#flush();
  }

  /** How a worker ended, in words, and the error behind it: its own last word when it had one. */
  #describeEnd(slot: WorkerSlot, info: WorkerExit): { reason: string; cause: unknown } {
    const fault = slot.fault;
    if (fault === undefined) return { reason: describeExit(info, this.#transport.noun), cause: info.error };
    switch (fault.cause) {
      case 'exit': return { reason: fault.signal === null ? `exit code ${fault.code}` : `killed by ${fault.signal}`, cause: info.error };
      case 'halt': return { reason: 'stopped by the pool', cause: undefined };
      case 'error': {
        const cause = fault.error === null ? undefined : decodeThrown(fault.error);
        const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : safeText(cause);
        return { reason: `uncaught ${text}`, cause };
      }
    }
  }

  /** The error of a task that had started on a worker that ended. */
  #endedError(slot: WorkerSlot, task: TaskFuture<unknown>, culprit: TaskFuture<unknown> | undefined, end: { reason: string; cause: unknown }): BrokenExecutor {
    const noun = this.#transport.noun;
    const killed = slot.killedFor;
    if (killed !== undefined) {
      const why = slot.killedBecause === 'cancelled' ? 'was cancelled with force: true' : 'timed out';
      return this.#transport.broken(
        `${this.#name(task)} was stopped: ${this.#name(killed)}, running on the same ${noun} worker ${slot.name}, ${why}, ` +
        'which stops its worker; the worker was replaced');
    }
    if (task === culprit || (culprit === undefined && slot.fault?.culprit === task.id)) {
      return this.#transport.broken(`the ${noun} running ${this.#name(task)} ended abruptly (${end.reason}); the worker was replaced`, { cause: end.cause });
    }
    const during = culprit === undefined ? '' : ` during ${this.#name(culprit)}`;
    return this.#transport.broken(
      `${this.#name(task)} was running on ${noun} worker ${slot.name} when it ended abruptly (${end.reason}${during}); the worker was replaced`,
      { cause: end.cause });
  }

  /**
   * A dead worker's tasks that never started go back to the front of the queue, except those whose
   * message moved values to that worker (`transfer()`): what they need went with it, so they fail.
   */
  #requeueOrphans(slot: WorkerSlot, unstarted: Array<TaskFuture<unknown>>, end: { reason: string; cause: unknown }): void {
    for (let i = unstarted.length - 1; i >= 0; i--) {
      const task = unstarted[i] as TaskFuture<unknown>;
      if ((task.marks & MOVED) === 0) {
        this.#requeue(task);
        continue;
      }
      const noun = this.#transport.noun;
      this.#failTask(task, this.#transport.broken(
        `${this.#name(task)} had not started on ${noun} worker ${slot.name} when it ended (${end.reason}), and it cannot run ` +
        `on another worker: its arguments were moved to that worker with transfer(), and went with it. Submit it again with ` +
        'a new copy of its data', { cause: end.cause }));
    }
  }

  /** Puts a task that never started back at the front of the queue. */
  #requeue(task: TaskFuture<unknown>): void {
    if (task.done()) return;
    task.marks |= REQUEUED;
    this.#queue.unshift(task);
    if (this.taskEvents.active) this.taskEvents.requeued(task);
  }

  #failTask(task: TaskFuture<unknown>, error: unknown): void {
    this.#cleanUp(task);
    if (task.done()) return;
    this.#metrics.failed++;
    task.setException(error);
  }

  #breakPool(error: BrokenExecutor): void {
    if (this.#broken !== undefined) return;
    this.#broken = error;
    for (const task of this.#queue.drain()) this.#failTask(task, error);
    for (const task of [...this.#inflight.values()]) {
      this.#detach(task);
      this.#failTask(task, error);
    }
    for (const slot of this.#slots) {
      slot.stopping = true;
      slot.channel.terminate();
    }
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (!this.#admissions.shutDown && this.#broken === undefined) return;
    if (this.#queue.size > 0 || this.#inflight.size > 0 || this.#admissions.openMaps > 0) return;
    for (const slot of this.#slots) this.#stop(slot);
    if (this.#slots.length === 0) this.#resolveAllExited?.();
  }
}

function safeText(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function describeExit(info: WorkerExit, noun: string): string {
  const parts: string[] = [];
  if (info.signal !== null) parts.push(`killed by ${info.signal}`);
  else if (info.code !== null) parts.push(`exit code ${info.code}`);
  const code = (info.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
    parts.push(`the ${noun} ran out of memory (JavaScript heap out of memory: it reached its heap limit, ` +
      `${noun === 'thread' ? 'resourceLimits' : '--max-old-space-size'})`);
  }
  else if (info.error !== undefined) parts.push(`${info.error.name}: ${info.error.message}`);
  return parts.join(', ') || 'no exit status';
}

function decodeChunk(value: unknown): ChunkOutcome {
  const wire = value as { values?: unknown; failed?: unknown; ms?: unknown; bools?: unknown } | null;
  if (wire === null || typeof wire !== 'object'
    || !(Array.isArray(wire.values) || wire.values instanceof Float64Array || wire.values instanceof Uint8Array)) {
    throw new TypeError('malformed chunk result from a worker');
  }
  const values = wire.values as ArrayLike<unknown>;
  const bools = wire.bools === true;
  let errors: Map<number, unknown> | null = null;
  if (Array.isArray(wire.failed)) {
    for (const at of wire.failed as unknown[]) {
      if (typeof at !== 'number') continue;
      const thrown = values[at];
      (errors ??= new Map()).set(at, decodeThrown(isWireThrown(thrown) ? thrown : { value: thrown }));
    }
  }
  return { values, bools, errors, ms: typeof wire.ms === 'number' ? wire.ms : 0 };
}

