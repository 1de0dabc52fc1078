/**
 * Deadlock detection across processes. The broker sees every lock holder and every waiter, so it
 * can follow "waits for a lock held by" edges. It only follows them through *stuck* owners
 * (threads with nothing left to do but wait), which makes every report certain: a stuck thread
 * cannot release what it holds, so a chain of stuck threads that returns to its start never moves.
 *
 * @module
 */
import type { DeadlockEdge } from '../../errors.js';
import type { Owner, Waiter } from './client.js';

/** A lock as deadlock detection sees it. */
export interface Holdable {
  /** Display name used in the error message (`Lock-3`). */
  readonly name: string;
  /** The owner holding it, or `null` when it is free. */
  holder(): Owner | null;
}

/** A deadlock found from one owner: the wait to fail and the cycle to report. */
export interface Deadlock {
  readonly waiter: Waiter;
  readonly cycle: ReadonlyArray<{ owner: Owner; lock: Holdable }>;
}

/** The lock a parked waiter wants, if it is a lock wait without a timeout. */
export type LockOf = (waiter: Waiter) => Holdable | undefined;

/**
 * Looks for a cycle through `start`, which has just become stuck. Returns the first one found
 * (its first edge is one of `start`'s own waits), or `undefined`.
 */
export function findDeadlock(start: Owner, lockOf: LockOf): Deadlock | undefined {
  if (!start.stuck) return undefined;
  for (const waiter of start.waits) {
    const lock = lockOf(waiter);
    if (lock === undefined) continue;
    const path = [{ owner: start, lock }];
    if (walk(start, lock, path, new Set([start]), lockOf)) return { waiter, cycle: path };
  }
  return undefined;
}

function walk(start: Owner, lock: Holdable, path: Array<{ owner: Owner; lock: Holdable }>, seen: Set<Owner>, lockOf: LockOf): boolean {
  const holder = lock.holder();
  if (holder === null) return false;
  if (holder === start) return true;
  if (!holder.stuck || seen.has(holder)) return false;
  seen.add(holder);
  for (const waiter of holder.waits) {
    const next = lockOf(waiter);
    if (next === undefined) continue;
    path.push({ owner: holder, lock: next });
    if (walk(start, next, path, seen, lockOf)) return true;
    path.pop();
  }
  return false;
}

/** The error message and the edges of a {@link Deadlock}. */
export function describeDeadlock(deadlock: Deadlock): { message: string; edges: DeadlockEdge[] } {
  const edges = deadlock.cycle.map(({ owner, lock }) => ({ thread: owner.name, lock: lock.name }));
  const first = deadlock.cycle[0];
  if (deadlock.cycle.length === 1 && first !== undefined) {
    return {
      message: `deadlock: ${first.owner.name} waits for ${first.lock.name}, which it already holds; the wait would never end`,
      edges,
    };
  }
  const parts = deadlock.cycle.map(({ owner, lock }, i) => {
    const next = deadlock.cycle[(i + 1) % deadlock.cycle.length] as { owner: Owner };
    return `${owner.name} waits for ${lock.name} held by ${next.owner.name}`;
  });
  return { message: `deadlock: ${parts.join(', ')}; none of these waits would ever end`, edges };
}
