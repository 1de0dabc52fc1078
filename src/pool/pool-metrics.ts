/**
 * The figures behind `executor.metrics()`: task counts, wait-time and run-time histograms, and
 * how busy each worker was, over a period that `reset` restarts.
 *
 * Times come from the workers' own clocks (every task is timed where it runs, `TASK_SPAN`): wait
 * is from `submit` to the task's start on its worker, run from its start to its end (for a task
 * that returns a promise, until the promise settles). Histograms record microseconds, so that
 * sub-millisecond tasks are told apart, and report milliseconds.
 *
 * @module
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import type { WorkerSlot } from './worker-slot.js';

/** Options of `metrics()`. */
export interface MetricsOptions {
  /** After reading, start a new period: counts, histograms and utilization from zero. */
  reset?: boolean | undefined;
}

/** A histogram of times, in milliseconds. */
export interface TimeSummary {
  /** Tasks measured. */
  readonly count: number;
  /** The shortest. */
  readonly min: number;
  /** The longest. */
  readonly max: number;
  /** The average. */
  readonly mean: number;
  /** The median. */
  readonly p50: number;
  /** 90% took at most this long. */
  readonly p90: number;
  /** 99% took at most this long. */
  readonly p99: number;
}

/** One worker's share of the period. */
export interface WorkerMetrics {
  /** As in `stats()`. */
  readonly name: string;
  /** Milliseconds it spent running task code in the period (synchronous code: an `await` is not busy). */
  readonly busyMs: number;
  /** `busyMs` over the part of the period it was alive, from 0 to 1. */
  readonly utilization: number;
}

/** What `executor.metrics()` returns. */
export interface PoolMetrics {
  /** Milliseconds the period covers. */
  readonly periodMs: number;
  /** Now: tasks waiting in the pool's queue (cancelled ones included until the queue reaches them). */
  readonly queued: number;
  /** Now: tasks sent to a worker and not settled (running, or held by the worker to run next). */
  readonly running: number;
  /** In the period: tasks that returned a value (a map chunk counts once). */
  readonly completed: number;
  /** In the period: tasks that threw, timed out, or were lost with their worker. */
  readonly failed: number;
  /** In the period: tasks cancelled (before they started, or stopped with `force`). */
  readonly cancelled: number;
  /** From submit to the start on a worker. */
  readonly waitTime: TimeSummary;
  /** From the start on a worker to the end. */
  readonly runTime: TimeSummary;
  /** Busy time of all workers over `periodMs × maxWorkers`, from 0 to 1. */
  readonly utilization: number;
  /** The live workers. */
  readonly workers: readonly WorkerMetrics[];
}

/** Microseconds: what the histograms count in. */
const US = 1000;

export class PoolMetricsRecorder {
  completed = 0;
  failed = 0;
  cancelled = 0;
  #wait: RecordableHistogram = createHistogram();
  #run: RecordableHistogram = createHistogram();
  #since = performance.now();
  /** Busy time of the workers that ended during the period. */
  #goneBusyMs = 0;
  /** Where `performance.now()` is on the workers' epoch clock. */
  readonly #origin = performance.timeOrigin;

  /** A task submitted at `queuedAt` (`performance.now()`) ran from `start` to `end` (epoch ms). */
  ran(queuedAt: number, start: number, end: number): void {
    this.#wait.record(Math.max(1, Math.round((start - this.#origin - queuedAt) * US)));
    this.#run.record(Math.max(1, Math.round((end - start) * US)));
  }

  /** A worker ends: its busy time stays in the period's total. */
  gone(slot: WorkerSlot): void {
    this.#goneBusyMs += slot.busyMs - slot.busyBase;
  }

  read(queued: number, running: number, slots: readonly WorkerSlot[], maxWorkers: number): PoolMetrics {
    const now = performance.now();
    const periodMs = now - this.#since;
    let busy = this.#goneBusyMs;
    const workers = slots.map((slot) => {
      const busyMs = slot.busyMs - slot.busyBase;
      busy += busyMs;
      const alive = now - Math.max(slot.bornAt, this.#since);
      return { name: slot.name, busyMs, utilization: alive > 0 ? Math.min(1, busyMs / alive) : 0 };
    });
    return {
      periodMs,
      queued,
      running,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
      waitTime: summary(this.#wait),
      runTime: summary(this.#run),
      utilization: periodMs > 0 ? Math.min(1, busy / (periodMs * maxWorkers)) : 0,
      workers,
    };
  }

  reset(slots: readonly WorkerSlot[]): void {
    this.completed = 0;
    this.failed = 0;
    this.cancelled = 0;
    this.#wait.reset();
    this.#run.reset();
    this.#since = performance.now();
    this.#goneBusyMs = 0;
    for (const slot of slots) slot.busyBase = slot.busyMs;
  }
}

function summary(h: RecordableHistogram): TimeSummary {
  const count = h.count;
  if (count === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
  return {
    count,
    min: h.min / US,
    max: h.max / US,
    mean: h.mean / US,
    p50: h.percentile(50) / US,
    p90: h.percentile(90) / US,
    p99: h.percentile(99) / US,
  };
}
