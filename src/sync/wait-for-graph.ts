/**
 * Deadlock detection over the wait-for graph of blocked threads.
 *
 * Only a thread that is about to block without a timeout in a synchronous acquire (`acquireSync`,
 * `holdSync`, `withLockSync`, a Condition's `waitSync` taking its lock back) is an edge of the
 * graph: such a thread runs nothing until it gets the lock, so what it holds stays held. An async
 * waiter is not an edge (its event loop may still run code that releases what it holds), nor is a
 * waiter with a timeout (the timeout is its way out). `docs/decisions/threading-deadlock-detection.md`
 * explains the choice.
 *
 * How a cycle is confirmed without any bookkeeping on the uncontended path:
 *
 * - a lock's holder token is one store on acquire, one on release, in the lock's own memory;
 * - a thread about to block claims a registry slot and publishes: the sequence number at which its
 *   wait began (`waitSeq`), the lock's id and name, and the holder it saw (`holderSeen`) together
 *   with the sequence number taken just before reading it (`pubSeq`); while blocked it wakes every
 *   {@link POLL_MS} to refresh `holderSeen`/`pubSeq` and to walk again;
 * - an edge "A waits for L held by B" is trusted only when B's wait began before A looked
 *   (`B.waitSeq < A.pubSeq`) and B is still in that same wait: B has been blocked ever since it
 *   was seen holding L, so it still holds L;
 * - the walk starts at the caller and must come back to the caller, whose own holding of the last
 *   lock is checked directly; every member is re-read at the end.
 *
 * When all edges hold at once every member is blocked forever. The member whose wait began last
 * (the one that closed the cycle) throws `DeadlockError`; the others keep waiting, and usually get
 * their lock once the victim's `using`/`finally` releases what it holds.
 *
 * @module
 */

import { DeadlockError, type DeadlockEdge } from '../errors.js';
import { ownerToken, threadIdentity } from './current-thread.js';
import {
  R_DETECT, R_ID, SLOT_COUNT, claimSlot, findSlot, freeSlot, nextSeq, publishSlot, readSlot,
} from './registry.js';

/** How often a thread blocked without a timeout re-checks the graph. */
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
 * Throws when the caller is about to block on a lock that its own thread holds: a plain Lock it
 * acquired itself, or an RLock held by another async task of this thread. Blocked, the thread
 * can never release it.
 *
 * @param lock - the lock about to be waited for.
 * @throws DeadlockError naming the thread and the lock.
 */
export function checkSelfDeadlock(lock: DetectableLock): void {
  if (Atomics.load(lock.state, lock.holderIndex) !== ownerToken()) return;
  const thread = threadIdentity().name;
  const hint = lock.reentrant
    ? '(another async task of this thread holds it, and a blocking acquire stops that task from ever releasing it: use acquire() or hold())'
    : '(a Lock is not reentrant: use an RLock, or pass detectDeadlock: false if another thread will release it)';
  throw new DeadlockError(`Deadlock: ${thread} waits for ${lock.name} held by ${thread} ${hint}`, [
    { thread, lock: lock.name },
  ]);
}

/**
 * Publishes that the calling thread is about to block on `lock` without a timeout.
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
 * Withdraws a wait published by {@link beginWait}.
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
  if (cycle === undefined) return;
  const parts = cycle.map((edge, i) => {
    const next = cycle[(i + 1) % cycle.length]!;
    return `${i === 0 ? '' : 'which '}waits for ${edge.lock} held by ${next.thread}`;
  });
  throw new DeadlockError(
    `Deadlock: ${cycle[0]!.thread} ${parts.join(', ')} (acquire locks in one global order, or use a timeout)`,
    cycle,
  );
}

function findCycle(ticket: WaitTicket): DeadlockEdge[] | undefined {
  const { lock, owner } = ticket;
  const reg = lock.registry;
  let observedAt = nextSeq(reg);
  let holder = Atomics.load(lock.state, lock.holderIndex);
  if (holder === 0 || holder === owner) return undefined;

  const cycle: DeadlockEdge[] = [{ thread: threadIdentity().name, lock: lock.name }];
  const members: { slot: number; waitSeq: number }[] = [];
  const visited = new Set<number>([owner]);
  let newest = ticket.waitSeq;

  for (let hop = 0; hop < SLOT_COUNT; hop++) {
    const slot = findSlot(reg, holder);
    if (slot < 0) return undefined; // the holder is not blocked on a lock
    const seen = readSlot(reg, slot);
    if (seen === undefined || seen.lockId === 0) return undefined;
    // Unconfirmed: the holder began waiting after it was seen holding, so it may have released
    // since. It refreshes within POLL_MS and a later walk decides.
    if (seen.waitSeq >= observedAt) return undefined;
    cycle.push({ thread: seen.threadName, lock: seen.lockName });
    members.push({ slot, waitSeq: seen.waitSeq });
    newest = Math.max(newest, seen.waitSeq);

    const next = seen.holderSeen;
    if (next === 0) return undefined;
    if (next === owner) {
      // The closing edge: the caller must hold that lock right now.
      const state = knownLocks.get(`${reg[R_ID]}:${seen.lockId}`)?.deref();
      if (state === undefined || Atomics.load(state, lock.holderIndex) !== owner) return undefined;
      break;
    }
    // A cycle that does not pass through the caller: its own members will report it.
    if (visited.has(next)) return undefined;
    visited.add(holder);
    holder = next;
    observedAt = seen.pubSeq;
    if (hop === SLOT_COUNT - 1) return undefined;
  }

  // Every member must still be in the wait the walk saw.
  for (const member of members) {
    const again = readSlot(reg, member.slot);
    if (again === undefined || again.waitSeq !== member.waitSeq || again.lockId === 0) return undefined;
  }
  // Only the member that closed the cycle reports it, so exactly one thread gets the error.
  if (newest !== ticket.waitSeq) return undefined;
  return cycle;
}
