/**
 * `TaskTiming`: how long a task of each function takes, as measured by the workers; the pool's
 * basis for how much to send a worker at once.
 *
 * Keyed by `timingKey` (the function, and whether the task is a plain call or a map chunk), as the
 * worker's own clock is. A key never measured is unknown, which the pool treats as possibly long.
 *
 * @module
 */

export class TaskTiming {
  /** Per key: a running average of the time per task in ms (NaN: never measured). */
  #means = new Float64Array(16).fill(Number.NaN);

  /** The expected time of a task under `key`, in ms, or `undefined` when never measured. */
  predict(key: number): number | undefined {
    const mean = key < this.#means.length ? this.#means[key] as number : Number.NaN;
    return Number.isNaN(mean) ? undefined : mean;
  }

  /** A task (or the average of several) under `key` took `ms`. */
  record(key: number, ms: number): void {
    if (key >= this.#means.length) {
      const grown = new Float64Array(Math.max(key + 1, this.#means.length * 2)).fill(Number.NaN);
      grown.set(this.#means);
      this.#means = grown;
    }
    const mean = this.#means[key] as number;
    this.#means[key] = Number.isNaN(mean) ? ms : 0.7 * mean + 0.3 * ms;
  }
}
