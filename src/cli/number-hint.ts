/**
 * A note for a likely mistake: `concurrent-ts map tasks.js#isPrime --input nums.txt` without
 * `--json` passes each line as a string, and `isPrime("2")` is `false` where `isPrime(2)` is
 * `true`: a wrong answer with no error. When the first lines of the input are all JSON numbers,
 * the CLI says so once on stderr.
 *
 * @module
 */

/** How many lines are looked at, at most: enough to tell numbers from text, few enough to say it early. */
export const SAMPLE_LINES = 64;

const JSON_NUMBER = /^\s*-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?\s*$/;

/** The note, as printed after `concurrent-ts: `. */
export function numberNote(example: string): string {
  return `the inputs are numbers, but without --json each line is passed as a string ` +
    `(${JSON.stringify(example)}, not ${example.trim()}); add --json to pass numbers (-q hides this note)`;
}

/**
 * Watches the input lines of a text-mode run and calls `say` once, with {@link numberNote}, when
 * the first {@link SAMPLE_LINES} lines (or all of them, if the input is shorter) are JSON numbers.
 */
export class NumberLinesHint {
  readonly #say: (note: string) => void;
  #seen = 0;
  #first: string | undefined;
  #decided = false;

  constructor(say: (note: string) => void) {
    this.#say = say;
  }

  /** A non-blank input line, in input order. */
  line(text: string): void {
    if (this.#decided) return;
    if (!JSON_NUMBER.test(text)) {
      this.#decided = true;
      return;
    }
    this.#first ??= text;
    if (++this.#seen >= SAMPLE_LINES) this.#tell();
  }

  /** The input has ended. */
  end(): void {
    if (!this.#decided && this.#seen > 0) this.#tell();
    this.#decided = true;
  }

  #tell(): void {
    this.#decided = true;
    this.#say(numberNote(this.#first ?? ''));
  }
}
