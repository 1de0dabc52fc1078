/**
 * From the map's outcomes to the output and the joblog: each item's line is written (in input
 * order, unless `--unordered`) together with its joblog record; a failed item with `--retries`
 * left is tried again as a call of its own, and the items behind it wait for it (up to
 * `--buffersize` of them) so that the order holds.
 *
 * ```
 *  map outcome ─ ok ──────────────────────────────▶ pending (in order) ─▶ line + record
 *              └ failed ─ retries left? ─ yes ─▶ retry call ─▶ ok/failed ─┘
 *                                          └ no ─▶ failed ────────────────┘─▶ record, Tally.fail
 * ```
 *
 * @module
 */
import type { Future } from '../core/future.js';
import type { MapIterator, MapOutcome } from '../core/map-iterator.js';
import { describeThrown, firstLine } from './cli-error.js';
import type { HeldInputs } from './held-inputs.js';
import type { JobLog } from './joblog.js';
import type { ResumeState } from './joblog-reader.js';
import type { Formatter, ResultWriter } from './output.js';
import type { RunInfo, TaskRuns } from './task-runs.js';
import type { Tally } from './tally.js';

/** What the pipeline writes to and how it retries. */
export interface PipelineParts {
  readonly held: HeldInputs;
  readonly format: Formatter;
  readonly writer: ResultWriter;
  readonly tally: Tally;
  /** Where each item ran (with `--joblog` or `--retries`), and the log (with `--joblog`). */
  readonly runs: TaskRuns | undefined;
  readonly log: JobLog | undefined;
  /** With `--output FILE` and `--joblog`: the file's size, recorded with each result. */
  readonly outSize: (() => number) | undefined;
  /** Attempts of earlier runs (`--resume`), so that numbering goes on. */
  readonly resume: ResumeState | undefined;
  /** `--retries`: further attempts of a failed item. */
  readonly retries: number;
  /**
   * Schedules one more attempt of the item read as `text`, on another worker than `worker` (where
   * the last attempt ran, when known) where possible.
   */
  readonly retry: (text: string, worker: string | undefined) => Future<unknown>;
  readonly ordered: boolean;
  /** Items held behind a retry before the pipeline waits for it. */
  readonly limit: number;
}

/** An item whose outcome is known or awaited (a retry). */
interface Pending {
  readonly line: number;
  readonly text: string;
  attempt: number;
  ready: boolean;
  ok: boolean;
  value: unknown;
  error: unknown;
  run: RunInfo | undefined;
}

/**
 * Writes each outcome as it comes. Resolves with what stopped the run early (the first failure
 * without `--keep-going`, `--halt now`, a map timeout), or `undefined` when every item was written.
 */
export async function writeResults(results: Outcomes, parts: PipelineParts): Promise<unknown> {
  return new ResultPipeline(results, parts).run();
}

/** The outcomes the pipeline reads: a map's, or the map's and then the main thread's (inline-switch.ts). */
export type Outcomes = Pick<MapIterator<MapOutcome<unknown>>, 'next' | 'return'> & {
  /** The next outcome if it is there without waiting, else `undefined` (then `next()`). */
  nextSync?: () => IteratorResult<MapOutcome<unknown>> | undefined;
};

class ResultPipeline {
  readonly #results: Outcomes;
  readonly #p: PipelineParts;
  readonly #pending: Pending[] = [];
  #stop: unknown = undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  #full: Promise<void> | undefined;

  constructor(results: Outcomes, parts: PipelineParts) {
    this.#results = results;
    this.#p = parts;
  }

