/**
 * `DistributedExecutor`: the `Executor` interface on a BullMQ queue, so that `submit` and `map`
 * run on workers anywhere that can reach the same Redis.
 *
 * ```
 *  submit/map ─▶ local queue ──addBulk (≤ maxInFlight in Redis)──▶ BullMQ queue ──▶ workers
 *                                                                       │
 *  future settles ◀── QueueEvents (completed / failed / active) ◀───────┤ events stream
 *                 ◀── reconciliation: HMGET of quiet jobs ◀─────────────┘ job hashes
 * ```
 *
 * BullMQ's event stream is best effort (a reader that falls behind loses events, and a Redis
 * restart without persistence loses jobs), so every future also settles from the job itself:
 * jobs with no news for `reconcileInterval` ms, and all of them after a reconnect, are read back
 * from Redis. Keeping at most `maxInFlight` jobs in Redis per executor bounds how far the event
 * reader can fall behind its own jobs.
 *
 * This file is longer than most because adding, tracking, reconciling and cancelling share the
 * one map of jobs in flight; the wire format, the codec and result decoding live next to it.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { Queue, QueueEvents, type JobsOptions, type KeepJobs } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { BrokenExecutor, RuntimeError, ValueError } from '../errors.js';
import { checkTimeout, describe } from '../core/deadline.js';
import { Executor, type ShutdownOptions, type TaskScheduler } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { reportError } from '../core/logger.js';
import type { TaskKind, TaskOptions } from '../core/map-iterator.js';
import { RingQueue } from '../core/ring-queue.js';
import { isTaskRef } from '../task-ref/task-module.js';
import { encodeList } from './codec.js';
import {
  createClient, describeEndpoint, forBullmq, isConnectionError, redisOptions, unreachable, type RedisConnection,
} from './connection.js';
import { JobFuture, type JobOverrides } from './job-future.js';
import { settleCompleted, settleFailed } from './results.js';
import { cancelChannel, cancelKey, CANCEL_TTL, isExportName, isModuleName, kindCode, moduleNameOf, WIRE_VERSION, type JobData } from './wire.js';

/** How long finished jobs stay in Redis: `true` (removed at once), `false` (kept), a count, or both limits. */
export type Retention = boolean | number | {
  /** Milliseconds a finished job is kept. */
  age?: number;
  /** How many finished jobs are kept (per queue). */
  count?: number;
};

/** Waiting between retries: a fixed delay in ms, or BullMQ's backoff settings. */
export type Backoff = number | {
  type: 'fixed' | 'exponential';
  /** Milliseconds (the first delay, for exponential). */
  delay: number;
  /** 0–1: how much of each delay is random. */
  jitter?: number;
};

/** Options of {@link DistributedExecutor}. */
export interface DistributedExecutorOptions {
  /** Redis: `redis://[user:password@]host:port[/db]`, `rediss://…` for TLS, or ioredis options. */
  connection: RedisConnection;
  /** The BullMQ queue that workers listen on (default `'concurrent-ts'`). */
  queue?: string;
  /** BullMQ key prefix (default `'bull'`, BullMQ's own, so its tools find the queue). */
  prefix?: string;
  /** TLS settings added to a `rediss://` connection (a private CA, a client certificate). */
  tls?: TlsOptions;
  /**
   * Logical names of task modules, when the file name is not the name the workers know:
   * `{ tasks: new URL('./lib/my-tasks.js', import.meta.url) }`. By default a module's logical name
   * is its file name without extension.
   */
  modules?: Readonly<Record<string, string | URL>>;
  /** Attempts per task, including the first (default 1: no retry). */
  attempts?: number;
  /** Delay between attempts (default: none). */
  backoff?: Backoff;
  /** Default per-task timeout in ms, counted from the start of each attempt on a worker. */
  taskTimeout?: number;
  /** Default priority: 1 (most urgent) to 2,097,152; tasks without one go first, as in BullMQ. */
  priority?: number;
  /** Retention of completed jobs (default `{ age: 3_600_000, count: 2000 }`). */
  removeOnComplete?: Retention;
  /** Retention of failed jobs (default `{ age: 86_400_000, count: 2000 }`). */
  removeOnFail?: Retention;
  /** Jobs of this executor in Redis at once (default 1000); more tasks wait here, still cancellable. */
  maxInFlight?: number;
  /** How many tasks the workers run at once, all together (default 16); sizes `map`'s look-ahead. */
  parallelism?: number;
  /** Milliseconds to wait for Redis before tasks fail with `OSError` (default 10,000). */
  connectTimeout?: number;
  /** Milliseconds without news after which a job is read back from Redis (default 5000). */
  reconcileInterval?: number;
  /**
   * A job that vanished from Redis (a restart without persistence): add it again (`'resubmit'`,
   * the default, up to 3 times) or fail its future with `BrokenExecutor` (`'fail'`).
   */
  onLost?: 'resubmit' | 'fail';
  /**
   * Without `chunksize`, `map` grows its chunks until each is worth about this many ms of work
   * on a worker (default 100): a job costs a Redis round trip, far more than a thread message.
   */
  chunkTargetMs?: number;
}

