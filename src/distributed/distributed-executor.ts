/**
 * `DistributedExecutor`: the `Executor` interface on a BullMQ queue, so that `submit` and `map`
 * run on workers anywhere that can reach the same Redis.
 *
 * ```
 *  submit/map ─▶ local queue ──addBulk (≤ maxInFlight in Redis)──▶ BullMQ queue ──▶ workers
 *                                                                       │
 *  future settles ◀── EventReader: XREAD (active / completed / failed) ◀─┤ events stream
 *                 ◀── reconciliation: HMGET of quiet jobs ◀─────────────┘ job hashes
 * ```
 *
 * BullMQ's event stream is best effort (a reader that falls behind loses events, and a Redis
 * restart without persistence loses jobs), so every future also settles from the job itself:
 * jobs with no news for `reconcileInterval` ms, and all of them after a reconnect, are read back
 * from Redis. Keeping at most `maxInFlight` jobs in Redis per executor bounds how far the event
 * reader can fall behind its own jobs.
 *
 * Around it: `event-reader.ts` reads the events stream, `job-tracker.ts` settles futures (events
 * and reconciliation), `executor-options.ts` checks the options, `wire.ts` is the format of jobs
 * and results, `codec.ts` carries the values.
 * This file is longer than most because adding, cancelling and shutting down share the local
 * queue and the connection state.
 *
 * @module
 */
import { takeTransfers } from '../pool/take-transfers.js';
import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { BrokenExecutor } from '../errors.js';
import { describe } from '../describe.js';
import { checkTimeout, startTimer, type Timer } from '../sync/deadline.js';
import { bullmq } from './peers.js';
import { Admissions } from '../core/admissions.js';
import type { MapAdmission, TaskKind, TaskOptions } from '../core/backend.js';
import { cancelOnAbort } from '../core/cancel-on-abort.js';
import { Executor, type ShutdownOptions, type TaskScheduler } from '../core/executor.js';
import type { Future } from '../core/future.js';
import { reportError } from '../core/logger.js';
import { RingQueue } from '../core/ring-queue.js';
import { isTaskRef } from '../task-ref/task-module.js';
import { encodeList } from './codec.js';
import { createClient, describeEndpoint, isConnectionError, redisOptions, unreachable } from './connection.js';
import { EventReader } from './event-reader.js';
import {
  checkOverrides, settingsOf, toJobOptions, type DistributedExecutorOptions, type DistributedTaskOptions, type ExecutorSettings,
} from './executor-options.js';
import { JobFuture } from './job-future.js';
import { JobTracker } from './job-tracker.js';
import { PackFuture } from './pack-future.js';
import { Packer } from './packer.js';
import { cancelChannel, cancelKey, CANCEL_TTL, isExportName, kindCode, moduleNameOf, WIRE_VERSION, type JobData } from './wire.js';

const MAX_BULK = 1000;

