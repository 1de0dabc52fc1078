/**
 * Cheap functions run on the CLI's own thread. A map item costs the main thread a microsecond or
 * two on the way to a worker and back (reading it into a chunk, posting it, taking its result);
 * when the function itself costs less, the workers wait on the main thread and the run is slower
 * than a plain loop. So the run starts on the pool, and once the workers' timings say an item
 * is cheap ({@link CHEAP_MS}), the map is closed (it finishes the items it read) and the rest of
 * the input runs here, one item after another. Should the calls turn out (or turn) expensive
 * ({@link COSTLY_MS}), the rest goes back to a new map on the pool, for good.
 *
 * ```
 *  input ─▶ gate ─▶ map on the pool ──┐
 *    │                                ├─▶ outcomes, in input order ─▶ result pipeline
 *    └──────────▶ inline calls ───────┘   (the map's first, then the inline ones)
 * ```
 *
 * @module
 */
import type { Executor } from '../core/executor.js';
import type { MapIterator, MapOutcome } from '../core/map-iterator.js';
import { epochNow } from '../core/task-events.js';
import { currentContext, setContext, whileImporting } from '../worker/context.js';
import type { InputSource } from './input.js';
import type { TaskRuns } from './task-runs.js';

/**
 * A function whose items take less than this (ms, as the workers time them, their own overhead and
 * a busy machine included) is tried on the main thread. The inline run then times itself, whole
 * (reading, calling, writing): above {@link COSTLY_MS} an item, the rest goes back to the pool.
 */
export const CHEAP_MS = 0.005;
/** Items timed on the pool before deciding, after the first {@link WARM_ITEMS} (cold code). */
const SAMPLE_ITEMS = 4096;
const WARM_ITEMS = 1024;
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

/** What the map reads: the input, until the run moves inline. */
class Gate implements AsyncIterableIterator<unknown> {
  closed = false;
  /** Items handed to the map. */
  passed = 0;
  readonly #input: InputSource;

  constructor(input: InputSource) {
    this.#input = input;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<unknown>> {
    if (this.closed) return { done: true, value: undefined };
    const step = await this.#input.next();
    if (step.done !== true) this.passed++;
    return step;
  }

  /** The map stopped early (the run is stopping): the input stops too. */
  return(): Promise<IteratorResult<unknown>> {
    return this.#input.return();
  }
}

/** How the run maps on the pool, and how it calls the function here. */
export interface InlineParts {
  readonly executor: Executor;
  readonly input: InputSource;
  /** Starts a map over `source` on the pool. */
  readonly startMap: (source: AsyncIterator<unknown> & AsyncIterable<unknown>) => MapIterator<MapOutcome<unknown>>;
  readonly url: string;
  readonly name: string;
  readonly spread: boolean;
  /** With `--joblog`: inline items are recorded as run on `main`. */
  readonly runs: TaskRuns | undefined;
}

type Fn = (...args: unknown[]) => unknown;

