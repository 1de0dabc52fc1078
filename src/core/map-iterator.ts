/**
 * `executor.map()`'s result: an async iterator over the results, in input order.
 *
 * Items are sent to workers in chunks. Without an explicit `chunksize` the chunk size adapts:
 * it starts at 1 (so a few heavy items spread over every worker) and grows with the measured cost
 * per item until a chunk is worth a few milliseconds of work (so a million trivial items become a
 * few hundred messages). The input is pulled ahead of the consumer, as Python's `map` submits every
 * call at once: the calls run even if nobody iterates. `buffersize` bounds how far ahead it goes,
 * which makes an endless input safe.
 *
 * @module
 */
import { TimeoutError, ValueError } from '../errors.js';
import { describe } from '../describe.js';
import { checkTimeout, startTimer, type Timer } from '../sync/deadline.js';
import type { Backend, ChunkOutcome, MapAdmission, TaskKind, TaskOptions } from './backend.js';
import type { Future } from './future.js';
import { OrderedNext } from './ordered-next.js';
import { RingQueue } from './ring-queue.js';

/** Options of `executor.map()` and `executor.starmap()`. */
export interface MapOptions {
  /** One deadline in ms, counted from the call: iteration throws `TimeoutError` once it passes. `undefined` or `null`: no limit. */
  timeout?: number | null | undefined;
  /** Items per task message. Chosen automatically (and adaptively) when omitted. */
  chunksize?: number | undefined;
  /** At most this many items are pulled from the input ahead of the consumer. */
  buffersize?: number | undefined;
}

/** One item's outcome, for consumers that want errors as values (see `outcomes`). */
export type MapOutcome<R> =
  | {
    /** The item's position in the input, from 0. */
    readonly index: number;
    /** The call returned. */
    readonly ok: true;
    /** What it returned. */
    readonly value: R;
  }
  | {
    /** The item's position in the input, from 0. */
    readonly index: number;
    /** The call threw. */
    readonly ok: false;
    /** What it threw. */
    readonly error: unknown;
  };

/** @internal How the iterator behaves; `executor.map` uses the defaults. */
export interface MapMode {
  star: boolean;
  /** Yield in completion order instead of input order. */
  unordered: boolean;
  /** Keep going after an item fails (the error is thrown at its position, then iteration goes on). */
  continueOnError: boolean;
  /** Yield {@link MapOutcome} records; never throw an item's error. */
  outcomes: boolean;
}

interface Chunk {
  readonly base: number;
  readonly size: number;
  readonly future: Future<unknown>;
  outcome: ChunkOutcome | undefined;
  /** The values as they are yielded (booleans decoded), when every item of the chunk succeeded. */
  plain: ArrayLike<unknown> | undefined;
  /** Set when the whole chunk failed (its worker died, it was cancelled…). */
  failure: unknown;
  settled: boolean;
  /** Next position to yield. */
  pos: number;
}

/** Chunks in flight, at most, however quick they are. */
const MAX_OUTSTANDING = 1024;
/** Work (ms) a map keeps in flight per worker for quick chunks: a worker finds its next chunk waiting. */
const AHEAD_MS = 8;
const MAX_CHUNK = 16384;
const GROWTH = 8;
/** How long a consumer reads ready results before the event loop gets a turn, where the results need it (ms). */
const BREATHE_MS = 0.5;
const noSourceError = Symbol('none');

type AnySource = Iterator<unknown> | AsyncIterator<unknown>;

/** `map` options, checked: the timeout read back (`undefined`: no limit). */
interface CheckedMapOptions {
  readonly timeout: number | undefined;
  readonly chunksize: number | undefined;
  readonly buffersize: number | undefined;
}

/** Validates `map` options (Python's messages). */
function checkMapOptions(options: MapOptions | null | undefined): CheckedMapOptions {
  if (options === undefined || options === null) return { timeout: undefined, chunksize: undefined, buffersize: undefined };
  if (typeof options !== 'object') {
    throw new TypeError(`map() options must be an object such as { timeout, chunksize, buffersize }, got ${describe(options)}`);
  }
  const timeout = checkTimeout(options.timeout);
  const { chunksize, buffersize } = options;
  if (chunksize !== undefined && (!Number.isInteger(chunksize) || chunksize < 1)) {
    throw new ValueError(`chunksize must be >= 1, got ${String(chunksize)}`);
  }
  if (buffersize !== undefined) {
    if (typeof buffersize !== 'number' || !Number.isInteger(buffersize)) {
      throw new TypeError(`buffersize must be an integer or undefined, got ${String(buffersize)}`);
    }
    if (buffersize < 1) throw new ValueError(`buffersize must be undefined or > 0, got ${buffersize}`);
  }
  return { timeout, chunksize, buffersize };
}

