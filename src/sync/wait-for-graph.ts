/**
 * Deadlock detection over the wait-for graph of threads waiting for locks.
 *
 * A wait for a lock without a timeout is an *edge* "this thread waits for that lock": a blocking
 * one (`acquireSync`, `holdSync`, `withLockSync`, a Condition's `waitSync` taking its lock back)
 * at once, since a thread stopped in `Atomics.wait` runs nothing that could release what it holds;
 * an async one (`await acquire()`, `hold()`, `withLock()`, a Condition's `wait` taking its lock
 * back) once it has lasted the lock's deadlock timeout (`async-waits.ts` publishes it), since until
 * then another task of its thread may well release what the thread holds. A wait with a timeout is
 * never an edge (the timeout is its way out). `docs/decisions/threading-deadlock-detection.md`
 * explains the choices.
 *
 * How a cycle is confirmed without any bookkeeping on the uncontended path:
 *
 * - a lock's holder token is one store on acquire, one on release, in the lock's own memory;
 * - a thread publishes each edge in a registry slot: the sequence number at which the edge began
 *   (`waitSeq`), the lock's id and name, and the holder it saw (`holderSeen`) together with the
 *   sequence number taken just before reading it (`pubSeq`); while it waits it refreshes
 *   `holderSeen`/`pubSeq` every {@link POLL_MS} and walks again;
 * - an edge "A waits for L held by B" is trusted only when one of B's edges began before A looked
 *   (`B.waitSeq < A.pubSeq`) and B is still in that same wait; for a blocking B this proves B
 *   still holds L;
 * - the walk starts at the caller, follows every edge of each holder (depth first), and must come
 *   back to the caller, whose own holding of the last lock is checked directly; every member is
 *   re-read at the end. A thread's edge to a lock it holds itself leads nowhere: another of its
 *   async tasks holds it, and may release it.
 *
 * When all edges hold at once the cycle is reported by the member whose edge began last (the one
 * that closed the cycle); the others keep waiting, and usually get their lock once the victim's
 * `using`/`finally` releases what it holds.
 *
 * @module
 */

import type { DeadlockEdge } from '../errors.js';
import { ownerToken, threadIdentity } from './current-thread.js';
import { cycleError, endedError } from './deadlock-message.js';
import {
  R_DETECT, R_ID, claimSlot, endedThread, freeSlot, graceOf, nextSeq, publishSlot, readSlot, slotsOf,
} from './registry.js';

/** How often a thread waiting without a timeout re-checks the graph. */
export const POLL_MS = 100;

/** The view of a lock that detection needs. */
export interface DetectableLock {
  readonly name: string;
  /** Id unique within `registry`. */
  readonly id: number;
  /** The lock's shared state; `state[holderIndex]` is the holder's owner token (0: free). */
  readonly state: Int32Array;
  readonly holderIndex: number;
  readonly registry: Int32Array;
  /** `false` when the lock opted out with `detectDeadlock: false`. */
  readonly detect: boolean;
  /** `true` for an RLock: reaching a blocking wait on one's own thread means another task holds it. */
  readonly reentrant: boolean;
  /** The lock's own deadlock timeout in ms (`Infinity`: never), or `undefined` for the process-wide one. */
  readonly deadlockTimeout: number | undefined;
}

/** A thread's published wait, from {@link beginWait} to {@link endWait}. */
export interface WaitTicket {
  readonly lock: DetectableLock;
  readonly slot: number;
  readonly waitSeq: number;
  readonly owner: number;
}

// Locks this thread has created or received, so that the walk can check "do I still hold the lock
// the last member waits for" from its id alone. Keyed by registry id and lock id.
const knownLocks = new Map<string, WeakRef<Int32Array>>();
const forget = new FinalizationRegistry<string>((key) => {
  const ref = knownLocks.get(key);
  if (ref !== undefined && ref.deref() === undefined) knownLocks.delete(key);
});

/**
 * Makes a lock findable by id in this thread. Called when a lock is created or revived here.
 *
 * @param lock - the lock.
 */
export function rememberLock(lock: DetectableLock): void {
  const key = `${lock.registry[R_ID]}:${lock.id}`;
  knownLocks.set(key, new WeakRef(lock.state));
  forget.register(lock.state, key);
}

/**
 * Whether a blocking wait on `lock` takes part in detection right now.
 *
 * @param lock - the lock about to be waited for.
 * @returns `true` when both the lock and the process-wide switch allow it.
 */
export function detecting(lock: DetectableLock): boolean {
  return lock.detect && Atomics.load(lock.registry, R_DETECT) === 1;
}

/**
 * How long an async wait for `lock` lasts before it is an edge.
 *
 * @param lock - the lock.
 * @returns milliseconds, or `Infinity` when async waits for it are never edges.
 */
export function graceFor(lock: DetectableLock): number {
  return lock.deadlockTimeout ?? graceOf(lock.registry);
}

/**
 * Throws when the lock's holder is a thread that has ended: it will never release it (a robust
 * mutex's "owner died"). The lock stays held; a plain Lock may still be released by another thread.
 *
 * @param lock - the lock about to be waited for.
 * @throws DeadlockError naming the caller, the lock and the ended thread.
 */
export function checkEndedHolder(lock: DetectableLock): void {
  const holder = Atomics.load(lock.state, lock.holderIndex);
  if (holder === 0) return;
  const ended = endedThread(lock.registry, holder);
  if (ended === undefined) return;
  throw endedError([{ thread: threadIdentity().name, lock: lock.name }], ended);
}

