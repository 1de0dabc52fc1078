/**
 * The worker side: a BullMQ `Worker` that takes jobs from the queue and runs them with a task
 * runner: a local pool (threads, or processes; the default), so that one worker process uses
 * every core and BullMQ's lock renewals never wait behind user code, or inline on this thread
 * (`inline: true`), as a plain BullMQ processor runs (see `inline-runner.ts` for the trade-offs).
 *
 * ```
 *  BullMQ Worker ── job ──▶ checkJobData ──▶ allow-list ──▶ runner.run(ref, args) ──▶ pool thread, or inline
 *   (main thread)                                   │ refused: TaskNotAllowedError, no retry
 *        ▲                                          ▼
 *        └──── CallResult / ChunkResult, or a failure record ◀──── value / exception
 *
 *  SUBSCRIBE <cancel channel> ──▶ stop that job's task (a pool replaces its thread)
 *  SIGTERM ──▶ stop fetching; jobs running get `grace` ms, then go back to the queue
 * ```
 *
 * @module
 */
import { availableParallelism, hostname } from 'node:os';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { Job, Worker } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { CancelledError, TaskNotAllowedError, ValueError } from '../errors.js';
import { describe } from '../describe.js';
import { startTimer, type Timer } from '../sync/deadline.js';
import { bullmq } from './peers.js';
import type { ChunkOutcome, TaskKind } from '../core/backend.js';
import { encodeThrown } from '../error-codec.js';
import { allowedRef, parseAllowList, type AllowedModule } from './allow-list.js';
import { decodeValue, encodeValue } from './codec.js';
import {
  createClient, createSubscriber, describeEndpoint, forBullmq, redisOptions, unreachable, whenReady, type RedisConnection,
} from './connection.js';
import {
  cancelChannel, cancelKey, checkJobData, isModuleName, KIND_CALL, type CallResult, type ChunkResult,
} from './wire.js';
import { encodeChunk, failureError } from './results.js';
import { InlineRunner } from './inline-runner.js';
import { PoolRunner } from './pool-runner.js';
import type { RunningTask, TaskRunner } from './task-runner.js';

/** Options of a distributed worker; see `runWorker`. */
export interface RunWorkerOptions {
  /** Redis: `redis://[user:password@]host:port[/db]`, `rediss://…`, or ioredis options. */
  redis: RedisConnection;
  /** The queue to take jobs from. */
  queue: string;
  /** Task modules jobs may name: paths (relative to the working directory) or `file:` URLs, optionally `name=path`. */
  allow: readonly string[];
  /** Jobs this worker runs at once (default: twice the pool size, so the pool never waits for Redis; inline, twice the CPU count). */
  concurrency?: number | undefined;
  /** Run tasks in child processes instead of worker threads. */
  processes?: boolean | undefined;
  /**
   * Run each task on this process's main thread, with no local pool, as a plain BullMQ processor
   * does: cheaper for tiny or I/O-bound tasks; a task cannot be stopped (a cancel or timeout drops
   * its result), and synchronous work delays lock renewals. See docs/distributed.md.
   */
  inline?: boolean | undefined;
  /** BullMQ key prefix (default `'bull'`); must match the callers'. */
  prefix?: string | undefined;
  /** Receives one line per start, stop, failure and connection event (default: standard error, timestamped). */
  log?: ((line: string) => void) | undefined;
  /** Threads or processes in the pool (default: `os.availableParallelism()`). */
  maxWorkers?: number | undefined;
  /** The worker's name in BullMQ (`job.processedBy`); default `<host>:<pid>`. */
  name?: string | undefined;
  /** Milliseconds running jobs get to finish after a stop request before going back to the queue (default 10,000). */
  grace?: number | undefined;
  /** BullMQ lock duration in ms (default 10,000): a dead worker's job is retried after about this plus two `stalledInterval`s. */
  lockDuration?: number | undefined;
  /** Milliseconds between checks for jobs of dead workers (default 5000). */
  stalledInterval?: number | undefined;
  /** How many times a job may lose its worker and run again (default 1). */
  maxStalledCount?: number | undefined;
  /** Milliseconds to wait for Redis at start-up (default 10,000). */
  connectTimeout?: number | undefined;
  /** TLS settings added to a `rediss://` connection. */
  tls?: TlsOptions | undefined;
  /** Stop on SIGTERM and SIGINT (default `true`); a second signal hands the running jobs back at once. */
  handleSignals?: boolean | undefined;
}

