/**
 * The line number and text of every item between the input and the output, so that a result
 * prints with `{input}` and `{line}` and a failure names its line. At most `--buffersize` items
 * are held at once.
 *
 * In input order the items leave as they came, so they sit in a ring of two plain arrays: nothing
 * is allocated per item. Out of order (`--unordered`) a slow item may be overtaken by any number
 * of others, so they sit in a map, which holds only the items still out.
 *
 * @module
 */

/** Items read and not yet printed; {@link HeldInputs.take} fills `line` and `text`. */
export class HeldInputs {
  /** The line number of the item last taken. */
  line = 0;
  /** The text of the item last taken. */
  text = '';
  readonly #ordered: boolean;
  #lines: number[] = new Array<number>(1024).fill(0);
  #texts: string[] = new Array<string>(1024).fill('');
  #mask = 1023;
  /** Oldest index still held (ordered mode). */
  #first = 0;
  /** Next index expected by `put` (ordered mode). */
  #next = 0;
  readonly #map = new Map<number, { line: number; text: string }>();

  /** @param ordered - whether items are taken in the order they were put. */
  constructor(ordered: boolean) {
    this.#ordered = ordered;
  }

  /** Holds item `index` (indices are put in increasing order, without gaps). */
  put(index: number, line: number, text: string): void {
    if (!this.#ordered) {
      this.#map.set(index, { line, text });
      return;
    }
    if (this.#next - this.#first > this.#mask) this.#grow();
    this.#lines[index & this.#mask] = line;
    this.#texts[index & this.#mask] = text;
    this.#next = index + 1;
  }

  /** The line number of a held item (for the trace), or 0. */
  lineOf(index: number): number {
    if (!this.#ordered) return this.#map.get(index)?.line ?? 0;
    return index >= this.#first && index < this.#next ? (this.#lines[index & this.#mask] as number) : 0;
  }

  /** Lets go of item `index` and puts its line and text in {@link line} and {@link text}. */
  take(index: number): void {
    if (!this.#ordered) {
      const held = this.#map.get(index);
      this.#map.delete(index);
      this.line = held?.line ?? 0;
      this.text = held?.text ?? '';
      return;
    }
    const slot = index & this.#mask;
    this.line = this.#lines[slot] as number;
    this.text = this.#texts[slot] as string;
    // Drop the reference so that a long-gone line's string can be collected.
    this.#texts[slot] = '';
    this.#first = index + 1;
  }

  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const lines = new Array<number>(size).fill(0);
    const texts = new Array<string>(size).fill('');
    for (let i = this.#first; i < this.#next; i++) {
      lines[i & (size - 1)] = this.#lines[i & this.#mask] as number;
      texts[i & (size - 1)] = this.#texts[i & this.#mask] as string;
    }
    this.#lines = lines;
    this.#texts = texts;
    this.#mask = size - 1;
  }
}