/** The run's outcomes: the pool map's, then (once the function measured cheap) the inline calls', in input order. */
export class SwitchingOutcomes implements AsyncIterator<MapOutcome<unknown>> {
  /** Items that ran on the main thread. */
  inlineItems = 0;
  readonly #p: InlineParts;
  #gate: Gate;
  #map: MapIterator<MapOutcome<unknown>> | undefined;
  /** Index of the current map's first item. */
  #base = 0;
  #index = 0;
  #fn: Fn | undefined;
  #loading: Promise<Fn | undefined> | undefined;
  /** Time per item of each chunk timed. */
  readonly #samples: number[] = [];
  #sampleItems = 0;
  #seenItems = 0;
  #decided = false;
  #stopTimings: (() => void) | undefined;
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
    this.#gate = new Gate(parts.input);
    this.#map = parts.startMap(this.#gate);
    this.#stopTimings = parts.executor.onTask((event) => {
      if (event.type !== 'settled' || event.task.kind === 'call' || event.run === undefined || this.#decided) return;
      this.#seenItems += event.task.items;
      if (this.#seenItems <= WARM_ITEMS) return;
      this.#samples.push((event.run.end - event.run.start) / event.task.items);
      this.#sampleItems += event.task.items;
      if (this.#sampleItems >= SAMPLE_ITEMS) this.#decide();
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<MapOutcome<unknown>>> {
    for (;;) {
      if (this.#closed) return { done: true, value: undefined };
      const map = this.#map;
      if (map !== undefined) {
        const step = await map.next();
        if (step.done !== true) {
          if (this.#base === 0) return step;
          const o = step.value;
          return { done: false, value: o.ok ? { index: o.index + this.#base, ok: true, value: o.value } : { index: o.index + this.#base, ok: false, error: o.error } };
        }
        this.#map = undefined;
        if (!this.#gate.closed) return step;
        // The map ended because the gate closed: the rest of the input runs here.
        this.#index = this.#base + this.#gate.passed;
        this.#fn = await this.#loading;
        if (this.#fn === undefined) this.#restartMap();
        continue;
      }
      return this.#inlineNext(this.#fn as Fn);
    }
  }

  async return(): Promise<IteratorResult<MapOutcome<unknown>>> {
    this.#closed = true;
    this.#stopTimings?.();
    if (this.#map !== undefined) await this.#map.return();
    else await this.#p.input.return();
    return { done: true, value: undefined };
  }

  #decide(): void {
    this.#decided = true;
    this.#stopTimings?.();
    // The median chunk: a chunk during which the machine took the CPU from its worker does not count.
    const sorted = this.#samples.sort((a, b) => a - b);
    this.#callMs = sorted[sorted.length >> 1] as number;
    if (this.#callMs >= CHEAP_MS) return;
    this.#loading = loadHere(this.#p.url, this.#p.name);
    this.#gate.closed = true;
  }

  /** Back to the pool: a new map over the rest of the input, its indices after the inline ones. */
  #restartMap(): void {
    this.#base = this.#index;
    this.#endBatch();
    this.#gate = new Gate(this.#p.input);
    this.#map = this.#p.startMap(this.#gate);
  }

  /**
   * The next outcome if it can be had without waiting: once the run is inline, a line already read
   * and a function that returns (not a promise). The pipeline reads this way first.
   */
  nextSync(): IteratorResult<MapOutcome<unknown>> | undefined {
    if (this.#closed || this.#map !== undefined || this.#fn === undefined || this.#awaiting !== undefined) return undefined;
    if (this.#groupItems === GROUP && this.#endGroup()) return undefined;
    const step = this.#p.input.nextSync();
    if (step === undefined || step.done === true) return step;
    const outcome = this.#call(this.#fn, step.value);
    // A promise: next() awaits it.
    return this.#awaiting === undefined ? { done: false, value: outcome } : undefined;
  }

  async #inlineNext(fn: Fn): Promise<IteratorResult<MapOutcome<unknown>>> {
    const awaiting = this.#awaiting;
    if (awaiting !== undefined) {
      this.#awaiting = undefined;
      return { done: false, value: await awaiting };
    }
    if (this.#groupItems === GROUP && this.#endGroup()) return this.next();
    const step = await this.#p.input.next();
    if (step.done === true) return step;
    // The input kept us waiting: the items after the wait start a batch of their own.
    this.#endBatch();
    const outcome = this.#call(fn, step.value);
    const later = this.#awaiting;
    if (later === undefined) return { done: false, value: outcome };
    this.#awaiting = undefined;
    return { done: false, value: await later };
  }

  /** Ends a group of inline items; `true` when their calls cost more than the pool would, and the rest went back to it. */
  #endGroup(): boolean {
    const perItem = this.#groupMs / GROUP;
    this.#callMs = perItem;
    this.#groupItems = 0;
    this.#groupMs = 0;
    // The first group runs cold code; it is not held against the function.
    if (++this.#groups > 1 && perItem > COSTLY_MS) {
      this.#restartMap();
      return true;
    }
    return false;
  }

  /** Calls the function on one item; a promise it returns is left in #awaiting, for next(). */
  #call(fn: Fn, item: unknown): MapOutcome<unknown> {
    const index = this.#index++;
    const runs = this.#p.runs;
    if (runs !== undefined && index >= this.#batchEnd) {
      runs.inline(index, BATCH, epochNow(), this.#callMs);
      this.#batchEnd = index + BATCH;
    }
    this.inlineItems++;
    const timed = this.#groupItems++ % TIME_EVERY === 0;
    const t0 = timed ? performance.now() : 0;
    try {
      const value = this.#p.spread ? fn(...(item as unknown[])) : fn(item);
      if (timed) this.#groupMs += Math.min(CALL_CAP_MS, performance.now() - t0) * TIME_EVERY;
      if (typeof (value as PromiseLike<unknown> | null)?.then === 'function') {
        // Its batch ends here: what comes after waits for the promise.
        this.#endBatch();
        this.#awaiting = Promise.resolve(value).then(
          (v): MapOutcome<unknown> => ({ index, ok: true, value: v }),
          (error: unknown): MapOutcome<unknown> => ({ index, ok: false, error }));
        return { index, ok: true, value: undefined };
      }
      return { index, ok: true, value };
    } catch (error) {
      if (timed) this.#groupMs += Math.min(CALL_CAP_MS, performance.now() - t0) * TIME_EVERY;
      return { index, ok: false, error };
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
async function loadHere(url: string, name: string): Promise<Fn | undefined> {
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