/**
 * The results of `map`, in input order (a `for await` loop reads them). Leaving the loop early
 * cancels the calls that have not started.
 */
export class MapIterator<R> implements AsyncIterableIterator<R> {
  readonly #host: Backend;
  readonly #fn: unknown;
  readonly #mode: MapMode;
  readonly #taskOptions: TaskOptions | undefined;
  readonly #fixedChunk: number | undefined;
  readonly #buffersize: number | undefined;
  readonly #deadline: number | undefined;
  readonly #minOutstanding: number;
  /** Chunks sent and not settled, at most: a few milliseconds of work per worker (see #learn). */
  #maxOutstanding: number;
  #source: AnySource | undefined;
  /** The input when it is a plain array: read by index, a chunk at a time, not item by item. */
  #array: readonly unknown[] | undefined;
  #arrayAt = 0;
  #isAsync = false;
  #sourceDone = false;
  #sourceError: unknown = noSourceError;
  #pulling = false;
  #pulled = 0;
  #chunkSize = 1;
  #perItemMs: number | undefined;
  readonly #chunks = new RingQueue<Chunk>(16);
  /** Completed chunks in completion order (unordered mode). */
  readonly #completed = new RingQueue<Chunk>(16);
  /** Chunks sent and not settled yet. */
  readonly #pending = new Set<Chunk>();
  /** Items pulled and not yet yielded. */
  #held = 0;
  #closed = false;
  /**
   * The chunk being yielded, when its next values can be handed out with no further check: it is
   * at the front, settled, and every item of it succeeded. `next()` answers from it directly.
   */
  #fast: Chunk | undefined;
  /** The next call gives the event loop a turn first (see #breatheIfDue). */
  #breathe = false;
  #breatheAt = 0;
  #wake: (() => void) | undefined;
  /** Set while the executor counts this map as submitted in full; closed once input is done. */
  #admission: MapAdmission | undefined;

