/**
 * Items done, failed and retried in a run of `concurrent-ts map`, shown on the progress bar, and
 * what a failure does to the run: by default the first one stops it; `--keep-going` goes on;
 * `--halt` goes on until that many items failed, then stops at once (`now`) or reads no more
 * input (`soon`).
 *
 * @module
 */
import { CliError, EXIT } from './cli-error.js';
import type { HaltPolicy } from './halt-policy.js';
import { clip, type InputRecord } from './input.js';
import type { ProgressBar } from './progress.js';

/** Where the tally reports. */
export interface TallyOutput {
  readonly bar: ProgressBar | undefined;
  /** A line on stderr. */
  note(text: string): void;
}

/** What to do once failures reach `--halt`'s threshold. */
export interface HaltRule {
  readonly policy: HaltPolicy;
  /** Failed items that halt the run. */
  readonly threshold: number;
  /** Stops reading input (`soon`). */
  readonly stopInput: () => void;
}

export class Tally {
  done = 0;
  failed = 0;
  retries = 0;
  /** Set once `--halt soon` stopped the input: the run ends with {@link EXIT.halted}. */
  halted = false;
  /** Items an earlier run did (`--resume`): the bar counts them as done. */
  readonly #before: number;
  readonly #out: TallyOutput;
  readonly #keepGoing: boolean;
  readonly #halt: HaltRule | undefined;

  constructor(out: TallyOutput, keepGoing: boolean, halt: HaltRule | undefined, before = 0) {
    this.#out = out;
    this.#keepGoing = keepGoing;
    this.#halt = halt;
    this.#before = before;
    if (out.bar !== undefined) out.bar.done = before;
  }

  succeed(): void {
    this.done++;
    const bar = this.#out.bar;
    if (bar !== undefined) bar.done = this.#before + this.done + this.failed;
  }

  retried(): void {
    this.retries++;
    const bar = this.#out.bar;
    if (bar !== undefined) bar.retries = this.retries;
  }

  /**
   * Counts a failed item and reports it.
   *
   * @throws {CliError} naming the line (exit code 1) without `--keep-going` or `--halt`; saying
   * why the run halted (exit code 3) once `--halt now`'s threshold is reached.
   */
  fail(record: InputRecord, what: string): void {
    this.failed++;
    const bar = this.#out.bar;
    if (bar !== undefined) {
      bar.done = this.#before + this.done + this.failed;
      bar.failed = this.failed;
    }
    const text = `line ${record.line} (${clip(record.text)}): ${what}`;
    const halt = this.#halt;
    if (halt === undefined) {
      if (!this.#keepGoing) throw new CliError(text, EXIT.failed);
      this.#out.note(text);
      return;
    }
    this.#out.note(text);
    if (this.failed < halt.threshold || this.halted) return;
    const why = `halted: ${this.failed} ${this.failed === 1 ? 'item' : 'items'} failed (--halt ${halt.policy.text})`;
    this.halted = true;
    if (halt.policy.when === 'now') throw new CliError(why, EXIT.halted);
    this.#out.note(`${why}; the items already read finish first`);
    halt.stopInput();
  }
}