/** Per-task options of {@link DistributedExecutor.withJobOptions}. */
export interface DistributedTaskOptions extends TaskOptions {
  /** 1 (most urgent) to 2,097,152. */
  priority?: number | undefined;
  /** Attempts, including the first. */
  attempts?: number | undefined;
  /** Delay between attempts. */
  backoff?: Backoff | undefined;
}

const MAX_BULK = 1000;
const MAX_LOSSES = 3;
const MAX_PRIORITY = 2_097_152;
/** The core's adaptive chunking aims at this many ms per chunk (src/core/map-iterator.ts). */
const CORE_CHUNK_TARGET_MS = 4;

let executors = 0;

/**
 * An executor whose tasks run on `concurrent-ts worker` processes, on this machine or others,
 * through a BullMQ queue in Redis.
 *
 * Tasks must be functions exported from a module that the workers allow (`--allow`); the job names
 * the module and the export, never code. Arguments and results travel as JSON extended with
 * `bigint`, `Date`, `Map`, `Set`, typed arrays and `undefined`; a task's exception comes back with
 * its class name, message and the worker-side stack.
 *
 * Delivery is at least once: a task whose worker dies runs again on another worker, so tasks
 * should be idempotent (see docs/distributed.md). The executor holds Redis connections until
 * {@link DistributedExecutor.shutdown}; use `await using` or call it.
 *
 * @example
 * ```ts
 * const tasks = taskModule<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 * await using executor = new DistributedExecutor({ connection: 'redis://127.0.0.1:6379', queue: 'primes' });
 * console.log(await executor.submit(tasks.isPrime, 112272535095293)); // true
 * for await (const prime of executor.map(tasks.isPrime, numbers, { chunksize: 1000 })) console.log(prime);
 * ```
 */
export class DistributedExecutor extends Executor {
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #endpoint: string;
  readonly #redisOptions: RedisOptions;
  readonly #client: Redis;
  readonly #queue: Queue;
  #events: QueueEvents | undefined;
  readonly #init: Promise<void>;
  #initDone = false;
  #initError: unknown;
  #lastError: unknown;
  #everReady = false;

  readonly #moduleNames = new Map<string, string>();
  readonly #clientId = randomUUID().replaceAll('-', '').slice(0, 12);
  #seq = 0;
  readonly #taskTimeout: number | undefined;
  readonly #defaults: JobOverrides;
  readonly #maxInFlight: number;
  readonly #parallelism: number;
  readonly #connectTimeout: number;
  readonly #reconcileInterval: number;
  readonly #onLost: 'resubmit' | 'fail';
  readonly #msScale: number;

