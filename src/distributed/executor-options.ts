/**
 * The options of `DistributedExecutor`: their types, their defaults, and their checks (messages in
 * the library's "Expected `x` to be …, got …" form).
 *
 * @module
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { JobsOptions, KeepJobs } from 'bullmq';
import { ValueError } from '../errors.js';
import { describe } from '../describe.js';
import { checkTimeout } from '../sync/deadline.js';
import type { TaskOptions } from '../core/backend.js';
import type { RedisConnection } from './connection.js';
import type { JobOverrides } from './job-future.js';
import { isModuleName } from './wire.js';

/** How long finished jobs stay in Redis: `true` (removed at once), `false` (kept), a count, or both limits. */
export type Retention = boolean | number | {
  /** Milliseconds a finished job is kept. */
  age?: number;
  /** How many finished jobs are kept (per queue). */
  count?: number;
};

/** Waiting between retries: a fixed delay in ms, or BullMQ's backoff settings. */
export type Backoff = number | {
  /** `fixed`: the same delay before each retry; `exponential`: the delay doubles with each retry. */
  type: 'fixed' | 'exponential';
  /** Milliseconds (the first delay, for exponential). */
  delay: number;
  /** 0–1: how much of each delay is random. */
  jitter?: number;
};

/** Options of `DistributedExecutor`. */
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
  /**
   * When more tasks are waiting than fit in Redis (`maxInFlight`), pack consecutive `submit`s of
   * the same function into one job, sized to about `chunkTargetMs` of work (default `true`). Tasks
   * with their own options (a timeout, priority, attempts, a signal) always get a job each, and so
   * do all tasks while the executor retries (`attempts` > 1). `false`: one job per task, always.
   */
  packSubmits?: boolean;
}

/** Per-task options of `DistributedExecutor.withJobOptions`. */
export interface DistributedTaskOptions extends TaskOptions {
  /** 1 (most urgent) to 2,097,152. */
  priority?: number | undefined;
  /** Attempts, including the first. */
  attempts?: number | undefined;
  /** Delay between attempts. */
  backoff?: Backoff | undefined;
}

/** The options, checked, with their defaults filled in. */
export interface ExecutorSettings {
  readonly queue: string;
  readonly prefix: string;
  readonly connectTimeout: number;
  readonly reconcileInterval: number;
  readonly maxInFlight: number;
  readonly parallelism: number;
  /** Milliseconds of work `map` aims to put in one job. */
  readonly chunkTargetMs: number;
  /** Pack plain `submit`s under a backlog (false with retries, whose per-task semantics packing would change). */
  readonly packSubmits: boolean;
  readonly taskTimeout: number | undefined;
  readonly onLost: 'resubmit' | 'fail';
  /** Logical module names by module URL. */
  readonly moduleNames: Map<string, string>;
  /** BullMQ's `defaultJobOptions` for the queue. */
  readonly jobOptions: JobsOptions;
}

/** BullMQ's highest priority number. */
const MAX_PRIORITY = 2_097_152;

/**
 * Checks `options` and fills in the defaults.
 *
 * @throws {ValueError} for a bad value; `TypeError` when there are no options at all.
 */
export function settingsOf(options: DistributedExecutorOptions): ExecutorSettings {
  if (typeof options !== 'object' || options === null) throw new TypeError('DistributedExecutor needs options: { connection, queue }');
  const queue = options.queue ?? 'concurrent-ts';
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) {
    throw new ValueError(`Expected \`queue\` to be a non-empty name without ":", got ${describe(options.queue)}`);
  }
  const prefix = options.prefix ?? 'bull';
  if (typeof prefix !== 'string' || prefix === '') throw new ValueError(`Expected \`prefix\` to be a non-empty string, got ${describe(options.prefix)}`);
  const onLost = options.onLost ?? 'resubmit';
  if (onLost !== 'resubmit' && onLost !== 'fail') throw new ValueError(`Expected \`onLost\` to be 'resubmit' or 'fail', got ${describe(onLost)}`);
  const moduleNames = new Map<string, string>();
  for (const [name, url] of Object.entries(options.modules ?? {})) {
    if (!isModuleName(name)) throw new ValueError(`modules: ${JSON.stringify(name)} is not a valid logical module name (letters, digits, _ . -)`);
    moduleNames.set(url instanceof URL ? url.href : new URL(url, 'file:///').href, name);
  }
  return {
    queue,
    prefix,
    connectTimeout: checkPositive('connectTimeout', options.connectTimeout, 10_000),
    reconcileInterval: checkPositive('reconcileInterval', options.reconcileInterval, 5000),
    maxInFlight: checkInteger('maxInFlight', options.maxInFlight, 1000, 1),
    parallelism: checkInteger('parallelism', options.parallelism, 16, 1),
    chunkTargetMs: checkPositive('chunkTargetMs', options.chunkTargetMs, 100),
    packSubmits: checkBoolean('packSubmits', options.packSubmits, true) && (options.attempts ?? 1) <= 1,
    taskTimeout: checkTimeout(options.taskTimeout, 'taskTimeout'),
    onLost,
    moduleNames,
    jobOptions: {
      ...toJobOptions(checkOverrides(options)),
      removeOnComplete: toKeepJobs(options.removeOnComplete ?? { age: 3_600_000, count: 2000 }, 'removeOnComplete'),
      removeOnFail: toKeepJobs(options.removeOnFail ?? { age: 86_400_000, count: 2000 }, 'removeOnFail'),
    },
  };
}

/**
 * The job options that differ from BullMQ's defaults (one attempt, no priority, no backoff).
 *
 * @throws {ValueError} for a bad priority, attempts or backoff.
 */
export function checkOverrides(options: { priority?: number | undefined; attempts?: number | undefined; backoff?: Backoff | undefined }): JobOverrides {
  const out: JobOverrides = {};
  if (options.priority !== undefined) out.priority = checkInteger('priority', options.priority, undefined, 1, MAX_PRIORITY);
  if (options.attempts !== undefined) out.attempts = checkInteger('attempts', options.attempts, undefined, 1);
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

/** BullMQ's form of per-job overrides. */
export function toJobOptions(overrides: JobOverrides): JobsOptions {
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

function checkPositive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Expected \`${name}\` to be a positive number of milliseconds, got ${describe(value)}`);
  if (!(value > 0) || !Number.isFinite(value)) {
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

function checkBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ValueError(`Expected \`${name}\` to be true or false, got ${describe(value)}`);
  return value;
}
