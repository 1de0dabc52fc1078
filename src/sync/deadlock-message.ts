/**
 * The words of every `DeadlockError`, for threads (the wait-for graph in shared memory) and for
 * processes (the broker's graph) alike: one format, so a program reads the same report whichever
 * kind of lock it used.
 *
 * @module
 */

import { DeadlockError, type DeadlockEdge } from '../errors.js';

/**
 * A cycle: `edges[i].thread` waits for `edges[i].lock`, held by `edges[i + 1].thread` (the last
 * one's lock by the first). With one edge, a thread waits for a lock it holds itself.
 *
 * @param edges - the members in wait order, from the one that gets the error.
 * @param reentrant - for a single edge: the lock is an RLock (another async task holds it).
 * @returns the error.
 */
export function cycleError(edges: readonly DeadlockEdge[], reentrant = false): DeadlockError {
  const first = edges[0] as DeadlockEdge;
  if (edges.length === 1) {
    const hint = reentrant
      ? '(another async task of this thread holds it, and a blocking acquire stops that task from ever releasing it: use acquire() or hold())'
      : '(a Lock is not reentrant: use an RLock, or release it before taking it again; pass detectDeadlock: false if another thread will release it)';
    return new DeadlockError(`Deadlock: ${first.thread} waits for ${first.lock} held by ${first.thread} ${hint}`, edges);
  }
  const parts = edges.map((edge, i) => {
    const next = edges[(i + 1) % edges.length] as DeadlockEdge;
    return `${i === 0 ? '' : 'which '}waits for ${edge.lock} held by ${next.thread}`;
  });
  return new DeadlockError(`Deadlock: ${first.thread} ${parts.join(', ')} (acquire locks in one global order, or use a timeout)`, edges);
}

/**
 * A chain that ends at a holder that has ended: `edges[i].thread` waits for `edges[i].lock`, held
 * by the next member, and the last lock by `ended`, which will never release it.
 *
 * @param edges - the waiting members in wait order, from the one that gets the error.
 * @param ended - the name of the thread or process that ended holding the last lock.
 * @returns the error; its `cycle` ends with the ended holder and its lock.
 */
export function endedError(edges: readonly DeadlockEdge[], ended: string): DeadlockError {
  const first = edges[0] as DeadlockEdge;
  const last = edges[edges.length - 1] as DeadlockEdge;
  const parts = edges.map((edge, i) => `${i === 0 ? '' : 'which '}waits for ${edge.lock} held by ${edges[i + 1]?.thread ?? ended}`);
  return new DeadlockError(`Deadlock: ${first.thread} ${parts.join(', ')}, which has ended without releasing it`, [
    ...edges,
    { thread: ended, lock: last.lock },
  ]);
}