  readonly #local = new RingQueue<JobFuture>(256);
  /** Jobs being added or in Redis, by id. */
  readonly #jobs = new Map<string, JobFuture>();
  readonly #background = new Set<Promise<unknown>>();
  #outstanding = 0;
  #flushScheduled = false;
  #connectionTimer: NodeJS.Timeout | undefined;
  #reconcileTimer: NodeJS.Timeout | undefined;
  #reconciling = false;
  #shutdown = false;
  #closed: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  /**
   * Connects (in the background) to Redis and the queue. Tasks submitted before the connection is
   * up wait for it, for at most `connectTimeout` ms.
   *
   * @throws {ValueError} for a bad URL or option value.
   * @throws {TypeError} for an option of the wrong type.
   */
  constructor(options: DistributedExecutorOptions) {
    super();
    if (typeof options !== 'object' || options === null) throw new TypeError('DistributedExecutor needs options: { connection, queue }');
    this.#queueName = options.queue ?? 'concurrent-ts';
    if (typeof this.#queueName !== 'string' || this.#queueName === '' || this.#queueName.includes(':')) {
      throw new ValueError(`Expected \`queue\` to be a non-empty name without ":", got ${describe(options.queue)}`);
    }
    this.#prefix = options.prefix ?? 'bull';
    if (typeof this.#prefix !== 'string' || this.#prefix === '') throw new ValueError(`Expected \`prefix\` to be a non-empty string, got ${describe(options.prefix)}`);
    this.#connectTimeout = checkPositive('connectTimeout', options.connectTimeout, 10_000);
    this.#reconcileInterval = checkPositive('reconcileInterval', options.reconcileInterval, 5000);
    this.#maxInFlight = checkInteger('maxInFlight', options.maxInFlight, 1000, 1);
    this.#parallelism = checkInteger('parallelism', options.parallelism, 16, 1);
    this.#msScale = checkPositive('chunkTargetMs', options.chunkTargetMs, 100) / CORE_CHUNK_TARGET_MS;
    this.#taskTimeout = checkTimeout(options.taskTimeout, 'taskTimeout');
    const onLost = options.onLost ?? 'resubmit';
    if (onLost !== 'resubmit' && onLost !== 'fail') throw new ValueError(`Expected \`onLost\` to be 'resubmit' or 'fail', got ${describe(onLost)}`);
    this.#onLost = onLost;
    this.#defaults = checkOverrides(options, true);
    for (const [name, url] of Object.entries(options.modules ?? {})) {
      if (!isModuleName(name)) throw new ValueError(`modules: ${JSON.stringify(name)} is not a valid logical module name (letters, digits, _ . -)`);
      this.#moduleNames.set(url instanceof URL ? url.href : new URL(url, 'file:///').href, name);
    }

    this.#redisOptions = redisOptions(options.connection, this.#connectTimeout, options.tls);
    this.#endpoint = describeEndpoint(this.#redisOptions);
    const id = executors++;
    this.#client = createClient(this.#redisOptions, `concurrent-ts:executor:${process.pid}:${id}`);
    this.#client.on('error', (error: unknown) => {
      this.#lastError = error;
    });
    this.#client.on('ready', this.#onReady);
    this.#queue = new Queue(this.#queueName, {
      connection: this.#client,
      prefix: this.#prefix,
      defaultJobOptions: {
        ...toJobOptions(this.#defaults),
        removeOnComplete: toKeepJobs(options.removeOnComplete ?? { age: 3_600_000, count: 2000 }, 'removeOnComplete'),
        removeOnFail: toKeepJobs(options.removeOnFail ?? { age: 86_400_000, count: 2000 }, 'removeOnFail'),
      },
    });
    this.#queue.on('error', (error: unknown) => {
      this.#lastError = error;
    });
    this.#init = this.#start();
    this.#init.catch(() => {});
  }

  /** The queue's name. */
  get queue(): string {
    return this.#queueName;
  }

  /**
   * Resolves once Redis is reachable and the executor listens to the queue's events.
   *
   * @throws {OSError} if that does not happen within `connectTimeout` ms; the message names the
   * server (without credentials) and the last connection error.
   */
  async ready(): Promise<void> {
    const deadline = performance.now() + this.#connectTimeout;
    while (!this.#connected()) {
      if (this.#initError !== undefined) throw this.#initError;
      const left = deadline - performance.now();
      if (left <= 0) throw unreachable(this.#endpoint, this.#lastError ?? new Error(`no answer within ${this.#connectTimeout} ms`));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 50));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
      });
    }
  }

  /**
   * The same `submit`/`map`/`starmap` with BullMQ job options for these tasks: a priority, other
   * attempts and backoff, a timeout, an AbortSignal.
   *
   * @example
   * ```ts
   * const urgent = executor.withJobOptions({ priority: 1, attempts: 3, backoff: 1000 });
   * await urgent.submit(tasks.resize, image);
   * ```
   */
  withJobOptions(options: DistributedTaskOptions): TaskScheduler {
    checkOverrides(options, false);
    return this.withOptions(options);
  }

  /**
   * Stops taking tasks; see {@link Executor.shutdown}. With `cancelFutures`, tasks not started yet
   * are removed from the queue. With `wait` (the default), resolves when every future has settled
   * and the connections are closed. Jobs already started keep running on their workers.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (cancelFutures) {
      for (const future of this.#local.drain()) future.cancel();
      for (const future of [...this.#jobs.values()]) {
        if (future.state === 'PENDING') future.cancel();
      }
    }
    this.#closed ??= this.#closeWhenIdle();
    if (wait) await this.#closed;
  }

  /** @internal */
  _parallelism(): number {
    return this.#parallelism;
  }

  /** @internal */
  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined): Future<unknown> {
    if (this.#shutdown) throw new RuntimeError('cannot schedule new futures after shutdown');
    const [module, name] = this.#names(fn);
    const task = options as DistributedTaskOptions | undefined;
    const timeout = task?.timeout === undefined ? this.#taskTimeout : checkTimeout(task.timeout);
    const a = encodeList(args, kind === 'call' ? 'args' : 'items');
    const k = kindCode(kind);
    const data: JobData = timeout === undefined ? { v: WIRE_VERSION, m: module, f: name, k, a } : { v: WIRE_VERSION, m: module, f: name, k, a, t: timeout };
    const overrides = task === undefined ? undefined : checkOverrides(task, false);
    const future = new JobFuture(this, `${this.#clientId}-${(this.#seq++).toString(36)}`, `${module}#${name}`, data,
      overrides !== undefined && Object.keys(overrides).length > 0 ? overrides : undefined, task?.signal);
    this.#outstanding++;
    future._listen(this.#onSettled);
    const signal = task?.signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        future.cancel();
        return future;
      }
      future.onAbort = () => {
        if (!future.cancel()) future.cancel({ force: true });
      };
      signal.addEventListener('abort', future.onAbort, { once: true });
    }
    this.#local.push(future);
    this.#scheduleFlush();
    return future;
  }

  /** @internal A PENDING future is being cancelled: forget its job, and remove it from Redis. */
  cancelled(future: JobFuture): void {
    switch (future.stage) {
      case 'LOCAL':
        // Still in the local queue: the flush skips futures that are done.
        break;
      case 'ADDING':
        this.#jobs.delete(future.id);
        future.removeAfterAdd = true;
        break;
      case 'QUEUED':
        this.#jobs.delete(future.id);
        this.#remove(future);
        break;
      case 'DONE':
        break;
    }
    future.stage = 'DONE';
  }

  /** @internal A RUNNING future is force-cancelled: tell the worker running it to stop. */
  forceCancel(future: JobFuture): boolean {
    if (future.stage === 'DONE') return false;
    this.#jobs.delete(future.id);
    future.stage = 'DONE';
    this.#publishCancel(future.id);
    return true;
  }

  /** The logical module name and the export name of `fn`, or the error saying what to do. */
  #names(fn: unknown): [string, string] {
    if (!isTaskRef(fn)) {
      if (typeof fn === 'function') {
        const name = fn.name || 'myTask';
        throw new TypeError(
          `DistributedExecutor cannot send the function "${name}" to other machines: workers run only functions exported ` +
          `from a module they allow. Export ${name} from a module (say tasks.ts), submit ` +
          `taskModule(new URL('./tasks.js', import.meta.url)).${name}, and start the workers with --allow pointing at that module.`);
      }
      throw new TypeError(`submit() needs a task reference from taskModule(), got ${describe(fn)}`);
    }
    let module = this.#moduleNames.get(fn.module);
    if (module === undefined) {
      module = moduleNameOf(fn.module);
      if (module === undefined) {
        throw new TypeError(`cannot derive a logical module name from ${fn.module}; name it with the \`modules\` option of DistributedExecutor`);
      }
      this.#moduleNames.set(fn.module, module);
    }
    if (!isExportName(fn.name)) {
      throw new TypeError(`"${fn.name}" cannot be called on a worker: a task must be an export named by an identifier, other than __proto__, constructor, prototype or then`);
    }
    return [module, fn.name];
  }

  async #start(): Promise<void> {
    try {
      await this.#queue.waitUntilReady();
      const last = await this.#client.xrevrange(this.#queue.keys.events as string, '+', '-', 'COUNT', 1);
      // Read the events stream from where it is now: nothing of ours can be older.
      const lastEventId = last[0]?.[0] ?? '0-0';
      const events = new QueueEvents(this.#queueName, { connection: forBullmq(this.#redisOptions), prefix: this.#prefix, autorun: false, lastEventId });
      this.#events = events;
      events.on('error', (error: unknown) => {
        this.#lastError = error;
      });
      events.on('active', ({ jobId }) => {
        const future = this.#jobs.get(jobId);
        if (future === undefined) return;
        future.lastSeen = performance.now();
        if (future.state === 'PENDING') future.setRunningOrNotifyCancel();
      });
      events.on('completed', ({ jobId, returnvalue }) => {
        const future = this.#jobs.get(jobId);
        if (future !== undefined) settleCompleted(future, returnvalue, this.#msScale);
      });
      events.on('failed', ({ jobId, failedReason }) => {
        const future = this.#jobs.get(jobId);
        if (future !== undefined) settleFailed(future, failedReason);
      });
      events.on('removed', ({ jobId }) => {
        const future = this.#jobs.get(jobId);
        if (future === undefined) return;
        this.#jobs.delete(jobId);
        future.stage = 'DONE';
        if (!future.cancel()) future.setException(new RuntimeError(`the job ${jobId} (${future.name}) was removed from the queue while it ran`));
      });
      const alive = ({ jobId }: { jobId: string }): void => {
        const future = this.#jobs.get(jobId);
        if (future !== undefined) future.lastSeen = performance.now();
      };
      events.on('waiting', alive);
      events.on('delayed', alive);
      events.on('stalled', alive);
      events.run().catch((error: unknown) => {
        if (!this.#shutdown) reportError(`DistributedExecutor: the event reader of queue ${this.#queueName} stopped`, error);
      });
      await events.waitUntilReady();
      this.#initDone = true;
      this.#scheduleFlush();
    } catch (error) {
      this.#initError = error;
      this.#failLocal(error);
    }
  }

  #connected(): boolean {
    return this.#initDone && this.#client.status === 'ready';
  }

  readonly #onReady = (): void => {
    // After a reconnect, events may have been missed, and without persistence the jobs are gone:
    // check every job in flight now rather than after reconcileInterval.
    if (this.#everReady) {
      for (const future of this.#jobs.values()) future.lastSeen = -Infinity;
      this.#reconcileSoon();
    }
    this.#everReady = true;
    this.#scheduleFlush();
  };

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One flush per tick: a loop of submits becomes one addBulk.
    queueMicrotask(this.#flush);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#local.size === 0) return;
    if (!this.#connected()) {
      this.#waitForConnection();
      return;
    }
    while (this.#local.size > 0 && this.#jobs.size < this.#maxInFlight) {
      const batch: JobFuture[] = [];
      while (batch.length < MAX_BULK && this.#local.size > 0 && this.#jobs.size < this.#maxInFlight) {
        const future = this.#local.shift() as JobFuture;
        if (future.done()) continue;
        future.stage = 'ADDING';
        this.#jobs.set(future.id, future);
        batch.push(future);
      }
      if (batch.length > 0) this.#track(this.#add(batch));
    }
  };

  async #add(batch: JobFuture[]): Promise<void> {
    const entries = batch.map((f) => ({
      name: f.name,
      data: f.data,
      opts: f.overrides === undefined ? { jobId: f.id } : { ...toJobOptions(f.overrides), jobId: f.id },
    }));
    try {
      await this.#queue.addBulk(entries);
    } catch (error) {
      const retry = isConnectionError(error, this.#client);
      const now = performance.now();
      for (let i = batch.length - 1; i >= 0; i--) {
        const future = batch[i] as JobFuture;
        if (future.removeAfterAdd) {
          // It may or may not have been added; make sure it is not there.
          this.#remove(future);
          continue;
        }
        if (this.#jobs.get(future.id) !== future) continue;
        this.#jobs.delete(future.id);
        if (retry) {
          future.stage = 'LOCAL';
          future.waitingSince = now;
          this.#local.unshift(future);
        } else {
          future.stage = 'DONE';
          future.setException(error);
        }
      }
      if (retry) this.#lastError = error;
      this.#scheduleFlush();
      return;
    }
    const now = performance.now();
    for (const future of batch) {
      if (future.removeAfterAdd) {
        this.#remove(future);
      } else if (future.stage === 'ADDING') {
        future.stage = 'QUEUED';
        future.lastSeen = now;
      }
    }
    this.#startReconciling();
  }

  /** Arms a timer that fails local tasks that have waited `connectTimeout` for Redis. */
  #waitForConnection(): void {
    if (this.#connectionTimer !== undefined) return;
    let oldest = Infinity;
    while (this.#local.size > 0 && (this.#local.peek() as JobFuture).done()) this.#local.shift();
    const head = this.#local.peek();
    if (head !== undefined) oldest = head.waitingSince;
    if (oldest === Infinity) return;
    this.#connectionTimer = setTimeout(() => {
      this.#connectionTimer = undefined;
      if (this.#connected()) {
        this.#scheduleFlush();
        return;
      }
      const now = performance.now();
      const error = this.#initError ?? unreachable(this.#endpoint, this.#lastError ?? new Error(`no answer within ${this.#connectTimeout} ms`));
      while (this.#local.size > 0) {
        const future = this.#local.peek() as JobFuture;
        if (!future.done() && now - future.waitingSince < this.#connectTimeout) break;
        this.#local.shift();
        if (!future.done()) {
          future.stage = 'DONE';
          future.setException(error);
        }
      }
      this.#waitForConnection();
    }, Math.max(0, oldest + this.#connectTimeout - performance.now()));
  }

  #failLocal(error: unknown): void {
    for (const future of this.#local.drain()) {
      if (future.done()) continue;
      future.stage = 'DONE';
      future.setException(error);
    }
  }

  /** Bookkeeping for every future that settles, however it settles. */
  readonly #onSettled = (settled: Future<unknown>): void => {
    const future = settled as JobFuture;
    this.#outstanding--;
    if (this.#jobs.get(future.id) === future) this.#jobs.delete(future.id);
    future.stage = 'DONE';
    if (future.onAbort !== undefined) {
      future.signal?.removeEventListener('abort', future.onAbort);
      future.onAbort = undefined;
    }
    if (this.#local.size > 0) this.#scheduleFlush();
    if (this.#outstanding === 0) this.#idle?.();
  };

  #remove(future: JobFuture): void {
    this.#track(this.#queue.remove(future.id).then(undefined, (error: unknown) => {
      // It started in the meantime (BullMQ will not remove a locked job): stop it where it runs.
      if (error instanceof Error && /locked/i.test(error.message)) this.#publishCancel(future.id);
      else if (!this.#shutdown) reportError(`DistributedExecutor: could not remove the cancelled job ${future.id}`, error);
    }));
  }

  #publishCancel(jobId: string): void {
    const multi = this.#client.multi()
      .set(cancelKey(this.#prefix, this.#queueName, jobId), '1', 'PX', CANCEL_TTL)
      .publish(cancelChannel(this.#prefix, this.#queueName), jobId);
    this.#track(multi.exec().catch((error: unknown) => {
      reportError(`DistributedExecutor: could not ask the workers to cancel job ${jobId}`, error);
    }));
  }

  #track(promise: Promise<unknown>): void {
    this.#background.add(promise);
    void promise.finally(() => this.#background.delete(promise));
  }

  #startReconciling(): void {
    if (this.#reconcileTimer !== undefined) return;
    this.#reconcileTimer = setInterval(this.#reconcileTick, Math.max(10, this.#reconcileInterval / 2));
    this.#reconcileTimer.unref();
  }

  #reconcileSoon(): void {
    setImmediate(this.#reconcileTick);
  }

  readonly #reconcileTick = (): void => {
    if (this.#jobs.size === 0 && this.#reconcileTimer !== undefined) {
      clearInterval(this.#reconcileTimer);
      this.#reconcileTimer = undefined;
      return;
    }
    if (this.#reconciling || !this.#connected()) return;
    const now = performance.now();
    const quiet: JobFuture[] = [];
    for (const future of this.#jobs.values()) {
      if (future.stage === 'QUEUED' && now - future.lastSeen >= this.#reconcileInterval) quiet.push(future);
    }
    if (quiet.length > 0) this.#track(this.#reconcile(quiet));
  };

  /** Reads quiet jobs back from Redis and settles those that finished; re-adds those that vanished. */
  async #reconcile(quiet: JobFuture[]): Promise<void> {
    this.#reconciling = true;
    try {
      const pipeline = this.#client.pipeline();
      for (const future of quiet) pipeline.hmget(this.#queue.toKey(future.id), 'timestamp', 'finishedOn', 'returnvalue', 'failedReason');
      const replies = (await pipeline.exec()) ?? [];
      const now = performance.now();
      for (let i = 0; i < quiet.length; i++) {
        const future = quiet[i] as JobFuture;
        const [error, fields] = replies[i] ?? [null, null];
        if (error !== null || !Array.isArray(fields) || this.#jobs.get(future.id) !== future) continue;
        future.lastSeen = now;
        const [timestamp, finishedOn, returnvalue, failedReason] = fields as [string | null, string | null, string | null, string | null];
        if (timestamp === null) {
          this.#lost(future);
        } else if (finishedOn !== null && returnvalue !== null) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(returnvalue);
          } catch (parseError) {
            future.setException(parseError);
            continue;
          }
          settleCompleted(future, parsed, this.#msScale);
        } else if (finishedOn !== null && failedReason !== null) {
          settleFailed(future, failedReason);
        }
      }
    } catch {
      // Redis is away; the reconnect triggers a full reconciliation.
    } finally {
      this.#reconciling = false;
    }
  }

  /** The job is gone from Redis without a result (a restart without persistence, an external removal). */
  #lost(future: JobFuture): void {
    this.#jobs.delete(future.id);
    if (this.#onLost === 'resubmit' && future.losses < MAX_LOSSES && !this.#shutdown) {
      future.losses++;
      future.stage = 'LOCAL';
      future.waitingSince = performance.now();
      this.#local.unshift(future);
      this.#scheduleFlush();
      return;
    }
    future.stage = 'DONE';
    future.setException(new BrokenExecutor(
      `the job ${future.id} (${future.name}) vanished from Redis before it finished` +
      (future.losses > 0 ? ` (${future.losses + 1} times)` : '') +
      ': Redis restarted without persistence, or someone removed it. Turn on appendonly in Redis to keep jobs across restarts.'));
  }

  async #closeWhenIdle(): Promise<void> {
    if (this.#outstanding > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
    }
    if (this.#connectionTimer !== undefined) clearTimeout(this.#connectionTimer);
    if (this.#reconcileTimer !== undefined) clearInterval(this.#reconcileTimer);
    this.#reconcileTimer = undefined;
    await Promise.allSettled([...this.#background]);
    try {
      await this.#events?.close();
    } catch (error) {
      reportError('DistributedExecutor: closing the event reader failed', error);
    }
    if (this.#client.status === 'ready') {
      await this.#queue.close().catch(() => {});
      await this.#client.quit().catch(() => {});
    } else {
      // Redis is away: do not wait for it to come back just to say goodbye.
      this.#client.disconnect();
      await this.#queue.close().catch(() => {});
    }
  }
}

function checkPositive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new ValueError(`Expected \`${name}\` to be a positive number of milliseconds, got ${describe(value)}`);
  }
  return value;
}

function checkInteger(name: string, value: unknown, fallback: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValueError(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function checkOverrides(options: { priority?: number | undefined; attempts?: number | undefined; backoff?: Backoff | undefined }, defaults: boolean): JobOverrides {
  const out: JobOverrides = {};
  if (options.priority !== undefined) out.priority = checkInteger('priority', options.priority, undefined, 1, MAX_PRIORITY);
  if (options.attempts !== undefined) out.attempts = checkInteger('attempts', options.attempts, undefined, 1);
  else if (defaults) out.attempts = 1;
  const backoff = options.backoff;
  if (backoff !== undefined) {
    if (typeof backoff === 'number') {
      out.backoff = { type: 'fixed', delay: checkInteger('backoff', backoff, undefined, 0) };
    } else if (typeof backoff === 'object' && backoff !== null && (backoff.type === 'fixed' || backoff.type === 'exponential')) {
      const delay = checkInteger('backoff.delay', backoff.delay, undefined, 0);
      const jitter = backoff.jitter;
      if (jitter !== undefined && (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))) {
        throw new ValueError(`Expected \`backoff.jitter\` to be a number from 0 to 1, got ${describe(jitter)}`);
      }
      out.backoff = jitter === undefined ? { type: backoff.type, delay } : { type: backoff.type, delay, jitter };
    } else {
      throw new ValueError(`Expected \`backoff\` to be milliseconds or { type: 'fixed' | 'exponential', delay }, got ${describe(backoff)}`);
    }
  }
  return out;
}

function toJobOptions(overrides: JobOverrides): JobsOptions {
  const out: JobsOptions = {};
  if (overrides.priority !== undefined) out.priority = overrides.priority;
  if (overrides.attempts !== undefined) out.attempts = overrides.attempts;
  if (overrides.backoff !== undefined) out.backoff = overrides.backoff;
  return out;
}

function toKeepJobs(retention: Retention, name: string): boolean | number | KeepJobs {
  if (typeof retention === 'boolean') return retention;
  if (typeof retention === 'number') return checkInteger(name, retention, undefined, 0);
  if (typeof retention !== 'object' || retention === null) throw new ValueError(`Expected \`${name}\` to be a boolean, a count or { age, count }, got ${describe(retention)}`);
  // BullMQ counts the age in seconds; every duration in this library is in milliseconds.
  const age = retention.age === undefined ? undefined : Math.ceil(checkPositive(`${name}.age`, retention.age, 0) / 1000);
  const count = retention.count === undefined ? undefined : checkInteger(`${name}.count`, retention.count, undefined, 0);
  if (age === undefined) return count ?? false;
  return count === undefined ? { age } : { age, count };
}
