/**
 * Cheap functions run on the CLI's own thread. A map item costs the main thread a microsecond or
 * two on the way to a worker and back (reading it into a chunk, posting it, taking its result);
 * when the function itself costs less, the workers wait on the main thread and the run is slower
 * than a plain loop. So the run starts here, with no worker started: the first items are called
 * one after another and timed ({@link TRIAL_ITEMS}, within {@link TRIAL_MS}). A function that
 * measures cheap ({@link COSTLY_MS} a call) goes on here; any other (one slow call can be enough,
 * as is one that returns a promise) goes to a map on the pool for the rest of the input, for good. The
 * inline run keeps timing its calls: should they turn expensive, the rest goes to the pool too.
 *
 * ```
 *  input ─▶ inline calls (first) ──┐
 *    │                             ├─▶ outcomes, in input order ─▶ result pipeline
 *    └──▶ gate ─▶ map on the pool ─┘   (the inline ones, then the map's)
 * ```
 *
 * @module
 */
import type { MapIterator, MapOutcome } from '../core/map-iterator.js';
import { epochNow } from '../core/task-events.js';
import { currentContext, setContext, whileImporting } from '../worker/context.js';
import type { InputSource } from './input.js';
import type { TaskRuns } from './task-runs.js';

/** Items called and timed one by one before deciding (unless {@link TRIAL_MS} runs out first). */
const TRIAL_ITEMS = 1024;
/** The first calls run cold code (not yet compiled): the trial does not count them. */
const TRIAL_WARM = 64;
/** Time (ms) the trial's calls may take in all: beyond it the function is not cheap (a single slow call is enough). */
const TRIAL_MS = 20;
/** Trial time (ms) beyond which the function is likely not cheap: the workers start meanwhile. */
const WARM_POOL_MS = 2;
/** Inline items are timed in groups this big. */
const GROUP = 16384;
/** One call in this many is timed (reading the clock costs as much as a cheap call). */
const TIME_EVERY = 8;
/** Inline items share one record of where and when they ran (for the joblog) in batches of at most this many. */
const BATCH = 1024;
/**
 * About what an item costs the main thread on its way through the pool (posting it, taking its
 * result): a function whose calls take longer than this is better off on the workers.
 */
const COSTLY_MS = 0.002;
/** One call counts for at most this much (ms): the machine may take the CPU from us in the middle of one. */
const CALL_CAP_MS = 1;

/** How the run calls the function here, and how it maps on the pool. */
export interface InlineParts {
  /** The function, imported on this thread ({@link loadHere}). */
  readonly fn: Fn;
  readonly input: InputSource;
  /** Starts a map over `source` on the pool. */
  readonly startMap: (source: AsyncIterator<unknown> & AsyncIterable<unknown>) => MapIterator<MapOutcome<unknown>>;
  readonly spread: boolean;
  /** With `--joblog`: inline items are recorded as run on `main`. */
  readonly runs: TaskRuns | undefined;
  /** Starts the workers ahead of a map, while the trial goes on. */
  readonly warm?: (() => void) | undefined;
}

export type Fn = (...args: unknown[]) => unknown;

/** The run's outcomes: the inline calls' (while the function measures cheap), then the pool map's, in input order. */
export class SwitchingOutcomes implements AsyncIterator<MapOutcome<unknown>> {
  /** Items that ran on the main thread. */
  inlineItems = 0;
  readonly #p: InlineParts;
  /** The map on the pool, once the run went there (for good). */
  #map: MapIterator<MapOutcome<unknown>> | undefined;
  /** Index of the map's first item. */
  #base = 0;
  #index = 0;
  /** Still timing every call to decide. */
  #trial = true;
  /** Time of every trial call so far, and of those counted (past the cold ones, each at most {@link CALL_CAP_MS}). */
  #trialAll = 0;
  #trialMs = 0;
  /** Time the calls of the current group took (estimated from those timed). */
  #groupMs = 0;
  /** Time per call, as last measured: the joblog's time per inline item. */
  #callMs = 0;
  /** With the joblog: the index after the current inline batch. */
  #batchEnd = 0;
  #groupItems = 0;
  #groups = 0;
  /** The outcome of an inline call that returned a promise. */
  #awaiting: Promise<MapOutcome<unknown>> | undefined;
  #closed = false;

