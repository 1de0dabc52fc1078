/**
 * Where and when each item of `concurrent-ts map` ran, for `--joblog`: the map sends items in
 * chunks, and the executor's `onTask` events say when and on which worker each chunk ran. An item
 * gets its chunk's worker and start, and its share of the chunk's time (exact with one item per
 * chunk). A retry is a call of its own and is followed the same way.
 *
 * @module
 */
import type { Executor } from '../core/executor.js';
import type { Future } from '../core/future.js';
import type { TaskEvent } from '../core/task-events.js';
import type { RecordTail } from './joblog.js';

/** Where and when a task ran, as well as the run knows it. */
export interface RunInfo {
  /** The worker's name; `null` where the executor does not say (a Redis queue). */
  worker: string | null;
  /** When it started on the worker (epoch ms), or when it was sent there if the executor does not say. */
  start: number;
  /** When it ended (epoch ms). */
  end: number;
  /** Items it covered (a batch of the main thread's ends early when its run does). */
  items: number;
  /**
   * The joblog's bytes for a successful first attempt of one of its items, between the line
   * number and the end (`okOutTail`: and the size of `--output`); made once per chunk.
   */
  okTail: RecordTail | undefined;
  okOutTail: RecordTail | undefined;
}

interface ChunkEntry {
  readonly first: number;
  readonly info: RunInfo;
  /** Its items looked up so far: the entry goes once all of them were. */
  taken: number;
}

/** Follows an executor's map chunks (by item index) and the calls it is asked to watch. */
export class TaskRuns {
  /** Chunks not fully looked up, by first item index (submission order is index order). */
  readonly #chunks: ChunkEntry[] = [];
  #head = 0;
  #items = 0;
  readonly #byFuture = new Map<Future<unknown>, RunInfo>();
  readonly #watched = new Set<Future<unknown>>();
  readonly #stop: () => void;

  constructor(executor: Executor) {
    this.#stop = executor.onTask((event) => this.#on(event));
  }

  stop(): void {
    this.#stop();
  }

  /** Follows `future`, a call submitted by the run (a retry): {@link callRun} tells where it ran. */
  watch(future: Future<unknown>): void {
    this.#watched.add(future);
  }

  /** Where the watched call ran, once it has settled; forgets it. */
  callRun(future: Future<unknown>): RunInfo | undefined {
    this.#watched.delete(future);
    const info = this.#byFuture.get(future);
    this.#byFuture.delete(future);
    return info;
  }

  /** Items covered so far: the index of the next chunk's first item. */
  get items(): number {
    return this.#items;
  }

  /**
   * Items `first` on (up to `items` of them) run on the main thread (a cheap function, see
   * inline-switch.ts) from `start` (epoch ms), about `ms` each: a batch, like a chunk on a worker,
   * so that the joblog formats its time once. {@link inlineEnd} ends it early.
   */
  inline(first: number, items: number, start: number, ms: number): void {
    this.#chunks.push({ first, info: { worker: 'main', start, end: start + ms * items, items, okTail: undefined, okOutTail: undefined }, taken: 0 });
    this.#items = first + items;
  }

  /** The main thread's batch (if any) ends before item `next`, where the next batch or chunk starts. */
  inlineEnd(next: number): void {
    const last = this.#chunks.at(-1);
    if (last !== undefined && last.info.worker === 'main' && this.#chunks.length > this.#head && last.first + last.info.items > next) {
      const info = last.info;
      const ms = (info.end - info.start) / info.items;
      info.items = Math.max(0, next - last.first);
      info.end = info.start + ms * info.items;
      this.#dropTaken();
    }
    this.#items = next;
  }

  /** The run of the chunk that held item `index` (each index is looked up once). */
  itemRun(index: number): RunInfo | undefined {
    const chunks = this.#chunks;
    let at = this.#head;
    // In input order the item is in the head chunk; out of order, search.
    const headEntry = chunks[at];
    if (headEntry === undefined) return undefined;
    if (index < headEntry.first || index >= headEntry.first + headEntry.info.items) {
      let lo = this.#head;
      let hi = chunks.length - 1;
      at = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const entry = chunks[mid] as ChunkEntry;
        if (index < entry.first) hi = mid - 1;
        else if (index >= entry.first + entry.info.items) lo = mid + 1;
        else {
          at = mid;
          break;
        }
      }
      if (at < 0) return undefined;
    }
    const entry = chunks[at] as ChunkEntry;
    entry.taken++;
    if (entry.taken === entry.info.items && at === this.#head) this.#dropTaken();
    return entry.info;
  }

  /** Drops the fully looked-up chunks at the head; compacts the array now and then. */
  #dropTaken(): void {
    const chunks = this.#chunks;
    while (this.#head < chunks.length && (chunks[this.#head] as ChunkEntry).taken === (chunks[this.#head] as ChunkEntry).info.items) this.#head++;
    if (this.#head > 1024 && this.#head * 2 > chunks.length) {
      chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #on(event: TaskEvent): void {
    const task = event.task;
    if (event.type === 'submitted') {
      if (task.kind === 'call') return;
      const info: RunInfo = { worker: null, start: event.at, end: event.at, items: task.items, okTail: undefined, okOutTail: undefined };
      this.#chunks.push({ first: this.#items, info, taken: 0 });
      this.#items += task.items;
      this.#byFuture.set(task.future, info);
      return;
    }
    if (task.kind === 'call' && !this.#watched.has(task.future)) return;
    if (event.type === 'started') {
      let info = this.#byFuture.get(task.future);
      if (info === undefined) {
        info = { worker: null, start: event.at, end: event.at, items: 1, okTail: undefined, okOutTail: undefined };
        this.#byFuture.set(task.future, info);
      }
      info.worker = event.worker ?? null;
      info.start = event.at;
    } else if (event.type === 'settled') {
      let info = this.#byFuture.get(task.future);
      if (task.kind !== 'call') this.#byFuture.delete(task.future);
      if (info === undefined) {
        info = { worker: null, start: event.at, end: event.at, items: 1, okTail: undefined, okOutTail: undefined };
        this.#byFuture.set(task.future, info);
      }
      const run = event.run;
      if (run !== undefined) {
        info.worker = run.worker;
        info.start = run.start;
        info.end = run.end;
      } else {
        info.end = event.at;
      }
    }
  }
}
