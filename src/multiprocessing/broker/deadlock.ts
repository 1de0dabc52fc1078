/**
 * Deadlock detection across processes. The broker sees every lock holder and every waiter, so it
 * can follow "waits for a lock held by" edges, with the threading module's rules:
 *
 * - a lock wait without a timeout of a *stuck* thread (one with nothing left to do but wait: it
 *   is blocked in a `…Sync` call, its event loop is empty, or it has ended) is an edge at once: it
 *   cannot release what it holds, so a cycle of them never moves;
 * - any other lock wait without a timeout (an await in a thread that is busy with other work)
 *   becomes an edge once it has lasted its deadlock timeout ({@link ageAfter}), as in the
 *   threading module: until then another async task of its thread may still release.
 *
 * A cycle is reported when every wait in it is an edge, except a cycle within one thread whose
 * waits are not all stuck (two async tasks of one thread contending for a lock, the other one
 * busy elsewhere), and a cycle of stuck waits where one thread also waits for something else
 * (another process may answer that and wake it). A wait for a lock held by a thread that has
 * ended is a chain that never moves either: the next acquirer is told at once.
 *
 * @module
 */
import type { DeadlockEdge } from '../../errors.js';
import { cycleError, endedError } from '../../sync/deadlock-message.js';
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
type LockOf = (waiter: Waiter) => Holdable | undefined;

/** How often waits that became edges by age are walked again while they last. */
export const POLL_MS = 100;

/** Waits that have lasted their deadlock timeout, oldest first (`Set` keeps insertion order). */
const aged = new Set<Waiter>();
let poll: NodeJS.Timeout | undefined;

/** Whether `waiter` counts in the wait-for graph now. */
function isEdge(waiter: Waiter): boolean {
  return waiter.owner.stuck || aged.has(waiter);
}

/**
 * Makes a lock wait an edge once it has lasted `ms` (`Infinity`: never by age), then looks for a
 * deadlock through it, and again every {@link POLL_MS} while it lasts: a cycle may also close
 * later, when a lock changes hands or a holder ends.
 *
 * @param waiter - a parked lock wait without a timeout, already marked with `waitsFor`.
 * @param ms - its deadlock timeout.
 */
export function ageAfter(waiter: Waiter, ms: number): void {
  // Past a timer's range (about 24.8 days) is as good as never, and Node would fire at once.
  if (ms >= 2 ** 31 - 1) return;
  const timer = setTimeout(() => {
    if (waiter.done) return;
    aged.add(waiter);
    if (poll === undefined) {
      poll = setInterval(walkAged, POLL_MS);
      poll.unref();
    }
    reportFrom(waiter.owner);
  }, ms);
  // A waiting request does not keep the broker's process alive by itself.
  timer.unref();
}

/** Walks from the owners of the aged waits, youngest first; reports at most one deadlock per round. */
function walkAged(): void {
  for (const waiter of aged) if (waiter.done) aged.delete(waiter);
  if (aged.size === 0) {
    clearInterval(poll);
    poll = undefined;
    return;
  }
  const owners = new Set([...aged].reverse().map((w) => w.owner));
  for (const owner of owners) if (reportFrom(owner)) return;
}

/**
 * Fails the waits of `owner` for the first lock of a deadlock through it: every one of them, since
 * any of its tasks waiting there may hold what the others of the cycle wait for.
 *
 * @returns whether a deadlock was found.
 */
function reportFrom(owner: Owner): boolean {
  const deadlock = findDeadlock(owner, (w) => w.lock);
  if (deadlock === undefined) return false;
  const { message, edges } = describeDeadlock(deadlock);
  const lock = deadlock.waiter.lock;
  for (const waiter of [...owner.waits]) {
    if (waiter.lock === lock && isEdge(waiter)) waiter.fail('DeadlockError', message, edges);
  }
  return true;
}

/**
 * Looks for a deadlock through `start`'s waits that are edges. Returns the first one found (its
 * first edge is one of `start`'s own waits), or `undefined`.
 */
export function findDeadlock(start: Owner, lockOf: LockOf): Deadlock | undefined {
  const tried = new Set<Holdable>();
  for (const waiter of start.waits) {
    const lock = lockOf(waiter);
    if (lock === undefined || tried.has(lock) || !isEdge(waiter)) continue;
    tried.add(lock);
    const path = [{ owner: start, lock }];
    if (walk(start, lock, path, [waiter], new Set([start]), lockOf)) return { waiter, cycle: path };
  }
  return undefined;
}

/**
 * The message and edges for an acquirer of a lock whose holder's thread has ended.
 *
 * @param owner - who asks for the lock.
 * @param lock - the lock, held by an ended thread.
 * @returns what to fail the request with.
 */
export function endedHolderFailure(owner: Owner, lock: Holdable): { message: string; edges: DeadlockEdge[] } | undefined {
  const holder = lock.holder();
  if (holder === null || !holder.thread.ended) return undefined;
  const error = endedError([{ thread: owner.name, lock: lock.name }], holder.name);
  return { message: error.message, edges: [...error.cycle] };
}

/** A closed chain is reported only when it is certain enough: see the module's rules. */
function reportable(start: Owner, end: Owner, path: ReadonlyArray<{ owner: Owner }>, waits: readonly Waiter[]): boolean {
  const byAge = waits.some((w) => !w.owner.stuck);
  // Within one thread, a wait that is only an edge by age may be released by a sibling task.
  if (byAge && end === start && path.every((m) => m.owner.thread === start.thread)) return false;
  // Certainty for the stuck ones: each such thread waits for nothing but the cycle's locks. A
  // thread with another pending request (a `get` another process may answer) could wake up.
  const byAgeThreads = new Set(waits.filter((w) => aged.has(w)).map((w) => w.owner.thread));
  const perThread = new Map<Owner['thread'], number>();
  for (const w of waits) {
    if (byAgeThreads.has(w.owner.thread)) continue;
    perThread.set(w.owner.thread, (perThread.get(w.owner.thread) ?? 0) + 1);
  }
  for (const [thread, count] of perThread) if (thread.pending.size !== count) return false;
  return true;
}

/**
 * The waits that keep `holder` from releasing: its own; for a hold of the thread itself (task 0,
 * a bare `acquire()` that any task of the thread may release) those of every task of the thread.
 */
function waitsOf(holder: Owner): Iterable<Waiter> {
  return holder.task === 0 ? [...holder.thread.pending] : holder.waits;
}

function walk(start: Owner, lock: Holdable, path: Array<{ owner: Owner; lock: Holdable }>, waits: Waiter[], seen: Set<Owner>,
  lockOf: LockOf): boolean {
  const holder = lock.holder();
  if (holder === null) return false;
  // A holder that has ended never releases: the chain ends there, as surely as in a cycle.
  if (holder === start || holder.thread.ended) return reportable(start, holder, path, waits);
  if (seen.has(holder)) return false;
  seen.add(holder);
  for (const waiter of waitsOf(holder)) {
    const next = lockOf(waiter);
    if (next === undefined || !isEdge(waiter)) continue;
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
  const holder = last.lock.holder();
  const error = holder !== null && holder !== first.owner && holder.thread.ended ? endedError(edges, holder.name) : cycleError(edges);
  return { message: error.message, edges: [...error.cycle] };
}