/** A job whose task runs. */
interface Running {
  readonly job: Job;
  readonly task: RunningTask;
  readonly since: number;
  cancelRequested: boolean;
  handBack: boolean;
}

const CANCEL_SWEEP_MS = 1000;
const REMEMBERED_CANCELS = 10_000;
const KINDS: readonly TaskKind[] = ['call', 'chunk', 'starchunk'];

/** One worker process's connection to a queue. Use `runWorker`. */
export class DistributedWorker {
  readonly #options: RunWorkerOptions;
  readonly #log: (line: string) => void;
  readonly #name: string;
  readonly #queueName: string;
  readonly #prefix: string;
  readonly #redisOptions: RedisOptions;
  readonly #endpoint: string;
  readonly #allowed: Map<string, AllowedModule>;
  readonly #poolSize: number;
  readonly #concurrency: number;
  readonly #grace: number;
  readonly #connectTimeout: number;
  readonly #lockDuration: number;
  readonly #stalledInterval: number;
  readonly #maxStalledCount: number;
  #runner: TaskRunner | undefined;
  #worker: Worker | undefined;
  #client: Redis | undefined;
  #subscriber: Redis | undefined;
  readonly #active = new Map<string, Running>();
  /** Cancel requests by job id, for jobs that had not started when the request came. */
  readonly #cancels = new Set<string>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #graceTimer: Timer | undefined;
  #startup: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopRequested: () => void = () => {};
  readonly #stopSignal = new Promise<void>((resolve) => {
    this.#stopRequested = resolve;
  });
  #connectionLost = false;
  /** The grace period is over: every running job goes back to the queue. */
  #handingBack = false;
  #completed = 0;
  #failed = 0;
  #handedBack = 0;
  readonly #signals: Array<[NodeJS.Signals, () => void]> = [];

  /**
   * Checks the options and the allow-list; nothing starts until {@link DistributedWorker.run}.
   *
   * @throws {ValueError} for a bad option or `--allow` entry.
   */
  constructor(options: RunWorkerOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('runWorker() needs options: { redis, queue, allow }');
    this.#options = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`));
    this.#queueName = options.queue;
    if (typeof this.#queueName !== 'string' || this.#queueName === '' || this.#queueName.includes(':')) {
      throw new ValueError(`Expected \`queue\` to be a non-empty name without ":", got ${describe(options.queue)}`);
    }
    this.#prefix = options.prefix ?? 'bull';
    this.#name = options.name ?? `${hostname()}:${process.pid}`;
    if (options.inline === true && (options.processes === true || options.maxWorkers !== undefined)) {
      throw new ValueError(`an inline worker runs tasks on its main thread and has no pool: drop ${options.processes === true ? 'processes' : 'maxWorkers'} ` +
        '(--processes, --workers), or drop inline to run tasks on a pool');
    }
    this.#poolSize = positiveInteger('maxWorkers', options.maxWorkers, availableParallelism());
    this.#concurrency = positiveInteger('concurrency', options.concurrency, options.inline === true ? 2 * availableParallelism() : 2 * this.#poolSize);
    this.#grace = nonNegative('grace', options.grace, 10_000);
    this.#connectTimeout = nonNegative('connectTimeout', options.connectTimeout, 10_000);
    this.#lockDuration = positiveInteger('lockDuration', options.lockDuration, 10_000);
    this.#stalledInterval = positiveInteger('stalledInterval', options.stalledInterval, 5000);
    this.#maxStalledCount = nonNegative('maxStalledCount', options.maxStalledCount, 1);
    this.#redisOptions = redisOptions(options.redis, this.#connectTimeout, options.tls);
    this.#endpoint = describeEndpoint(this.#redisOptions);
    this.#allowed = parseAllowList(options.allow);
  }

  /**
   * Starts, runs until stopped, and closes. `started` is called once the worker takes jobs.
   *
   * @throws {ValueError} an allowed module that does not load.
   * @throws {OSError} Redis unreachable within `connectTimeout`.
   */
  async run(started: () => void): Promise<void> {
    this.#startup = this.#start();
    try {
      await this.#startup;
    } catch (error) {
      await this.#close(true);
      throw error;
    }
    started();
    await this.#stopSignal;
    await this.#stopping;
  }

  /**
   * Stops taking jobs; running jobs get `grace` ms to finish, then go back to the queue for other
   * workers. Resolves when everything is closed. A second call while stopping hands back at once.
   */
  stop(): Promise<void> {
    if (this.#stopping !== undefined) {
      this.#handBackAll();
      return this.#stopping;
    }
    this.#stopRequested();
    // A stop during start-up waits for the start to end: then there is something to close, or
    // the start failed and closed everything itself.
    const startup = this.#startup ?? Promise.resolve();
    this.#stopping = startup.then(() => this.#shutdown(), () => {});
    return this.#stopping;
  }

  async #start(): Promise<void> {
    const runner = this.#options.inline === true ? new InlineRunner() : new PoolRunner(this.#poolSize, this.#options.processes === true);
    this.#runner = runner;
    await Promise.all([...this.#allowed.values()].map(async (module) => {
      try {
        module.exports = new Set(await runner.exportsOf(module.url));
      } catch (error) {
        throw new ValueError(`cannot load the allowed module "${module.name}" (${module.url}): ${(error as Error).message ?? String(error)}`, { cause: error });
      }
    }));

    const deadline = performance.now() + this.#connectTimeout;
    let lastError: unknown;
    const client = createClient(this.#redisOptions, `concurrent-ts:worker:${this.#name}`);
    const subscriber = createSubscriber(this.#redisOptions, `concurrent-ts:worker-control:${this.#name}`);
    this.#client = client;
    this.#subscriber = subscriber;
    client.on('error', (error: unknown) => {
      lastError = error;
    });
    subscriber.on('error', (error: unknown) => {
      lastError = error;
    });
    await Promise.all([whenReady(client, deadline, this.#endpoint, () => lastError), whenReady(subscriber, deadline, this.#endpoint, () => lastError)]);
    const channel = cancelChannel(this.#prefix, this.#queueName);
    subscriber.on('message', (from: string, jobId: string) => {
      if (from === channel) this.#cancel(jobId);
    });
    // After a reconnect the subscription comes back by itself; messages sent meanwhile are
    // recovered from the cancel keys.
    subscriber.on('ready', () => this.#sweep(true));
    await subscriber.subscribe(channel);

    const worker = new bullmq.Worker(this.#queueName, this.#process, {
      connection: forBullmq(this.#redisOptions),
      prefix: this.#prefix,
      name: this.#name,
      concurrency: this.#concurrency,
      autorun: false,
      lockDuration: this.#lockDuration,
      stalledInterval: this.#stalledInterval,
      maxStalledCount: this.#maxStalledCount,
      // BullMQ waits 15 s before fetching again after a connection error; a restarted Redis is back sooner.
      runRetryDelay: 1000,
    });
    this.#worker = worker;
    worker.on('error', (error: Error) => this.#onError(error));
    // BullMQ does not say when it is connected again; our own client, on the same server, does.
    client.on('ready', () => {
      if (!this.#connectionLost || this.#stopping !== undefined) return;
      this.#connectionLost = false;
      this.#log(`worker ${this.#name}: connected again to ${this.#endpoint}`);
    });
    client.on('error', (error: Error) => this.#onError(error));
    worker.on('completed', () => {
      this.#completed++;
    });
    worker.on('failed', (job: Job | undefined, error: Error) => {
      this.#failed++;
      // BullMQ's default is 0, which means one attempt.
      const attempts = Math.max(1, job?.opts.attempts ?? 1);
      this.#log(`worker ${this.#name}: job ${job?.id ?? '?'} ${job?.name ?? ''} failed (attempt ${job?.attemptsMade ?? '?'} of ${attempts}): ` +
        (error.message.split('\n', 1)[0] ?? ''));
    });
    const ready = worker.waitUntilReady();
    ready.catch(() => {});
    await Promise.race([ready, new Promise<never>((_, reject) => {
      startTimer(() => reject(unreachable(this.#endpoint, lastError ?? new Error(`no answer within ${this.#connectTimeout} ms`))),
        deadline - performance.now()).unref();
    })]);
    worker.run().catch((error: unknown) => this.#onError(error as Error));
    this.#sweepTimer = setInterval(() => this.#sweep(false), CANCEL_SWEEP_MS);
    this.#sweepTimer.unref();
    if (this.#options.handleSignals !== false) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const handler = (): void => {
          this.#log(`worker ${this.#name}: ${signal} received`);
          void this.stop();
        };
        process.on(signal, handler);
        this.#signals.push([signal, handler]);
      }
    }
    const modules = [...this.#allowed.values()].map((m) => `${m.name}=${m.url}`).join(', ');
    this.#log(`worker ${this.#name} started: queue ${this.#queueName} on ${this.#endpoint}, ` +
      `${runner.description}, concurrency ${this.#concurrency}, pid ${process.pid}, allow ${modules}`);
  }

  /** The BullMQ processor: check the job, run it, encode what came out. */
  readonly #process = async (job: Job): Promise<CallResult | ChunkResult> => {
    const id = job.id ?? '';
    let running: Running | undefined;
    try {
      const data = checkJobData(job.data);
      const module = isModuleName(data.m) ? this.#allowed.get(data.m) : undefined;
      if (module === undefined) {
        throw new TaskNotAllowedError(notAllowed(data.m, [...this.#allowed.keys()]));
      }
      const ref = allowedRef(module, data.f);
      if (ref === undefined) {
        throw new TaskNotAllowedError(`the allowed module "${module.name}" has no exported function ${quote(data.f)}; ` +
          `it exports ${[...module.exports].join(', ') || 'no functions'}`);
      }
      if (this.#cancels.has(id)) throw new CancelledError('the task was cancelled by its caller before it started');
      const args = decodeValue(data.a) as unknown[];
      const kind = KINDS[data.k] as TaskKind;
      const task = (this.#runner as TaskRunner).run(ref, args, kind, data.t);
      running = { job, task, since: performance.now(), cancelRequested: false, handBack: false };
      this.#active.set(id, running);
      // Taken just before a stop whose grace period is over: it goes back too.
      if (this.#handingBack) this.#handBackAll();
      const value = await task.result;
      if (data.k === KIND_CALL) return { r: encodeValue(value, 'result') };
      return encodeChunk(value as ChunkOutcome);
    } catch (error) {
      throw await this.#failure(job, running, error);
    } finally {
      if (running !== undefined) this.#active.delete(id);
    }
  };

  /** What the processor throws for `error`: a retryable failure, a final one, or a hand-back. */
  async #failure(job: Job, running: Running | undefined, error: unknown): Promise<Error> {
    if (running?.handBack === true) {
      try {
        await job.moveToWait(job.token);
        this.#handedBack++;
      } catch (moveError) {
        this.#log(`worker ${this.#name}: could not hand job ${job.id ?? '?'} back (${(moveError as Error).message}); it will be retried once its lock expires`);
      }
      return new bullmq.WaitingError();
    }
    if (running?.cancelRequested === true || error instanceof CancelledError) {
      return failureError(encodeThrown(new CancelledError('the task was cancelled by its caller')), true);
    }
    // A refused or malformed job would fail the same way again: no retry.
    const final = error instanceof TaskNotAllowedError || running === undefined;
    return failureError(encodeThrown(error), final);
  }

  #cancel(jobId: string): void {
    if (this.#cancels.size >= REMEMBERED_CANCELS) this.#cancels.clear();
    this.#cancels.add(jobId);
    const running = this.#active.get(jobId);
    if (running === undefined || running.cancelRequested) return;
    running.cancelRequested = true;
    this.#log(`worker ${this.#name}: job ${jobId} ${running.job.name} cancelled by its caller`);
    running.task.stop();
  }

  /** Looks for cancel requests missed while the subscription was down. */
  #sweep(all: boolean): void {
    const client = this.#client;
    if (client === undefined || client.status !== 'ready' || this.#active.size === 0) return;
    const now = performance.now();
    const ids: string[] = [];
    for (const [id, running] of this.#active) {
      if (!running.cancelRequested && (all || now - running.since >= CANCEL_SWEEP_MS)) ids.push(id);
    }
    if (ids.length === 0) return;
    client.mget(ids.map((id) => cancelKey(this.#prefix, this.#queueName, id))).then((values) => {
      values.forEach((value, i) => {
        if (value !== null) this.#cancel(ids[i] as string);
      });
    }, () => {});
  }

  #onError(error: Error): void {
    if (this.#stopping !== undefined) return;
    if (/ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection is closed|EPIPE|ENOTFOUND|EHOSTUNREACH/.test(error.message)) {
      if (this.#connectionLost) return;
      this.#connectionLost = true;
      this.#log(`worker ${this.#name}: lost the connection to ${this.#endpoint} (${error.message}); reconnecting`);
      return;
    }
    const lost = /^Missing (key|lock) for job (\S+)\./.exec(error.message);
    if (lost !== null) {
      this.#log(`worker ${this.#name}: job ${lost[2] ?? '?'} finished, but Redis no longer had it (${error.message}): ` +
        'it was lost in a restart or its lock expired; its caller gets the result of another run');
      return;
    }
    this.#log(`worker ${this.#name}: ${error.name}: ${error.message}`);
  }

  #handBackAll(): void {
    this.#handingBack = true;
    for (const running of this.#active.values()) {
      if (running.handBack || running.cancelRequested) continue;
      running.handBack = true;
      running.task.stop();
    }
  }

  async #shutdown(): Promise<void> {
    this.#log(`worker ${this.#name}: stopping; ${this.#active.size} running job(s) get ${this.#grace} ms to finish`);
    const second = (): void => this.#handBackAll();
    const signals = this.#signals.splice(0).map(([signal, handler]) => {
      // Keep listening while stopping: a second signal hands the jobs back at once.
      process.off(signal, handler);
      process.on(signal, second);
      return signal;
    });
    // Also for jobs fetched just before the stop, which start after it.
    this.#graceTimer = startTimer(() => this.#handBackAll(), this.#grace);
    if (this.#grace === 0) this.#handBackAll();
    try {
      await this.#close(false);
    } finally {
      // Stopped: the program's own handling of these signals (or Node's default) applies again.
      for (const signal of signals) process.off(signal, second);
    }
    this.#log(`worker ${this.#name} stopped: ${this.#completed} job(s) completed, ${this.#failed} failed, ${this.#handedBack} handed back`);
  }

  async #close(force: boolean): Promise<void> {
    const worker = this.#worker;
    if (worker !== undefined) {
      // If Redis is away, closing would wait for it: give up after the grace period and a margin.
      const limit = startTimer(() => {
        this.#handBackAll();
        void worker.close(true).catch(() => {});
      }, this.#grace + 5000);
      try {
        await worker.close(force);
      } catch (error) {
        this.#log(`worker ${this.#name}: closing: ${(error as Error).message}`);
      } finally {
        limit.clear();
      }
    }
    this.#graceTimer?.clear();
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    await this.#runner?.close(force);
    for (const client of [this.#subscriber, this.#client]) {
      if (client === undefined) continue;
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    }
  }
}

/**
 * Why a job's module is refused, and what would make it run: an `--allow` entry only for a name
 * one could have (a path or URL in a job can never be allowed, whatever the workers are given).
 */
function notAllowed(module: string, allowed: readonly string[]): string {
  const head = `this worker does not allow the module ${quote(module)}; it allows ${allowed.join(', ')}. `;
  if (isModuleName(module)) {
    return head + `Start the workers with --allow pointing at that module (a file named ${module}.js or ${module}.ts is named "${module}"), ` +
      `or name it: --allow ${module}=path/to/module.js`;
  }
  return head + 'Jobs name a module by a logical name (letters, digits, _ . -), never by a path or URL, so no --allow entry can allow this one; ' +
    'submit the task through a DistributedExecutor, which names its modules after their files (or by its modules option)';
}

function quote(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ValueError(`Expected \`${name}\` to be an integer ≥ 1, got ${describe(value)}`);
  }
  return value;
}

function nonNegative(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Expected \`${name}\` to be a number ≥ 0, got ${describe(value)}`);
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new ValueError(`Expected \`${name}\` to be a number ≥ 0, got ${describe(value)}`);
  }
  return value;
}