  async run(): Promise<unknown> {
    const { held, runs } = this.#p;
    const results = this.#results;
    const pending = this.#pending;
    /** A next() that lost a race against a retry: its outcome is the next one. */
    let asked: Promise<IteratorResult<MapOutcome<unknown>>> | undefined;
    while (!this.#stopped) {
      let step: IteratorResult<MapOutcome<unknown>> | undefined;
      try {
        // While retries are out, a failure of one of them can stop the run before the next outcome.
        if (pending.length === 0 && asked === undefined) step = results.nextSync?.() ?? await results.next();
        else {
          asked ??= results.next();
          step = await Promise.race([asked, this.#changed()]);
          if (step !== undefined) asked = undefined;
        }
      } catch (error) {
        this.#halt(error);
        break;
      }
      if (this.#stopped) break;
      if (step === undefined) continue;
      if (step.done === true) break;
      const outcome = step.value;
      held.take(outcome.index);
      const run = runs?.itemRun(outcome.index);
      const line = held.line;
      const text = held.text;
      const attempt = (this.#p.resume?.attempts(line) ?? 0) + 1;
      try {
        if (outcome.ok && pending.length === 0) {
          this.#emitOk(line, text, outcome.value, run, attempt);
        } else {
          const item: Pending = { line, text, attempt, ready: true, ok: outcome.ok, value: undefined, error: undefined, run };
          if (outcome.ok) item.value = outcome.value;
          else this.#failedAttempt(item, outcome.error, run);
          pending.push(item);
          this.#drain();
        }
      } catch (error) {
        this.#halt(error);
        break;
      }
      while (!this.#stopped && pending.length > this.#p.limit) await this.#changed();
      const full = this.#full;
      if (full !== undefined) {
        this.#full = undefined;
        await full;
      }
    }
    while (!this.#stopped && pending.length > 0) await this.#changed();
    if (this.#stop !== undefined) await results.return();
    return this.#stop;
  }

  /** An attempt failed: another one starts if retries are left, else the item is ready as failed. */
  #failedAttempt(item: Pending, error: unknown, run: RunInfo | undefined): void {
    const p = this.#p;
    const tries = item.attempt - ((p.resume?.attempts(item.line) ?? 0) + 1);
    if (tries < p.retries && !this.#stopped) {
      p.log?.failed(item.line, run, item.attempt, errorName(error), errorMessage(error), true);
      p.tally.retried();
      item.ready = false;
      item.attempt++;
      this.#startRetry(item, run?.worker ?? undefined);
      return;
    }
    item.ready = true;
    item.ok = false;
    item.error = error;
    item.run = run;
  }

  #startRetry(item: Pending, worker: string | undefined): void {
    const p = this.#p;
    let future: Future<unknown>;
    try {
      future = p.retry(item.text, worker);
    } catch (error) {
      this.#failedAttempt(item, error, undefined);
      return;
    }
    p.runs?.watch(future);
    const settled = (ok: boolean, valueOrError: unknown): void => {
      const run = p.runs?.callRun(future);
      if (this.#stopped) return;
      if (ok) {
        item.ready = true;
        item.ok = true;
        item.value = valueOrError;
        item.run = run;
      } else {
        this.#failedAttempt(item, valueOrError, run);
      }
      try {
        this.#drain();
      } catch (error) {
        this.#halt(error);
      }
      this.#notify();
    };
    future.then((value) => settled(true, value), (error: unknown) => settled(false, error));
  }

  /** Writes the items that can go: in order, those at the head that are ready; else every ready one. */
  #drain(): void {
    const pending = this.#pending;
    if (this.#p.ordered) {
      while (pending.length > 0 && (pending[0] as Pending).ready) this.#emit(pending.shift() as Pending);
      return;
    }
    for (let i = 0; i < pending.length;) {
      const item = pending[i] as Pending;
      if (item.ready) {
        pending.splice(i, 1);
        this.#emit(item);
      } else i++;
    }
  }

  #emit(item: Pending): void {
    if (item.ok) this.#emitOk(item.line, item.text, item.value, item.run, item.attempt);
    else this.#emitFailed(item);
  }

  #emitOk(line: number, text: string, value: unknown, run: RunInfo | undefined, attempt: number): void {
    const p = this.#p;
    p.tally.succeed();
    const full = p.writer.writeLine(p.format(text, line, value));
    if (full !== undefined) this.#full = full;
    p.log?.ok(line, run, attempt, p.outSize?.());
  }

  /** @throws what {@link Tally.fail} throws (the run stops). */
  #emitFailed(item: Pending): void {
    const p = this.#p;
    p.log?.failed(item.line, item.run, item.attempt, errorName(item.error), errorMessage(item.error), false);
    p.tally.fail({ line: item.line, text: item.text }, describeThrown(item.error));
  }

  #halt(error: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stop = error;
    this.#notify();
  }

  #changed(): Promise<undefined> {
    return new Promise((resolve) => {
      this.#wake = () => resolve(undefined);
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** The error's class, for the joblog. */
export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string') {
    const name = (error as { name: string }).name;
    if (name !== '') return name;
  }
  return error instanceof Error ? 'Error' : 'thrown';
}

/** The first line of the error's message, for the joblog. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error) return firstLine(String(error.message));
  const text = describeThrown(error);
  return text.startsWith('thrown: ') ? text.slice(8) : text;
}
