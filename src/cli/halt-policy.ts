/**
 * `--halt when,fail=N` and `--halt when,fail=P%`: when a run with failures stops. `now` stops
 * at once (nothing more is written); `soon` reads no more input and lets the items already read
 * finish and print. N counts failed items (after their retries); P% is of all the items of
 * `--input FILE`, counted before the run.
 *
 * @module
 */
import { InvalidArgumentError } from 'commander';

/** A parsed `--halt`. */
export interface HaltPolicy {
  readonly when: 'now' | 'soon';
  /** Failed items that halt the run, or `undefined` when a percentage does. */
  readonly count: number | undefined;
  /** Percent of all the items, when given as `P%`. */
  readonly percent: number | undefined;
  /** As given, for messages. */
  readonly text: string;
}

/**
 * Parses `now,fail=N`, `soon,fail=N`, `now,fail=P%` or `soon,fail=P%`.
 *
 * @throws {InvalidArgumentError} naming the accepted forms.
 */
export function parseHalt(value: string): HaltPolicy {
  const match = /^(now|soon),fail=(\d+(?:\.\d+)?)(%?)$/.exec(value.trim());
  const amount = match === null ? NaN : Number(match[2]);
  if (match === null || !(amount > 0) || (match[3] === '%' && amount > 100) || (match[3] === '' && !Number.isInteger(amount))) {
    throw new InvalidArgumentError(`expected now,fail=N, soon,fail=N or now,fail=P% (N a whole number ≥ 1, P in (0, 100]), got "${value}".`);
  }
  const when = match[1] as 'now' | 'soon';
  return match[3] === '%'
    ? { when, count: undefined, percent: amount, text: value.trim() }
    : { when, count: amount, percent: undefined, text: value.trim() };
}

/** The number of failed items that halts a run of `total` items (`total` needed for a percentage). */
export function haltThreshold(policy: HaltPolicy, total: number | undefined): number {
  if (policy.count !== undefined) return policy.count;
  const all = total ?? 0;
  return Math.max(1, Math.ceil((all * (policy.percent as number)) / 100));
}
