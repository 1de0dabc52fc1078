/**
 * A growable ring buffer: O(1) push, pop, shift and unshift at both ends, no per-item allocation.
 * Pending work waits here; `Array#shift` would be O(n) on a queue of 100,000 tasks.
 *
 * @module
 */
export class RingQueue<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #size = 0;

  constructor(capacity = 64) {
    this.#items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  push(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    this.#size++;
  }

  /** Puts `item` at the front, to be taken next. */
  unshift(item: T): void {
    if (this.#size === this.#items.length) this.#grow();
    this.#head = (this.#head - 1 + this.#items.length) % this.#items.length;
    this.#items[this.#head] = item;
    this.#size++;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    // Careful not to keep a reference to the taken item: the slot would pin it in memory.
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return item;
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the item at the back (the last pushed). */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    const at = (this.#head + this.#size - 1) % this.#items.length;
    const item = this.#items[at];
    this.#items[at] = undefined;
    this.#size--;
    return item;
  }

  /** The item at the back, without removing it. */
  peekLast(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[(this.#head + this.#size - 1) % this.#items.length];
  }

  /** The item `index` places from the front (0 is the front), or `undefined`. */
  at(index: number): T | undefined {
    return index >= 0 && index < this.#size ? this.#items[(this.#head + index) % this.#items.length] : undefined;
  }

  /** Removes and returns every item, front first. */
  drain(): T[] {
    const out: T[] = [];
    while (this.#size > 0) out.push(this.shift() as T);
    return out;
  }

  #grow(): void {
    const old = this.#items;
    const next = new Array<T | undefined>(old.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) % old.length];
    this.#items = next;
    this.#head = 0;
  }
}