/** A task's logical module name, export name, and job name (`module#export`). */
type Names = readonly [module: string, name: string, jobName: string];
const MAX_LOSSES = 3;

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
 * Each task is a BullMQ job, except in a burst: while more tasks wait than the executor keeps in
 * Redis (`maxInFlight`), consecutive plain submits of one function share a job, each future still
 * settling on its own (`packSubmits`, see docs/decisions/distributed-submit-packing.md).
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
  readonly #settings: ExecutorSettings;
  readonly #endpoint: string;
  readonly #redisOptions: RedisOptions;
  readonly #client: Redis;
  readonly #queue: Queue;
  readonly #tracker: JobTracker;
  /** The events stream's own connection: its reads block. */
  readonly #eventsClient: Redis;
  #events: EventReader | undefined;
  #initDone = false;
  #initError: unknown;
  #lastError: unknown;
  #everReady = false;

  readonly #refillBatch: number;
  /** Task references already checked, with their names. */
  readonly #checked = new WeakMap<object, Names>();
  readonly #clientId = randomUUID().replaceAll('-', '').slice(0, 12);
  #seq = 0;
  /** Tasks not in Redis yet: waiting for room (maxInFlight) or for the connection. */
  readonly #local = new RingQueue<JobFuture>(256);
  readonly #packer: Packer;
  readonly #background = new Set<Promise<unknown>>();
  #outstanding = 0;
  #flushScheduled = false;
  #connectionTimer: Timer | undefined;
  /** Shut down or not, and the maps admitted before that which still submit (see `Backend._admitMap`). */
  readonly #admissions = new Admissions((fn, args, kind, options, admission) => this.#schedule(fn, args, kind, options, admission), () => this.#maybeIdle());
  #closed: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  /**
   * Connects (in the background) to Redis and the queue. Tasks submitted before the connection is
   * up wait for it, for at most `connectTimeout` ms.
   *
   * @param options - `connection` (a Redis URL or ioredis options) and `queue` (default
   *   `'concurrent-ts'`), plus default job options, retention and limits.
   * @throws {ValueError} for a bad URL or option value.
   * @throws {TypeError} when `options` is missing.
   */
  constructor(options: DistributedExecutorOptions) {
    super();
    const settings = settingsOf(options);
    this.#settings = settings;
    this.#refillBatch = Math.ceil(settings.maxInFlight / 4);
    this.#redisOptions = redisOptions(options.connection, settings.connectTimeout, options.tls);
    this.#endpoint = describeEndpoint(this.#redisOptions);
    const serial = executors++;
    // A connection's last error is what a caller is told when Redis stays out of reach.
    const remember = (error: unknown): void => {
      this.#lastError = error;
    };
    this.#client = createClient(this.#redisOptions, `concurrent-ts:executor:${process.pid}:${serial}`);
    this.#client.on('error', remember);
    this.#client.on('ready', this.#onReady);
    this.#queue = new bullmq.Queue(settings.queue, { connection: this.#client, prefix: settings.prefix, defaultJobOptions: settings.jobOptions });
    this.#queue.on('error', remember);
    this.#eventsClient = createClient(this.#redisOptions, `concurrent-ts:executor-events:${process.pid}:${serial}`);
    this.#eventsClient.on('error', remember);
    this.#tracker = new JobTracker({
      lost: (future) => this.#lost(future),
      track: (promise) => this.#track(promise),
      connected: () => this.#connected(),
      started: (future) => this.#started(future),
    }, this.#client, this.#queue, settings.reconcileInterval);
    this.#packer = new Packer(this, this.#local, settings.packSubmits, settings.chunkTargetMs);
    void this.#start();
  }

  /** The queue's name. */
  get queue(): string {
    return this.#settings.queue;
  }

  /**
   * Resolves once Redis is reachable and the executor listens to the queue's events.
   *
   * @throws {OSError} if that does not happen within `connectTimeout` ms; the message names the
   * server (without credentials) and the last connection error.
   */
  async ready(): Promise<void> {
    const deadline = performance.now() + this.#settings.connectTimeout;
    while (!this.#connected()) {
      if (this.#initError !== undefined) throw this.#initError;
      const left = deadline - performance.now();
      if (left <= 0) throw this.#unreachable();
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, 20)));
    }
  }

  /**
   * The same `submit`/`map`/`starmap` with BullMQ job options for these tasks: a priority, other
   * attempts and backoff, a timeout, an AbortSignal.
   *
   * @param options - BullMQ's `priority`, `attempts`, `backoff`, plus `timeout` (ms per attempt,
   *   counted on the worker) and `signal`.
   * @returns an object with this executor's `submit`, `map` and `starmap`, applying `options` to
   *   every task they schedule.
   * @throws {ValueError} for a bad priority, attempts or backoff.
   * @example
   * ```ts
   * const urgent = executor.withJobOptions({ priority: 1, attempts: 3, backoff: 1000 });
   * await urgent.submit(tasks.resize, image);
   * ```
   */
  withJobOptions(options: DistributedTaskOptions): TaskScheduler {
    checkOverrides(options);
    return this.withOptions(options);
  }

  /**
   * Stops taking tasks; see {@link Executor.shutdown}. With `cancelFutures`, tasks not started yet
   * are removed from the queue. With `wait` (the default), resolves when every future has settled
   * and the connections are closed. Jobs already started keep running on their workers.
   *
   * @param options - `wait` (default `true`) and `cancelFutures` (default `false`), as for
   *   {@link Executor.shutdown}.
   * @returns a promise that resolves when the executor is shut down.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    this.#admissions.shutdown(cancelFutures);
    if (cancelFutures) {
      for (const future of this.#local.drain()) future.cancel();
      for (const future of [...this.#tracker.jobs.values()]) {
        if (future.state === 'PENDING') future.cancel();
      }
    }
    this.#closed ??= this.#closeWhenIdle();
    if (wait) await this.#closed;
  }

  /** @internal See {@link Backend._parallelism}. */
  _parallelism(): number {
    return this.#settings.parallelism;
  }

  /** A job costs a Redis round trip: `map` aims at chunks of `chunkTargetMs` of work. @internal */
  _chunkTargetMs(): number {
    return this.#settings.chunkTargetMs;
  }

  /** @internal See {@link Backend._checkOpen}: `map()` after shutdown throws at the call, as `submit` does. */
  _checkOpen(): void {
    this.#admissions.check(null);
  }

  /** @internal See {@link Backend._timed}: with a per-task timeout, `map` sends one item per job unless told otherwise. */
  _timed(options: TaskOptions | undefined): boolean {
    return (options?.timeout ?? this.#settings.taskTimeout) !== undefined;
  }

  /** @internal See {@link Backend._admitMap}: a map started before shutdown goes on submitting. */
  _admitMap(): MapAdmission {
    return this.#admissions.admit();
  }

  /** @internal See {@link Backend._schedule}. */
  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined): Future<unknown> {
    return this.#schedule(fn, args, kind, options, null);
  }

  #schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined, admission: MapAdmission | null): Future<unknown> {
    this.#admissions.check(admission);
    const [module, name, jobName] = this.#names(fn);
    const task = options as DistributedTaskOptions | undefined;
    const timeout = task?.timeout === undefined ? this.#settings.taskTimeout : checkTimeout(task.timeout);
    // A job crosses Redis: nothing moves, what transfer() marks is copied like the rest.
    const a = encodeList(takeTransfers(args, kind)?.args ?? args, kind === 'call' ? 'args' : 'items');
    const k = kindCode(kind);
    const data: JobData = timeout === undefined ? { v: WIRE_VERSION, m: module, f: name, k, a } : { v: WIRE_VERSION, m: module, f: name, k, a, t: timeout };
    const overrides = task === undefined ? undefined : checkOverrides(task);
    const future = new JobFuture(this, this.nextId(), jobName, data,
      overrides !== undefined && Object.keys(overrides).length > 0 ? overrides : undefined, task?.signal);
    this.#outstanding++;
    if (this.taskEvents.active) this.taskEvents.submitted(future, name, kind, kind === 'call' ? 1 : args.length);
    const signal = task?.signal;
    if (signal !== undefined) {
      future.onAbort = cancelOnAbort(future, signal);
      if (future.onAbort === undefined) return future;
    }
    this.#local.push(future);
    this.#scheduleFlush();
    return future;
  }

  /** @internal A job id of this executor. */
  nextId(): string {
    return `${this.#clientId}-${(this.#seq++).toString(36)}`;
  }

  /** @internal Tasks of a pack given up are back in the local queue. */
  requeued(): void {
    this.#scheduleFlush();
  }

  /** @internal A PENDING future is being cancelled: forget its job, and remove it from Redis. */
  cancelled(future: JobFuture): void {
    switch (future.stage) {
      case 'PACKED':
        this.#packer.dissolve(future);
        break;
      case 'LOCAL':
        // Still in the local queue: the flush skips futures that are done.
        break;
      case 'ADDING':
        this.#tracker.jobs.delete(future.id);
        future.removeAfterAdd = true;
        break;
      case 'QUEUED':
        this.#tracker.jobs.delete(future.id);
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
    if (future.stage === 'PACKED') {
      this.#packer.dissolve(future);
      future.stage = 'DONE';
      return true;
    }
    this.#tracker.jobs.delete(future.id);
    future.stage = 'DONE';
    this.#publishCancel(future.id);
    return true;
  }

  /**
   * The logical module name, the export name and the job name of `fn`, or the error saying what
   * to do. Checked once per task reference (`taskModule` hands out the same object each time).
   */
  #names(fn: unknown): Names {
    const known = this.#checked.get(fn as object);
    if (known !== undefined) return known;
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
    const names = this.#settings.moduleNames;
    let module = names.get(fn.module);
    if (module === undefined) {
      module = moduleNameOf(fn.module);
      if (module === undefined) {
        throw new TypeError(`cannot derive a logical module name from ${fn.module}; name it with the \`modules\` option of DistributedExecutor`);
      }
      names.set(fn.module, module);
    }
    if (!isExportName(fn.name)) {
      throw new TypeError(`"${fn.name}" cannot be called on a worker: a task must be an export named by an identifier, other than __proto__, constructor, prototype or then`);
    }
    const checked: Names = [module, fn.name, `${module}#${fn.name}`];
    this.#checked.set(fn, checked);
    return checked;
  }

  async #start(): Promise<void> {
    try {
      await this.#queue.waitUntilReady();
      const last = await this.#client.xrevrange(this.#queue.keys.events as string, '+', '-', 'COUNT', 1);
      // Read the events stream from where it is now (BullMQ's default '$' would miss whatever
      // happens before its first read); nothing of ours can be older.
      const lastEventId = last[0]?.[0] ?? '0-0';
      const client = this.#eventsClient;
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
      this.#events = new EventReader(client, this.#queue.keys.events as string, lastEventId, this.#tracker, (error) => {
        this.#lastError = error;
        if (!this.#admissions.shutDown) reportError(`DistributedExecutor: reading the events of queue ${this.#settings.queue} failed`, error);
      });
      this.#events.start();
      this.#initDone = true;
      this.#scheduleFlush();
    } catch (error) {
      this.#initError = error;
      for (const future of this.#local.drain()) {
        if (!future.done()) future.setException(error);
      }
    }
  }

  #connected(): boolean {
    return this.#initDone && this.#client.status === 'ready';
  }

  #unreachable(): Error {
    return unreachable(this.#endpoint, this.#lastError ?? new Error(`no answer within ${this.#settings.connectTimeout} ms`));
  }

  readonly #onReady = (): void => {
    // After a reconnect events may be missing, and without persistence the jobs are gone.
    if (this.#everReady) this.#tracker.checkAllSoon();
    this.#everReady = true;
    this.#scheduleFlush();
  };

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // One flush per tick: a loop of submits becomes one addBulk.
    queueMicrotask(this.#flush);
  }

  /**
   * Refill in batches: with Redis still holding most of this executor's share, a few freed slots
   * are not worth an addBulk (each builds a pipeline and a socket write of its own, and costs Redis
   * a round trip), so wait until a quarter of maxInFlight is free; the three quarters still in
   * Redis keep the workers busy meanwhile.
   */
  #roomToAdd(): boolean {
    const inFlight = this.#tracker.jobs.size;
    const max = this.#settings.maxInFlight;
    return inFlight === 0 || max - inFlight >= Math.min(this.#local.size, this.#refillBatch);
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    if (this.#local.size === 0) return;
    if (!this.#connected()) {
      this.#waitForConnection();
      return;
    }
    if (!this.#roomToAdd()) return;
    const jobs = this.#tracker.jobs;
    const max = this.#settings.maxInFlight;
    while (this.#local.size > 0 && jobs.size < max) {
      const batch: JobFuture[] = [];
      while (batch.length < MAX_BULK && this.#local.size > 0 && jobs.size < max) {
        let future = this.#local.shift() as JobFuture;
        if (future.done() || future.data === undefined) continue;
        // More tasks wait than fit in Redis: each job may as well carry several.
        if (this.#local.size >= max - jobs.size && this.#packer.packable(future)) future = this.#packer.pack(future, max - jobs.size);
        future.stage = 'ADDING';
        jobs.set(future.id, future);
        batch.push(future);
      }
      if (batch.length > 0) this.#track(this.#add(batch));
    }
  };

  async #add(batch: JobFuture[]): Promise<void> {
    const entries = batch.map((f) => ({
      name: f.name,
      data: f.data as JobData,
      opts: f.overrides === undefined ? { jobId: f.id } : { ...toJobOptions(f.overrides), jobId: f.id },
    }));
    try {
      await this.#queue.addBulk(entries);
    } catch (error) {
      // Job ids are ours, so adding again is safe: BullMQ ignores an id it already has.
      const retry = isConnectionError(error, this.#client);
      if (retry) this.#lastError = error;
      const now = performance.now();
      for (let i = batch.length - 1; i >= 0; i--) {
        const future = batch[i] as JobFuture;
        if (future.removeAfterAdd) {
          this.#remove(future);
        } else if (this.#tracker.jobs.get(future.id) === future) {
          this.#tracker.jobs.delete(future.id);
          if (retry) {
            future.stage = 'LOCAL';
            future.waitingSince = now;
            this.#local.unshift(future);
          } else {
            future.setException(error);
          }
        }
      }
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
    this.#tracker.start();
  }

  /** Arms a timer that fails the local tasks that have waited `connectTimeout` ms for Redis. */
  #waitForConnection(): void {
    if (this.#connectionTimer !== undefined) return;
    while (this.#local.size > 0 && (this.#local.peek() as JobFuture).done()) this.#local.shift();
    const head = this.#local.peek();
    if (head === undefined) return;
    this.#connectionTimer = startTimer(() => {
      this.#connectionTimer = undefined;
      if (this.#connected()) {
        this.#scheduleFlush();
        return;
      }
      const now = performance.now();
      const error = this.#initError ?? this.#unreachable();
      while (this.#local.size > 0) {
        const future = this.#local.peek() as JobFuture;
        if (!future.done() && now - future.waitingSince < this.#settings.connectTimeout) break;
        this.#local.shift();
        if (!future.done()) future.setException(error);
      }
      this.#waitForConnection();
    }, head.waitingSince + this.#settings.connectTimeout - performance.now());
  }

  /** @internal Bookkeeping for every future that settles, however it settles. */
  settled(future: JobFuture): void {
    future.data = undefined;
    if (future instanceof PackFuture) {
      // The executor's own future: its members are the callers' and count as outstanding.
      const jobs = this.#tracker.jobs;
      if (jobs.get(future.id) === future) jobs.delete(future.id);
      future.stage = 'DONE';
      this.#packer.unpack(future);
      if (this.#local.size > 0 && this.#roomToAdd()) this.#scheduleFlush();
      return;
    }
    this.#outstanding--;
    const jobs = this.#tracker.jobs;
    if (jobs.get(future.id) === future) jobs.delete(future.id);
    future.stage = 'DONE';
    if (future.onAbort !== undefined) {
      future.onAbort();
      future.onAbort = undefined;
    }
    // Not a flush per settled job: most would find too little room (see #roomToAdd).
    if (this.#local.size > 0 && this.#roomToAdd()) this.#scheduleFlush();
    this.#maybeIdle();
  }

  #maybeIdle(): void {
    if (this.#outstanding === 0 && this.#admissions.openMaps === 0) this.#idle?.();
  }

  /** A job became active on a worker: its task (or, for a pack, each of its tasks) started. */
  #started(future: JobFuture): void {
    if (!this.taskEvents.active) return;
    if (future instanceof PackFuture) for (const member of future.members) this.taskEvents.started(member, undefined);
    else this.taskEvents.started(future, undefined);
  }

  #remove(future: JobFuture): void {
    // BullMQ does not remove a locked job (it answers 0): it started in the meantime, so stop it
    // where it runs. The future is cancelled already; whatever the task returns is dropped.
    this.#track(this.#queue.remove(future.id).then((removed) => {
      if (removed === 0) this.#publishCancel(future.id);
    }, (error: unknown) => {
      if (error instanceof Error && /locked/i.test(error.message)) this.#publishCancel(future.id);
      else if (!this.#admissions.shutDown) reportError(`DistributedExecutor: could not remove the cancelled job ${future.id}`, error);
    }));
  }

  #publishCancel(jobId: string): void {
    const { prefix, queue } = this.#settings;
    const multi = this.#client.multi()
      .set(cancelKey(prefix, queue, jobId), '1', 'PX', CANCEL_TTL)
      .publish(cancelChannel(prefix, queue), jobId);
    this.#track(multi.exec().catch((error: unknown) => {
      reportError(`DistributedExecutor: could not ask the workers to cancel job ${jobId}`, error);
    }));
  }

  #track(promise: Promise<unknown>): void {
    this.#background.add(promise);
    void promise.finally(() => this.#background.delete(promise));
  }

  /** The job vanished from Redis without a result (a restart without persistence, an external removal). */
  #lost(future: JobFuture): void {
    if (this.#settings.onLost === 'resubmit' && future.losses < MAX_LOSSES && !this.#admissions.shutDown) {
      future.losses++;
      future.stage = 'LOCAL';
      future.waitingSince = performance.now();
      this.#local.unshift(future);
      this.#scheduleFlush();
      return;
    }
    future.setException(new BrokenExecutor(
      `the job ${future.id} (${future.name}) vanished from Redis before it finished` +
      (future.losses > 0 ? ` (${future.losses + 1} times)` : '') +
      ': Redis restarted without persistence, or someone removed it. Turn on appendonly in Redis to keep jobs across restarts.'));
  }

  async #closeWhenIdle(): Promise<void> {
    if (this.#outstanding > 0 || this.#admissions.openMaps > 0) {
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
      });
    }
    this.#connectionTimer?.clear();
    this.#tracker.stop();
    await Promise.allSettled([...this.#background]);
    if (this.#events === undefined) this.#eventsClient.disconnect();
    else await this.#events.close();
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