/**
 * Throws when the caller is about to block on a lock that its own thread holds: a plain Lock it
 * acquired itself, or an RLock held by another async task of this thread. Blocked, the thread
 * can never release it.
 *
 * @param lock - the lock about to be waited for.
 * @throws DeadlockError naming the thread and the lock.
 */
export function checkSelfDeadlock(lock: DetectableLock): void {
  if (Atomics.load(lock.state, lock.holderIndex) !== ownerToken()) return;
  throw cycleError([{ thread: threadIdentity().name, lock: lock.name }], lock.reentrant);
}

/**
 * Publishes an edge: the calling thread waits for `lock` without a timeout (blocked, or awaiting
 * for longer than the lock's deadlock timeout).
 *
 * @param lock - the lock.
 * @returns the ticket, or `undefined` when no slot is free (detection is then skipped).
 */
export function beginWait(lock: DetectableLock): WaitTicket | undefined {
  const owner = ownerToken();
  const slot = claimSlot(lock.registry, owner);
  if (slot < 0) return undefined;
  const waitSeq = nextSeq(lock.registry);
  const pubSeq = nextSeq(lock.registry);
  publishSlot(lock.registry, slot, {
    waitSeq,
    lockId: lock.id,
    // Read after pubSeq was taken: the order every edge check relies on.
    holderSeen: Atomics.load(lock.state, lock.holderIndex),
    pubSeq,
    threadName: threadIdentity().name,
    lockName: lock.name,
  });
  return { lock, slot, waitSeq, owner };
}

/**
 * Refreshes the holder the waiting thread sees, after a wake-up or a poll.
 *
 * @param ticket - from {@link beginWait}.
 */
export function refreshWait(ticket: WaitTicket): void {
  const pubSeq = nextSeq(ticket.lock.registry);
  publishSlot(ticket.lock.registry, ticket.slot, {
    holderSeen: Atomics.load(ticket.lock.state, ticket.lock.holderIndex),
    pubSeq,
  });
}

/**
 * Withdraws an edge published by {@link beginWait}.
 *
 * @param ticket - from {@link beginWait}.
 */
export function endWait(ticket: WaitTicket): void {
  freeSlot(ticket.lock.registry, ticket.slot);
}

/**
 * Walks the graph from the caller's wait and throws if the caller closes a confirmed cycle.
 *
 * @param ticket - the caller's published wait.
 * @throws DeadlockError naming every thread and lock of the cycle, in wait order from the caller.
 */
export function checkCycle(ticket: WaitTicket): void {
  const cycle = findCycle(ticket);
  if (cycle !== undefined) throw cycleError(cycle);
}

interface Member {
  readonly slot: number;
  readonly waitSeq: number;
  readonly edge: DeadlockEdge;
}

function findCycle(ticket: WaitTicket): DeadlockEdge[] | undefined {
  const { lock, owner } = ticket;
  const reg = lock.registry;
  const observedAt = nextSeq(reg);
  const holder = Atomics.load(lock.state, lock.holderIndex);
  // Free, or held by this very thread (another of its async tasks): no edge to follow.
  if (holder === 0 || holder === owner) return undefined;
  const walk: Walk = { ticket, reg, path: [], expanded: new Set([owner]) };
  if (!follow(walk, holder, observedAt)) return undefined;
  return [{ thread: threadIdentity().name, lock: lock.name }, ...walk.path.map((m) => m.edge)];
}

interface Walk {
  readonly ticket: WaitTicket;
  readonly reg: Int32Array;
  /** The members from the caller's holder on, in wait order. */
  readonly path: Member[];
  /** Threads whose edges have been followed already (the caller's from the start). */
  readonly expanded: Set<number>;
}

/** Follows each edge of `holder`, seen holding at `observedAt`; `true` once a reportable cycle is on `walk.path`. */
function follow(walk: Walk, holder: number, observedAt: number): boolean {
  const { ticket, reg, path } = walk;
  walk.expanded.add(holder);
  for (const slot of slotsOf(reg, holder)) {
    const seen = readSlot(reg, slot);
    if (seen === undefined || seen.owner !== holder || seen.lockId === 0) continue;
    // Unconfirmed: this wait began after the holder was seen holding, so it may have released
    // since. Its waiter refreshes within POLL_MS and a later walk decides.
    if (seen.waitSeq >= observedAt) continue;
    const next = seen.holderSeen;
    // A thread waiting for a lock it holds itself: another of its tasks may release it.
    if (next === 0 || next === holder) continue;
    path.push({ slot, waitSeq: seen.waitSeq, edge: { thread: seen.threadName, lock: seen.lockName } });
    if (next === ticket.owner) {
      if (closes(walk, seen.lockId)) return true;
    } else if (!walk.expanded.has(next) && follow(walk, next, seen.pubSeq)) {
      return true;
    }
    path.pop();
  }
  return false;
}

/** The path comes back to the caller through lock `lockId`: is it a cycle the caller should report? */
function closes(walk: Walk, lockId: number): boolean {
  const { ticket, reg, path } = walk;
  // The closing edge: the caller must hold that lock right now.
  const state = knownLocks.get(`${reg[R_ID]}:${lockId}`)?.deref();
  if (state === undefined || Atomics.load(state, ticket.lock.holderIndex) !== ticket.owner) return false;
  // Every member must still be in the wait the walk saw.
  for (const member of path) {
    const again = readSlot(reg, member.slot);
    if (again === undefined || again.waitSeq !== member.waitSeq || again.lockId === 0) return false;
  }
  // Only the member whose edge began last reports it, so exactly one thread gets the error.
  return path.every((member) => member.waitSeq < ticket.waitSeq);
}