  /** @internal */
  constructor(host: Backend, fn: unknown, source: Iterable<unknown> | AsyncIterable<unknown>, mapOptions: MapOptions | null | undefined,
    mode: Partial<MapMode> = {}, taskOptions?: TaskOptions) {
    const options = checkMapOptions(mapOptions);
    // Python's map submits every call inside map(): after shutdown, the call itself raises.
    host._checkOpen();
    this.#host = host;
    this.#fn = fn;
    this.#mode = { star: false, unordered: false, continueOnError: false, outcomes: false, ...mode };
    this.#taskOptions = taskOptions;
    // A per-task timeout is for each item: without an explicit chunksize, one item per task.
    this.#fixedChunk = options.chunksize ?? (host._timed(taskOptions) ? 1 : undefined);
    this.#buffersize = options.buffersize;
    if (this.#fixedChunk !== undefined) this.#chunkSize = this.#fixedChunk;
    this.#deadline = options.timeout === undefined ? undefined : performance.now() + options.timeout;
    this.#minOutstanding = Math.max(4, host._parallelism() * 3);
    this.#maxOutstanding = this.#minOutstanding;
    if (source !== null && typeof source === 'object' && Symbol.asyncIterator in source) {
      this.#source = (source)[Symbol.asyncIterator]();
      this.#isAsync = true;
    } else if (source !== null && source !== undefined && typeof (source)[Symbol.iterator] === 'function') {
      this.#source = (source)[Symbol.iterator]();
      if (isPlainArray(source, this.#source)) this.#array = source;
    } else {
      throw new TypeError(`map() needs an iterable or async iterable input, got ${source === null ? 'null' : typeof source}`);
    }
    // Python submits every call when map() is called; start now, not at the first next(). The
    // input is pulled over time, so the executor must go on accepting this map's chunks after a
    // shutdown (`with executor: results = executor.map(...)`, then iterate, is common Python).
    if (this.#buffersize === undefined) this.#admission = host._admitMap();
    this.#pump();
  }

  /** The iterator itself: `for await (const r of executor.map(…))`. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Collects every result into an array (Python's `list(executor.map(...))`). */
  async toArray(): Promise<R[]> {
    const out: R[] = [];
    for await (const value of this) out.push(value);
    return out;
  }

  /**
   * The next result in input order, once it is ready.
   *
   * @returns `{ done: false, value }`, or `{ done: true }` after the last item.
   * @throws the item's own error when its call failed (the calls not started yet are then
   * cancelled and the iterator ends); `TimeoutError` once the map's `timeout` has passed;
   * `CancelledError` if the executor was shut down with `cancelFutures`.
   */
  next(): Promise<IteratorResult<R>> {
    // The common case, once per item: a value of the current chunk is ready and no other call waits.
    // The last item of a chunk goes the long way, which moves on to the next chunk.
    const chunk = this.#fast;
    if (chunk !== undefined && this.#turns.waiting === 0) {
      const at = chunk.pos;
      if (at < chunk.size - 1) {
        chunk.pos = at + 1;
        this.#held--;
        return Promise.resolve({ done: false, value: (chunk.plain as ArrayLike<R>)[at] as R });
      }
    }
    return this.#turns.next();
  }

  /**
   * The next result if it is ready now and no `next()` call is pending; `undefined` otherwise
   * (then call `next()`). A consumer that reads results in a loop saves a promise and a microtask
   * per item. Throws what `next()` would reject with.
   * @internal
   */
  nextSync(): IteratorResult<R> | undefined {
    return this.#turns.waiting === 0 ? this.#step() : undefined;
  }

  /** Calls in flight at once take turns, as an async generator's do. */
  readonly #turns = new OrderedNext<R>(() => this.#step(), () => this.#sleep());

  #step(): IteratorResult<R> | undefined {
    if (this.#closed) return { done: true, value: undefined };
    if (this.#breathe) return undefined;
    return this.#mode.unordered ? this.#nextUnordered() : this.#nextOrdered();
  }

  /** Stops: nothing more is pulled from the input, and calls that have not started are cancelled. */
  return(): Promise<IteratorResult<R>> {
    this.#close();
    return Promise.resolve({ done: true, value: undefined });
  }

  /** One step in input order; `undefined` means "wait". */
  #nextOrdered(): IteratorResult<R> | undefined {
    const head = this.#chunks.peek();
    if (head === undefined) return this.#endOfInput();
    if (!head.settled) return undefined;
    return this.#take(head, this.#chunks);
  }

  /** One step in completion order. */
  #nextUnordered(): IteratorResult<R> | undefined {
    const head = this.#completed.peek();
    if (head === undefined) return this.#pending.size === 0 ? this.#endOfInput() : undefined;
    return this.#take(head, this.#completed);
  }

  /** Yields the next item of a settled chunk at the front of `queue`, or throws its error. */
  #take(chunk: Chunk, queue: RingQueue<Chunk>): IteratorResult<R> {
    const at = chunk.pos++;
    this.#held--;
    if (chunk.pos === chunk.size) {
      queue.shift();
      this.#fast = undefined;
      // Once per chunk: results that came in while the consumer read this one settle their chunks,
      // and their workers get more to do, before the consumer needs them.
      if (this.#host._poll?.() !== true) this.#breatheIfDue();
      this.#pump();
    } else if (chunk.plain !== undefined && !this.#mode.outcomes) {
      this.#fast = chunk;
    }
    const index = chunk.base + at;
    let failed = chunk.failure !== undefined;
    let error: unknown = chunk.failure;
    let value: unknown;
    if (chunk.plain !== undefined) {
      value = chunk.plain[at];
    } else if (!failed) {
      const outcome = chunk.outcome as ChunkOutcome;
      if (outcome.errors?.has(at) === true) {
        failed = true;
        error = outcome.errors.get(at);
      } else {
        value = outcome.bools === true ? outcome.values[at] === 1 : outcome.values[at];
      }
    }
    if (this.#mode.outcomes) {
      return { done: false, value: (failed ? { index, ok: false, error } : { index, ok: true, value }) as R };
    }
    if (failed) {
      if (!this.#mode.continueOnError) this.#close();
      throw error;
    }
    return { done: false, value: value as R };
  }

  #endOfInput(): IteratorResult<R> | undefined {
    if (this.#sourceError !== noSourceError) {
      const error = this.#sourceError;
      this.#sourceError = noSourceError;
      this.#close();
      throw error;
    }
    if (this.#sourceDone || this.#closed) {
      this.#closed = true;
      return { done: true, value: undefined };
    }
    return undefined;
  }

  /**
   * Where results can only come in through the event loop (a process's pipe), gives it a turn every
   * {@link BREATHE_MS} of reading: a consumer that finds every result ready runs in microtasks only,
   * and would leave the results that arrive meanwhile, and the workers that wait for more work
   * behind them, until it runs dry.
   */
  #breatheIfDue(): void {
    const now = performance.now();
    if (now < this.#breatheAt) return;
    this.#breatheAt = now + BREATHE_MS;
    this.#breathe = true;
  }

  #sleep(): Promise<void> {
    if (this.#breathe) {
      this.#breathe = false;
      return new Promise<void>((resolve) => setImmediate(resolve));
    }
    return new Promise<void>((resolve, reject) => {
      let timer: Timer | undefined;
      const expire = (): void => {
        this.#wake = undefined;
        this.#close();
        reject(new TimeoutError('map() did not finish within its timeout'));
      };
      if (this.#deadline !== undefined) {
        const left = this.#deadline - performance.now();
        if (left <= 0) {
          expire();
          return;
        }
        timer = startTimer(expire, left);
      }
      this.#wake = () => {
        this.#wake = undefined;
        timer?.clear();
        resolve();
      };
    });
  }

  #notify(): void {
    this.#wake?.();
  }

