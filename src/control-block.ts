/**
 * The control block of a thread worker: an `Int32Array` over a `SharedArrayBuffer` that the pool
 * and the worker both see. Counters the pool reads without a message, the doorbell an idle worker
 * sleeps on, and a claim word per task, through which a task is started by its worker or taken
 * back by the pool, never both (docs/decisions/pool-scheduling.md). The indices are here, once,
 * for both sides.
 *
 * @module
 */

/** Int32 index in the control block: tasks claimed (started) so far (only ever grows). */
export const CTL_STARTED = 0;
/**
 * Int32 index in the control block: the doorbell. The main side adds 1 and notifies after each
 * message; an idle thread worker sleeps in `Atomics.wait` on it instead of in its event loop,
 * because a futex wakes a thread faster than the event loop's wake-up does.
 */
export const CTL_DOORBELL = 1;
/**
 * Int32 index in the control block: messages a thread worker has posted to its `replies` port
 * (only ever grows). The main side compares it with what it has read to see, with one atomic
 * load, that a reply is waiting.
 */
export const CTL_REPLIES = 2;
/**
 * Int32 index in the control block: 1 while the worker runs the synchronous part of a batch, 0
 * between batches (idle, or only awaiting promises). Tells the main side whether tasks it holds
 * back from this worker would wait behind running code.
 */
export const CTL_BUSY = 3;
/**
 * Int32 index in the control block: 1 while the worker runs a task that may be long (one it
 * brackets: see `FnClock`). The main side sends such a worker nothing more meanwhile.
 */
export const CTL_LONG = 4;
/**
 * Int32 index in the control block: set to 1 (and the doorbell rung) when the pool stops the
 * worker. A worker never sleeps on the doorbell once it is set. `worker.terminate()` alone is not
 * enough: its termination unwinds whatever JavaScript is running and is then spent, and if Node
 * calls into the worker's JavaScript once more before its event loop turns (a message already on
 * the port), that code could go to sleep on the doorbell with nothing left to wake it, and the
 * worker would never exit.
 */
export const CTL_STOP = 5;
/**
 * Int32 index in the control block: 1 when the worker may spin for its next message before it
 * sleeps, 0 when it must not. The pool writes it with each batch: with every core taken (a long
 * task on one of two), the worker's spin would take the core from the main thread that is about
 * to send that message.
 */
export const CTL_SPIN = 6;
/**
 * Int32 index in the control block where the claim words start: one word per task, at
 * `CTL_CLAIMS + (seq & CLAIM_MASK)`. The main side writes {@link claimTag}(seq) when it sends a
 * task; the worker swaps it for {@link CLAIMED} before starting the task, and the main side swaps
 * it for {@link REVOKED} to take an unstarted task back. One compare-exchange each: whoever swaps
 * first owns the task, so a task is either started by its worker or taken back, never both.
 */
export const CTL_CLAIMS = 8;
/** Claim words per worker; a worker never holds more unstarted tasks than this. */
export const CLAIM_SLOTS = 16384;
/** Mask from a sequence number to its claim word. */
export const CLAIM_MASK = CLAIM_SLOTS - 1;
/** A claim word's value once its worker has started the task. */
export const CLAIMED = 0;
/** A claim word's value once the main side has taken the task back. */
export const REVOKED = -1;
/** Byte size of a control block. */
export const CTL_BYTES = (CTL_CLAIMS + CLAIM_SLOTS) * 4;

/**
 * The value a claim word holds while task `seq` waits to be started: positive, and different for
 * two sequence numbers that share a word, so that a stale word is never mistaken for a fresh one.
 */
export function claimTag(seq: number): number {
  return (seq & 0x3fffffff) + 1;
}

/**
 * Process workers keep claim words too, in memory shared between the child's main thread and its
 * revoker thread (`entries/revoker-entry.ts`), which answers the pool's take-backs while the main
 * thread runs a task. Nobody writes a word when the task is sent: for task `seq`, the word holds
 * {@link claimTag}(seq) once the main thread started it, and its negative once the revoker took
 * it back; any other value (a task of 16,384 earlier, or nothing) means neither yet. Each side
 * swaps in its own mark unless the other's is there: one compare-exchange decides, as on threads.
 */
export const PROCESS_CLAIM_BYTES = CLAIM_SLOTS * 4;

/** Process workers, main thread: true when task `seq` is ours to start (it was not taken back). */
export function startClaim(words: Int32Array, seq: number): boolean {
  const index = seq & CLAIM_MASK;
  const tag = claimTag(seq);
  for (;;) {
    const seen = Atomics.load(words, index);
    if (seen === -tag) return false;
    if (seen === tag || Atomics.compareExchange(words, index, seen, tag) === seen) return true;
  }
}

/** Process workers, revoker thread: true when task `seq` is taken back (its worker will skip it). */
export function revokeClaim(words: Int32Array, seq: number): boolean {
  const index = seq & CLAIM_MASK;
  const tag = claimTag(seq);
  for (;;) {
    const seen = Atomics.load(words, index);
    if (seen === tag) return false;
    if (seen === -tag || Atomics.compareExchange(words, index, seen, -tag) === seen) return true;
  }
}
