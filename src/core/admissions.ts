/**
 * The shutdown rules every executor shares, written once: after `shutdown()` new work is refused,
 * except the chunks of a map admitted before it (Python submits every call inside `map()`, so
 * `with executor: results = executor.map(…)`, read afterwards, runs them all); `cancelFutures`
 * withdraws those admissions too; shutdown waits until every admitted map has closed.
 *
 * @module
 */
import { RuntimeError } from '../errors.js';
import type { MapAdmission, TaskKind, TaskOptions } from './backend.js';
import type { Future } from './future.js';

/** The executor's own scheduling, told which admission (if any) a task comes through. */
type AdmittedSchedule = (fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined,
  admission: MapAdmission | null) => Future<unknown>;

/** One executor's shutdown state and open map admissions. */
export class Admissions {
  readonly #schedule: AdmittedSchedule;
  readonly #closed: () => void;
  readonly #open = new Set<MapAdmission>();
  #shutdown = false;

  /**
   * @param schedule - the executor's scheduling; it calls {@link Admissions.check} with the admission.
   * @param closed - called when an admitted map closes: a waiting shutdown may now finish.
   */
  constructor(schedule: AdmittedSchedule, closed: () => void) {
    this.#schedule = schedule;
    this.#closed = closed;
  }

  /** `shutdown()` has been called. */
  get shutDown(): boolean {
    return this.#shutdown;
  }

  /** Maps admitted and not closed: shutdown waits for them. */
  get openMaps(): number {
    return this.#open.size;
  }

  /**
   * Throws once the executor is shut down, unless `admission` is a map admitted before and still open.
   *
   * @throws {RuntimeError} `cannot schedule new futures after shutdown`.
   */
  check(admission: MapAdmission | null): void {
    if (this.#shutdown && (admission === null || !this.#open.has(admission))) {
      throw new RuntimeError('cannot schedule new futures after shutdown');
    }
  }

  /** Admits a map; after shutdown the admission is already withdrawn (its chunks are refused). */
  admit(): MapAdmission {
    const admission: MapAdmission = {
      schedule: (fn, args, kind, options) => this.#schedule(fn, args, kind, options, admission),
      close: () => {
        if (this.#open.delete(admission)) this.#closed();
      },
    };
    if (!this.#shutdown) this.#open.add(admission);
    return admission;
  }

  /** Refuses new work from now on; with `cancelFutures`, the admitted maps' chunks too. */
  shutdown(cancelFutures: boolean): void {
    this.#shutdown = true;
    if (cancelFutures) this.#open.clear();
  }
}
