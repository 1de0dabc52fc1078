/**
 * The pool's queue once a task with a priority has been submitted: one FIFO per priority, the
 * most urgent (lowest number, `0` for tasks without one) served first. Until then the pool keeps
 * its single `RingQueue`, so a program that never uses priorities pays nothing for them.
 *
 * Strict priority: a steady stream of urgent tasks keeps less urgent ones waiting for as long as
 * it lasts (see priority.md in the docs).
 *
 * @module
 */
import { RingQueue } from '../core/ring-queue.js';

/** What the pool asks of its queue; `RingQueue` and {@link PriorityQueue} both provide it. */
export interface TaskQueue<T> {
  readonly size: number;
  push(item: T): void;
  /** Back to the front (of its priority): a task that never started goes round again first. */
  unshift(item: T): void;
  shift(): T | undefined;
  peek(): T | undefined;
  drain(): T[];
}

export class PriorityQueue<T> implements TaskQueue<T> {
  readonly #priorityOf: (item: T) => number;
  /** One FIFO per priority in use. */
  readonly #lanes = new Map<number, RingQueue<T>>();
  /** The priorities with a lane, ascending (few in practice: a sorted array beats a heap). */
  readonly #order: number[] = [];
  #size = 0;

  constructor(priorityOf: (item: T) => number) {
    this.#priorityOf = priorityOf;
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    this.#lane(this.#priorityOf(item)).push(item);
    this.#size++;
  }

  unshift(item: T): void {
    this.#lane(this.#priorityOf(item)).unshift(item);
    this.#size++;
  }

  peek(): T | undefined {
    return this.#front()?.peek();
  }

  shift(): T | undefined {
    const lane = this.#front();
    if (lane === undefined) return undefined;
    this.#size--;
    return lane.shift();
  }

  drain(): T[] {
    const out: T[] = [];
    for (const priority of this.#order) out.push(...(this.#lanes.get(priority) as RingQueue<T>).drain());
    this.#lanes.clear();
    this.#order.length = 0;
    this.#size = 0;
    return out;
  }

  /** The most urgent lane with something in it; empty lanes in front are dropped on the way. */
  #front(): RingQueue<T> | undefined {
    while (this.#order.length > 0) {
      const priority = this.#order[0] as number;
      const lane = this.#lanes.get(priority) as RingQueue<T>;
      if (lane.size > 0) return lane;
      this.#lanes.delete(priority);
      this.#order.shift();
    }
    return undefined;
  }

  #lane(priority: number): RingQueue<T> {
    let lane = this.#lanes.get(priority);
    if (lane === undefined) {
      lane = new RingQueue<T>(16);
      this.#lanes.set(priority, lane);
      let at = this.#order.length;
      while (at > 0 && (this.#order[at - 1] as number) > priority) at--;
      this.#order.splice(at, 0, priority);
    }
    return lane;
  }
}