  constructor(parts: InlineParts) {
    this.#p = parts;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<MapOutcome<unknown>>> {
    if (this.#closed) return { done: true, value: undefined };
    const awaiting = this.#awaiting;
    if (awaiting !== undefined) {
      this.#awaiting = undefined;
      return { done: false, value: await awaiting };
    }
    const map = this.#map;
    if (map !== undefined) return this.#rebased(await map.next());
    if (this.#groupItems === GROUP) this.#endGroup();
    if (this.#map !== undefined) return this.next();
    const step = await this.#p.input.next();
    if (step.done === true) return step;
    // The input kept us waiting: the items after the wait start a batch of their own.
    this.#endBatch();
    const outcome = this.#call(step.value);
    const later = this.#awaiting;
    if (later === undefined) return { done: false, value: outcome };
    this.#awaiting = undefined;
    return { done: false, value: await later };
  }

  /**
   * The next outcome if it can be had without waiting: while inline, a line already read and a
   * function that returns (not a promise). The pipeline reads this way first.
   */
  nextSync(): IteratorResult<MapOutcome<unknown>> | undefined {
    if (this.#closed || this.#awaiting !== undefined) return undefined;
    const map = this.#map;
    if (map !== undefined) {
      const step = map.nextSync();
      return step === undefined ? undefined : this.#rebased(step);
    }
    if (this.#groupItems === GROUP && this.#endGroup()) return undefined;
    const step = this.#p.input.nextSync();
    if (step === undefined || step.done === true) return step;
    const outcome = this.#call(step.value);
    // A promise: next() awaits it.
    return this.#awaiting === undefined ? { done: false, value: outcome } : undefined;
  }

  async return(): Promise<IteratorResult<MapOutcome<unknown>>> {
    this.#closed = true;
    if (this.#map !== undefined) await this.#map.return();
    else await this.#p.input.return();
    return { done: true, value: undefined };
  }

  /** A step of the pool's map, its index counted from the start of the input. */
  #rebased(step: IteratorResult<MapOutcome<unknown>>): IteratorResult<MapOutcome<unknown>> {
    if (step.done === true || this.#base === 0) return step;
    const o = step.value;
    return { done: false, value: o.ok ? { index: o.index + this.#base, ok: true, value: o.value } : { index: o.index + this.#base, ok: false, error: o.error } };
  }

  /** To the pool, for good: a map over the rest of the input, its indices after the inline ones. */
  #toPool(): void {
    this.#base = this.#index;
    this.#endBatch();
    this.#map = this.#p.startMap(this.#p.input);
  }

  /** Ends a group of inline items; `true` when their calls cost more than the pool would, and the rest went to it. */
  #endGroup(): boolean {
    const perItem = this.#groupMs / GROUP;
    this.#callMs = perItem;
    this.#groupItems = 0;
    this.#groupMs = 0;
    // The first group runs cold code; it is not held against the function.
    if (++this.#groups > 1 && perItem > COSTLY_MS) {
      this.#toPool();
      return true;
    }
    return false;
  }

  /** Calls the function on one item; a promise it returns is left in #awaiting, for next(). */
  #call(item: unknown): MapOutcome<unknown> {
    const index = this.#index++;
    const runs = this.#p.runs;
    if (runs !== undefined && index >= this.#batchEnd) {
      runs.inline(index, BATCH, epochNow(), this.#callMs);
      this.#batchEnd = index + BATCH;
    }
    this.inlineItems++;
    const timed = this.#trial || this.#groupItems % TIME_EVERY === 0;
    this.#groupItems++;
    const t0 = timed ? performance.now() : 0;
    let outcome: MapOutcome<unknown>;
    try {
      const value = this.#p.spread ? this.#p.fn(...(item as unknown[])) : this.#p.fn(item);
      if (typeof (value as PromiseLike<unknown> | null)?.then === 'function') {
        // What comes after waits for the promise: its batch ends here, and the run goes to the pool.
        this.#awaiting = Promise.resolve(value).then(
          (v): MapOutcome<unknown> => ({ index, ok: true, value: v }),
          (error: unknown): MapOutcome<unknown> => ({ index, ok: false, error }));
        this.#endBatch();
        if (this.#trial) this.#toPool();
        return { index, ok: true, value: undefined };
      }
      outcome = { index, ok: true, value };
    } catch (error) {
      outcome = { index, ok: false, error };
    }
    if (timed) this.#timed(performance.now() - t0);
    return outcome;
  }

  #timed(ms: number): void {
    if (!this.#trial) {
      this.#groupMs += Math.min(CALL_CAP_MS, ms) * TIME_EVERY;
      return;
    }
    // The trial: every call counts towards its time; for the mean, all but the first (cold) ones.
    const before = this.#trialAll;
    this.#trialAll += ms;
    if (before <= WARM_POOL_MS && this.#trialAll > WARM_POOL_MS) this.#p.warm?.();
    if (this.#groupItems > TRIAL_WARM) this.#trialMs += Math.min(CALL_CAP_MS, ms);
    const counted = this.#groupItems - TRIAL_WARM;
    if (this.#trialAll > TRIAL_MS) {
      this.#trial = false;
      this.#toPool();
    } else if (counted >= TRIAL_ITEMS) {
      this.#trial = false;
      this.#callMs = this.#trialMs / counted;
      if (this.#callMs >= COSTLY_MS) this.#toPool();
      else {
        // Inline from now on: the trial's calls count as the first (cold) group.
        this.#groupItems = 0;
        this.#groupMs = 0;
        this.#groups = 1;
      }
    }
  }

  /** Ends the current inline batch after the items called so far. */
  #endBatch(): void {
    this.#batchEnd = 0;
    this.#p.runs?.inlineEnd(this.#index);
  }
}

/**
 * Imports the module on this thread and finds the export; `undefined` if it cannot be had here.
 * The import runs as a worker's would (`isMain()` is false meanwhile), so a module's own main code
 * does not run in the CLI, and one that starts a pool at its top level is refused.
 */
export async function loadHere(url: string, name: string): Promise<Fn | undefined> {
  const context = currentContext();
  setContext({ kind: 'thread', name: 'concurrent-ts map', ident: context.ident });
  try {
    const mod = await whileImporting(url, () => import(url) as Promise<Record<string, unknown>>);
    const fn = mod[name];
    return typeof fn === 'function' ? fn as Fn : undefined;
  } catch {
    return undefined;
  } finally {
    setContext(context);
  }
}
