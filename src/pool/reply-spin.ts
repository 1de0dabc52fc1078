/**
 * `ReplySpin`: lets the main thread wait for a reply expected within microseconds by spinning
 * instead of sleeping in its event loop.
 *
 * A program that awaits one small task after another spends most of each round trip in two
 * wake-ups: the worker's and then its own, each of a halted virtual CPU. The worker side already
 * spins before it sleeps; this is the main side's half. After tasks are sent, and only when the
 * pool expects their first reply sooner than a spin lasts, it spins once in a `setImmediate` —
 * after the current tick's own work, before the event loop would block — polling the workers'
 * reply counters. A reply found is delivered right there.
 *
 * A spin that comes back empty is not a reason to stop: the worker was asleep after all, the
 * reply comes a few dozen microseconds later, and spinning again is how both sides get back in
 * step (a main side that stops spinning makes the worker's gaps long, which stops the worker
 * spinning, which makes the next main spin miss). What ends the spinning is a reply that comes
 * *late*, long after the spin gave up: the task was not small after all. Each such reply makes
 * the next spins rarer (doubling, up to {@link MAX_SKIP} chances skipped); a prompt one resets.
 *
 * @module
 */
import { SPIN_MS, spinAllowed, spinUntil } from '../sync/spin.js';

/** A reply this many spins' time after its spin started was not a small task's. */
const LATE_SPINS = 4;
/** Most chances to spin skipped after a run of late replies. */
const MAX_SKIP = 64;

/** How a spin is done, when not with {@link spinUntil} for {@link SPIN_MS}. */
export interface SpinOptions {
  /** How long a spin lasts, in milliseconds. */
  readonly ms: number;
  /** Spins: calls `ready` until it returns true (then returns true) or `ms` pass (false). */
  readonly spin: (ready: () => boolean, ms: number) => boolean;
}

export class ReplySpin {
  readonly #poll: () => boolean;
  readonly #now: () => number;
  readonly #ms: number;
  readonly #spinFor: (ready: () => boolean, ms: number) => boolean;
  #scheduled = false;
  /** Chances to skip before the next spin. */
  #skip = 0;
  /** Late replies in a row. */
  #late = 0;
  /** When the last empty spin started, until a reply comes; 0 when none is pending. */
  #missedAt = 0;

  /**
   * @param poll - delivers replies already sent; returns whether there were any.
   * @param now - the clock, in milliseconds, that tells a prompt reply from a late one.
   * @param options - how long and how to spin (a poll that costs microseconds checks the clock every time).
   */
  constructor(poll: () => boolean, now: () => number = () => performance.now(), options: SpinOptions = { ms: SPIN_MS, spin: spinUntil }) {
    this.#poll = poll;
    this.#now = now;
    this.#ms = options.ms;
    this.#spinFor = options.spin;
  }

  /** Tasks were just sent; their first reply should take about `expectedMs`. */
  sent(expectedMs: number): void {
    if (!spinAllowed || this.#scheduled || !(expectedMs < this.#ms / 2)) return;
    if (this.#skip > 0) {
      this.#skip--;
      return;
    }
    this.#scheduled = true;
    setImmediate(this.#spin);
  }

  /** A reply came, by whatever path. */
  replied(): void {
    if (this.#missedAt === 0) return;
    if (this.#now() - this.#missedAt < LATE_SPINS * this.#ms) {
      this.#late = 0;
    } else {
      this.#late++;
      this.#skip = Math.min(MAX_SKIP, 2 ** (this.#late - 1));
    }
    this.#missedAt = 0;
  }

  readonly #spin = (): void => {
    this.#scheduled = false;
    const start = this.#now();
    if (this.#spinFor(this.#poll, this.#ms)) this.#late = 0;
    else this.#missedAt = start;
  };
}