  /** Tells the executor once this map will submit nothing more. */
  #closeAdmission(): void {
    const admission = this.#admission;
    if (admission === undefined || !(this.#sourceDone || this.#closed)) return;
    this.#admission = undefined;
    admission.close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fast = undefined;
    this.#closeAdmission();
    for (const chunk of this.#pending) chunk.future.cancel();
    this.#pending.clear();
    this.#chunks.drain();
    this.#completed.drain();
    const source = this.#source;
    this.#source = undefined;
    if (source?.return !== undefined && !this.#sourceDone) {
      try {
        const r = source.return();
        if (r instanceof Promise) r.catch(() => {});
      } catch {
        // Closing the input is best effort; its own error does not matter any more.
      }
    }
    // A next() may be waiting (return() called while it was pending): it must end, not hang.
    this.#notify();
  }

  /** How many items the next chunk may take now (0: do not pull). */
  #room(): number {
    if (this.#closed || this.#sourceDone || this.#pending.size >= this.#maxOutstanding) return 0;
    if (this.#buffersize === undefined) return this.#chunkSize;
    return Math.min(this.#chunkSize, this.#buffersize - this.#held);
  }

  #pump(): void {
    if (this.#pulling || this.#source === undefined) return;
    if (this.#isAsync) {
      void this.#pumpAsync();
      return;
    }
    if (this.#array !== undefined) {
      this.#pumpArray(this.#array);
      return;
    }
    const source = this.#source as Iterator<unknown>;
    for (let room = this.#room(); room > 0; room = this.#room()) {
      const items: unknown[] = [];
      try {
        while (items.length < room) {
          const step = source.next();
          if (step.done === true) {
            this.#sourceDone = true;
            break;
          }
          items.push(step.value);
        }
      } catch (error) {
        this.#sourceDone = true;
        this.#sourceError = error;
      }
      if (items.length > 0) this.#submit(items);
      if (this.#sourceDone) this.#notify();
    }
    this.#closeAdmission();
  }

  /**
   * `#pump` over an array: the same items an array iterator would give at this moment (it too reads
   * the length at every step), copied a chunk at a time.
   */
  #pumpArray(array: readonly unknown[]): void {
    for (let room = this.#room(); room > 0; room = this.#room()) {
      const start = this.#arrayAt;
      const end = Math.min(array.length, start + room);
      // Done only when the input fell short, as an iterator is: items appended later are still read.
      if (end - start < room) this.#sourceDone = true;
      if (end > start) {
        const items = new Array<unknown>(end - start);
        for (let i = start; i < end; i++) items[i - start] = array[i];
        this.#arrayAt = end;
        this.#submit(items);
      }
      if (this.#sourceDone) this.#notify();
    }
    this.#closeAdmission();
  }

  async #pumpAsync(): Promise<void> {
    this.#pulling = true;
    const source = this.#source as AsyncIterator<unknown>;
    let items: unknown[] = [];
    let armed = false;
    // Do not hold a partial chunk back waiting for a slow input: once per burst, an immediate sends
    // what has gathered if the input has not filled the chunk by then. (One immediate per burst,
    // not one race per item: a race per item costs a few objects per line of input.)
    const flushLater = (): void => {
      if (armed) return;
      armed = true;
      const partial = items;
      setImmediate(() => {
        armed = false;
        if (items === partial && items.length > 0 && !this.#closed) {
          this.#submit(items);
          items = [];
        }
      });
    };
    try {
      while (!this.#closed) {
        const room = this.#room();
        if (items.length > 0 && items.length >= room) {
          this.#submit(items);
          items = [];
          continue;
        }
        if (room <= 0) break;
        if (items.length > 0) flushLater();
        const step = await source.next();
        if (this.#closed) return;
        if (step.done === true) {
          this.#sourceDone = true;
          break;
        }
        items.push(step.value);
      }
      if (items.length > 0 && !this.#closed) this.#submit(items);
      // A pending immediate must not send the last chunk a second time.
      items = [];
    } catch (error) {
      this.#sourceDone = true;
      // Every item taken before the error runs and yields its result; the error comes after them.
      if (items.length > 0 && !this.#closed) this.#submit(items);
      items = [];
      if (this.#sourceError === noSourceError) this.#sourceError = error;
    } finally {
      this.#pulling = false;
      this.#closeAdmission();
    }
    this.#notify();
  }

  #submit(items: unknown[]): void {
    const kind: TaskKind = this.#mode.star ? 'starchunk' : 'chunk';
    let future: Future<unknown>;
    try {
      future = this.#admission !== undefined
        ? this.#admission.schedule(this.#fn, items, kind, this.#taskOptions)
        : this.#host._schedule(this.#fn, items, kind, this.#taskOptions);
    } catch (error) {
      // Bad arguments or a shut-down executor: the error surfaces at this position.
      this.#sourceDone = true;
      this.#sourceError = error;
      return;
    }
    const chunk: Chunk = {
      base: this.#pulled, size: items.length, future, outcome: undefined, plain: undefined, failure: undefined, settled: false, pos: 0,
    };
    this.#pulled += items.length;
    this.#held += items.length;
    this.#pending.add(chunk);
    if (!this.#mode.unordered) this.#chunks.push(chunk);
    future._listen(() => this.#settle(chunk));
  }

  #settle(chunk: Chunk): void {
    if (!this.#pending.delete(chunk)) return;
    chunk.settled = true;
    const outcome = chunk.future._outcome();
    if (outcome.ok) {
      const result = outcome.value as ChunkOutcome;
      chunk.outcome = result;
      // Decoded once for the whole chunk, so that yielding an item is one read.
      if (result.errors === null) chunk.plain = result.bools === true ? decodeBools(result.values) : result.values;
      this.#learn(chunk);
    } else {
      chunk.failure = outcome.error;
    }
    if (this.#mode.unordered) this.#completed.push(chunk);
    this.#pump();
    this.#notify();
  }

  /** Grows (or shrinks) the chunk size from the measured cost per item. */
  #learn(chunk: Chunk): void {
    if (chunk.outcome === undefined) return;
    const perItem = chunk.outcome.ms / chunk.size;
    this.#perItemMs = this.#perItemMs === undefined ? perItem : 0.5 * this.#perItemMs + 0.5 * perItem;
    const target = this.#host._chunkTargetMs(this.#deadline !== undefined);
    let aimed = this.#chunkSize;
    if (this.#fixedChunk === undefined) {
      aimed = this.#perItemMs <= 0 ? MAX_CHUNK : Math.max(1, Math.min(MAX_CHUNK, Math.floor(target / this.#perItemMs)));
      this.#chunkSize = Math.min(aimed, this.#chunkSize * GROWTH);
    }
    // Quick chunks: keep about 8 ms of work per worker in flight, so that a worker finds its next
    // chunk waiting instead of sleeping until the program sends one. Counted in the
    // chunks the size is growing toward, not the small ones of the first steps: else a quick
    // function fills the look-ahead with a thousand chunks of 8 items, each a task to send and settle.
    const chunkMs = this.#perItemMs * aimed;
    const wanted = chunkMs <= 0 ? MAX_OUTSTANDING : Math.ceil((AHEAD_MS * this.#host._parallelism()) / chunkMs);
    this.#maxOutstanding = Math.max(this.#minOutstanding, Math.min(MAX_OUTSTANDING, wanted));
  }
}

/** `source` is an array whose iteration nobody changed: reading it by index gives what iterating it gives. */
function isPlainArray(source: unknown, iterator: unknown): source is readonly unknown[] {
  return Array.isArray(source) && Object.getPrototypeOf(iterator) === arrayIteratorPrototype && arrayIteratorPrototype.next === arrayIteratorNext
    && (source as unknown[])[Symbol.iterator] === arrayValues;
}

const arrayValues = Array.prototype[Symbol.iterator];
const arrayIteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]()) as { next: unknown };
const arrayIteratorNext = arrayIteratorPrototype.next;

function decodeBools(values: ArrayLike<unknown>): boolean[] {
  const out = new Array<boolean>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] === 1;
  return out;
}
