/**
 * `FnClock`: how long each function takes in this worker, and which may be long.
 *
 * A task's result should leave the worker as soon as the task ends, yet a message per tiny task
 * would cost more than the tasks. So results of quick tasks wait for a little company, and a task
 * that may be long is *bracketed*: what came before it is reported before it starts, its own
 * result right after it ends. A function counts as quick once its last few calls in this worker
 * were all short; a function never seen here, or whose last call was long, may be long. The guess
 * only decides when messages leave: it is never a reason to run a task twice or not at all.
 *
 * Functions are known by a small integer key (the pool's function id, and whether the task is a
 * plain call or a map chunk: the two take very different times).
 *
 * @module
 */

/** A call at least this long (ms) makes its function one that may be long. */
const SLOW_MS = 0.5;
/** Consecutive short calls after which a function counts as quick. */
const QUICK_STREAK = 4;
/** Keys are small indexes given by the main side; anything larger is not worth a table entry. */
const MAX_KEY = 1 << 21;

export class FnClock {
  /** Per key: consecutive short calls so far, capped at {@link QUICK_STREAK}. */
  #streaks = new Uint8Array(64);
  /** Per key: a running average of its calls' duration in ms (NaN until the first call). */
  #means = new Float64Array(64).fill(Number.NaN);
  /** Per key: 1 once the main side has been told how long it takes. */
  #told = new Uint8Array(64);
  /** Since the last message: `[key, total ms, calls, …]`. */
  #window: number[] = [];
  #fresh = false;

  /** `true` when the next call under `key` may be long. */
  mayBeLong(key: number): boolean {
    return !(key < this.#streaks.length) || (this.#streaks[key] as number) < QUICK_STREAK;
  }

  /** The average duration of calls under `key`, in ms; NaN when none ran yet. */
  meanMs(key: number): number {
    return key < this.#means.length ? this.#means[key] as number : Number.NaN;
  }

  /** Records one call under `key` that took `ms`. */
  record(key: number, ms: number): void {
    if (!Number.isInteger(key) || key < 0 || key > MAX_KEY) return;
    if (key >= this.#streaks.length) this.#grow(key + 1);
    const streak = this.#streaks[key] as number;
    this.#streaks[key] = ms >= SLOW_MS ? 0 : Math.min(QUICK_STREAK, streak + 1);
    const mean = this.#means[key] as number;
    this.#means[key] = Number.isNaN(mean) ? ms : 0.8 * mean + 0.2 * ms;
    const window = this.#window;
    for (let i = 0; i < window.length; i += 3) {
      if (window[i] === key) {
        (window[i + 1] as number) += ms;
        (window[i + 2] as number)++;
        return;
      }
    }
    window.push(key, ms, 1);
    if (this.#told[key] === 0) this.#fresh = true;
  }

  /** A key ran since the last message that the main side has never been told about. */
  get fresh(): boolean {
    return this.#fresh;
  }

  /** The times to send since the last message, `[key, mean ms, …]`, or `undefined`; starts a new window. */
  take(): number[] | undefined {
    const window = this.#window;
    if (window.length === 0) return undefined;
    const out: number[] = [];
    for (let i = 0; i < window.length; i += 3) {
      const key = window[i] as number;
      out.push(key, (window[i + 1] as number) / (window[i + 2] as number));
      this.#told[key] = 1;
    }
    this.#window = [];
    this.#fresh = false;
    return out;
  }

  #grow(size: number): void {
    const length = Math.max(size, this.#streaks.length * 2);
    const streaks = new Uint8Array(length);
    streaks.set(this.#streaks);
    const means = new Float64Array(length).fill(Number.NaN);
    means.set(this.#means);
    const told = new Uint8Array(length);
    told.set(this.#told);
    this.#streaks = streaks;
    this.#means = means;
    this.#told = told;
  }
}
