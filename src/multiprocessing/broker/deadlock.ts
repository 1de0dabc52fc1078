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
    const waits = [waiter];
    if (walk(start, lock, path, waits, new Set([start]), lockOf) && nothingElseWakes(waits)) return { waiter, cycle: path };
  }
  return undefined;
}

/**
 * Certainty: each thread of the cycle waits for nothing but the cycle's locks. A thread with
 * another pending request (a `get` another process may answer) could wake up and release.
 */
function nothingElseWakes(waits: readonly Waiter[]): boolean {
  const perThread = new Map<Owner['thread'], number>();
  for (const w of waits) perThread.set(w.owner.thread, (perThread.get(w.owner.thread) ?? 0) + 1);
  for (const [thread, count] of perThread) if (thread.pending.size !== count) return false;
  return true;
}

function walk(start: Owner, lock: Holdable, path: Array<{ owner: Owner; lock: Holdable }>, waits: Waiter[], seen: Set<Owner>,
  lockOf: LockOf): boolean {
  const holder = lock.holder();
  if (holder === null) return false;
  // A holder that has ended never releases: the chain ends there, as surely as in a cycle.
  if (holder === start || holder.thread.ended) return true;
  if (!holder.stuck || seen.has(holder)) return false;
  seen.add(holder);
  for (const waiter of holder.waits) {
    const next = lockOf(waiter);
    if (next === undefined) continue;
    path.push({ owner: holder, lock: next });
    waits.push(waiter);
    if (walk(start, next, path, waits, seen, lockOf)) return true;
    path.pop();
    waits.pop();
  }
  return false;
}

/**
 * The error message and the edges of a {@link Deadlock}, worded as the threading module words its
 * own: `Deadlock: Process-1 waits for Lock-1 held by Process-2, which waits for Lock-2 held by Process-1 (…)`.
 */
export function describeDeadlock(deadlock: Deadlock): { message: string; edges: DeadlockEdge[] } {
  const cycle = deadlock.cycle;
  const edges = cycle.map(({ owner, lock }) => ({ thread: owner.name, lock: lock.name }));
  const first = cycle[0] as { owner: Owner; lock: Holdable };
  const last = cycle[cycle.length - 1] as { owner: Owner; lock: Holdable };
  const endedHolder = last.lock.holder();
  if (endedHolder !== null && endedHolder !== first.owner && endedHolder.thread.ended) {
    const parts = cycle.map(({ lock }, i) => {
      const next = cycle[i + 1]?.owner ?? endedHolder;
      return `${i === 0 ? '' : 'which '}waits for ${lock.name} held by ${next.name}`;
    });
    return {
      message: `Deadlock: ${first.owner.name} ${parts.join(', ')}, which has ended without releasing it`,
      edges: [...edges, { thread: endedHolder.name, lock: last.lock.name }],
    };
  }
  if (cycle.length === 1) {
    const name = first.owner.name;
    return {
      message: `Deadlock: ${name} waits for ${first.lock.name} held by ${name} (a Lock is not reentrant: use an RLock, ` +
        'or release it before taking it again)',
      edges,
    };
  }
  const parts = cycle.map(({ lock }, i) => {
    const next = cycle[(i + 1) % cycle.length] as { owner: Owner };
    return `${i === 0 ? '' : 'which '}waits for ${lock.name} held by ${next.owner.name}`;
  });
  return { message: `Deadlock: ${first.owner.name} ${parts.join(', ')} (acquire locks in one global order, or use a timeout)`, edges };
}
