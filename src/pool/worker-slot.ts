/**
 * One live worker as the pool sees it: its channel, the tasks it was sent (its *books*), what is
 * known of which of them have started, and why it may end.
 *
 * A task on the books is in one of two places:
 * - `unsure`: sent, and not known to have started, in sequence order;
 * - `running`: known to have started, not settled.
 *
 * What "known" means depends on the worker. A thread worker claims each task in shared memory
 * before starting it, so the pool reads the truth at any moment and can take back a task that is
 * still unclaimed ({@link WorkerSlot.reclaim}). A process worker reports how far it may have got
 * (`pos`) before it gets there, so everything below `pos` may have started and nothing at or
 * above `pos` has. See docs/decisions/pool-scheduling.md.
 *
 * @module
 */
import { RingQueue } from '../core/ring-queue.js';
import { CLAIM_MASK, CTL_BUSY, CTL_CLAIMS, CTL_LONG, CTL_SPIN, CTL_STARTED, REVOKED, claimTag } from '../control-block.js';
import type { FaultMessage } from '../protocol.js';
import { MOVED, type TaskFuture } from './task-future.js';
import type { WorkerChannel } from './transport.js';

/** What became of the tasks on a dead worker's books. */
interface Orphans {
  /** Started and not finished: they fail (they must not run twice). */
  readonly started: Array<TaskFuture<unknown>>;
  /** Never started: they run elsewhere. */
  readonly unstarted: Array<TaskFuture<unknown>>;
  /** A process killed from outside may or may not have started these quick tasks: they fail. */
  readonly unknown: Array<TaskFuture<unknown>>;
  /** The task the worker was running synchronously when it ended, if that is known. */
  readonly culprit: TaskFuture<unknown> | undefined;
}

/** How long a stalled worker is sent nothing, at most, if it does not report first (ms). */
const STUCK_MS = 100;

export class WorkerSlot {
  channel!: WorkerChannel;
  /** Thread workers: the control block with the claim words; `null` for processes. */
  control: Int32Array | null = null;
  /** Sent, not known to have started; in sequence order. Entries whose task left the books are skipped. */
  readonly unsure = new RingQueue<TaskFuture<unknown>>(64);
  /** Known to have started, not settled. */
  readonly running = new Set<TaskFuture<unknown>>();
  /** Tasks of `unsure` still on the books. */
  #waiting = 0;
  /** See {@link WorkerSlot.stalled}: when the pool first saw this worker hold tasks and start none, and its started count then. */
  #idleSince = -1;
  #idleStarted = -1;
  /** Next task sequence number. */
  seq = 0;
  /** Process workers: tasks below `pos` may have started, none above; tasks below `groupStart` have. */
  pos = 0;
  groupStart = 0;
  /** Process workers: the worker said task `pos - 1` runs alone until it reports again. */
  solo = false;
  /** The worker is about to block and gave back what it held: send it nothing until it reports. */
  blocked = false;
  /**
   * Held tasks and started none for a while (see {@link WorkerSlot.stalled}); sent nothing until
   * it next reports, or for {@link STUCK_MS} at most (a worker that never says a word again must
   * not be shut out for good).
   */
  get stuck(): boolean {
    return this.#stuckAt >= 0 && performance.now() - this.#stuckAt < STUCK_MS;
  }

  set stuck(on: boolean) {
    this.#stuckAt = on ? performance.now() : -1;
  }

  #stuckAt = -1;
  /** Process workers: when the pool last heard from it or sent it tasks (`performance.now()`). */
  heardAt = performance.now();
  /** Process workers: a take-back was asked of its revoker and not answered yet. */
  revoking = false;
  /** The last task sent that may be long (or was never measured), while on the books. */
  longTask: TaskFuture<unknown> | undefined = undefined;
  /** Tasks sent in total and not taken back (for `maxTasksPerChild`). */
  dispatched = 0;
  completed = 0;
  busyMs = 0;
  /** `busyMs` when the metrics' period began (`resetMetrics()`). */
  busyBase = 0;
  /** `performance.now()` when it was started. */
  readonly bornAt = performance.now();
  /** The initializer ran and the worker said so. */
  ready = false;
  referenced = false;
  /** No more tasks: it reached `maxTasksPerChild` or the pool is shutting down. */
  retiring = false;
  stopping = false;
  /** The task that runs alone on this worker, if any. */
  exclusive: TaskFuture<unknown> | undefined = undefined;
  /** The task the pool stopped this worker for (force cancel, timeout), and why. */
  killedFor: TaskFuture<unknown> | undefined = undefined;
  killedBecause: 'cancelled' | 'timed out' = 'cancelled';
  /** What the worker said before it ended, when it could. */
  fault: FaultMessage | undefined = undefined;
  /** Ids of the functions this worker has been sent. */
  readonly fns = new Set<number>();

  constructor(readonly index: number, readonly name: string) {}

  /** Puts `task` on the books as the next in this worker's stream. */
  assign(task: TaskFuture<unknown>): void {
    task.seq = this.seq++;
    task.slot = this;
    this.unsure.push(task);
    this.#waiting++;
    // Sent just now: it has had no time to start it yet.
    this.#idleSince = -1;
    const control = this.control;
    if (control !== null) Atomics.store(control, CTL_CLAIMS + (task.seq & CLAIM_MASK), claimTag(task.seq));
  }

  /** Thread workers: whether the worker may spin for its next message before it sleeps (see `CTL_SPIN`). */
  allowSpin(on: boolean): void {
    const control = this.control;
    if (control !== null) Atomics.store(control, CTL_SPIN, on ? 1 : 0);
  }

  /** Takes `task` off the books (it settled, or left for another worker). */
  drop(task: TaskFuture<unknown>): void {
    if (task.slot !== this) return;
    task.slot = undefined;
    if (task === this.longTask) this.longTask = undefined;
    if (!this.running.delete(task)) this.#waiting--;
  }

  /** Tasks sent that have not started, as far as is known (exact for threads). */
  waiting(): number {
    this.#sync();
    return this.#waiting;
  }

  /**
   * A thread worker that holds tasks it has not started, runs none of its own, and has started
   * nothing since the pool first saw it so, `ms` or more ago: its event loop is held by something
   * else (an async task's callback that blocks), and what it holds can be taken back. The first
   * call only marks the time; call it while the worker holds tasks and is not busy.
   */
  stalled(now: number, ms: number): boolean {
    const started = Atomics.load(this.control as Int32Array, CTL_STARTED);
    if (this.#idleSince < 0 || started !== this.#idleStarted) {
      this.#idleSince = now;
      this.#idleStarted = started;
      return false;
    }
    return now - this.#idleSince >= ms;
  }

  /** Nothing on the books. */
  empty(): boolean {
    return this.#waiting === 0 && this.running.size === 0;
  }

  /** A thread worker is running the synchronous part of a batch; a process worker has anything to do. */
  busy(): boolean {
    const control = this.control;
    return control === null ? !this.empty() : Atomics.load(control, CTL_BUSY) !== 0;
  }

  /**
   * Sending this worker more now would make it wait: it runs a task that may be long (it said so
   * before starting it), or holds one it has not started yet, or it is blocked and gave back
   * what it held.
   */
  occupied(): boolean {
    if (this.blocked || this.stuck) return true;
    const control = this.control;
    const long = this.longTask;
    if (control === null) return this.solo || (long !== undefined && long.seq >= this.pos);
    // Until the worker claims a task that may be long, it cannot have said whether it is.
    return Atomics.load(control, CTL_LONG) !== 0
      || (long !== undefined && Atomics.load(control, CTL_CLAIMS + (long.seq & CLAIM_MASK)) === claimTag(long.seq));
  }

  /**
   * Thread workers: takes back up to `max` tasks the worker has not claimed, from the end of its
   * stream; they are off the books and in sequence order. A process worker gives nothing back.
   * A task whose message moved values to this worker (`transfer()`) stays: it can run nowhere
   * else, and the worker will start it after the others it keeps. Taking stops at a retry that
   * should not run on `thief` (the worker that would get them): it stays, with what is before it.
   */
  reclaim(max: number, thief?: string): Array<TaskFuture<unknown>> {
    const control = this.control;
    const taken: Array<TaskFuture<unknown>> = [];
    if (control === null) return taken;
    let kept: Array<TaskFuture<unknown>> | undefined;
    while (taken.length < max) {
      const task = this.unsure.peekLast();
      if (task === undefined) break;
      if (task.slot !== this) {
        this.unsure.pop();
        continue;
      }
      if ((task.marks & MOVED) !== 0) {
        // Still unclaimed or not, it stays on the books; what is before it may still go.
        (kept ??= []).push(this.unsure.pop() as TaskFuture<unknown>);
        continue;
      }
      if (thief !== undefined && task.extra?.avoid === thief) break;
      const tag = claimTag(task.seq);
      // The worker claims in order: once one is claimed, every task before it is too.
      if (Atomics.compareExchange(control, CTL_CLAIMS + (task.seq & CLAIM_MASK), tag, REVOKED) !== tag) break;
      this.unsure.pop();
      this.#waiting--;
      task.slot = undefined;
      taken.push(task);
    }
    if (kept !== undefined) for (let i = kept.length - 1; i >= 0; i--) this.unsure.push(kept[i] as TaskFuture<unknown>);
    return taken.reverse();
  }

  /** Thread workers: takes `task` off the books if the worker has not claimed it (it will skip it). */
  revoke(task: TaskFuture<unknown>): boolean {
    const control = this.control;
    if (control === null || task.slot !== this || this.running.has(task)) return false;
    const tag = claimTag(task.seq);
    if (Atomics.compareExchange(control, CTL_CLAIMS + (task.seq & CLAIM_MASK), tag, REVOKED) !== tag) return false;
    this.drop(task);
    return true;
  }

  /**
   * Process workers: the tasks on the books the worker may not have started (all but those below
   * its last group and the one it said runs alone), for its revoker to take back; in stream order.
   */
  revocable(): Array<TaskFuture<unknown>> {
    this.#sync();
    const found: Array<TaskFuture<unknown>> = [];
    for (let i = 0; i < this.unsure.size; i++) {
      const task = this.unsure.at(i) as TaskFuture<unknown>;
      if (task.slot !== this || task.seq < this.groupStart || (this.solo && task.seq === this.pos - 1)) continue;
      found.push(task);
    }
    return found;
  }

  /** Process workers: takes back the tasks with sequence numbers `from` to `to - 1`, which the worker will not start. */
  givenBack(from: number, to: number): Array<TaskFuture<unknown>> {
    const taken: Array<TaskFuture<unknown>> = [];
    for (let i = 0; i < this.unsure.size; i++) {
      const task = this.unsure.at(i) as TaskFuture<unknown>;
      if (task.slot === this && task.seq >= from && task.seq < to) {
        this.drop(task);
        taken.push(task);
      }
    }
    if (this.pos > from) this.pos = from;
    if (this.groupStart > this.pos) this.groupStart = this.pos;
    return taken;
  }

  /** Process workers: the worker may have got as far as `pos`; `solo` and `whole` as in the protocol. */
  reported(pos: number, solo: boolean, whole: boolean): void {
    if (pos > this.pos) {
      this.groupStart = this.pos;
      this.pos = pos;
    }
    // A task announced to run alone counts as started from the announcement on, and every task of
    // a group has once the worker says it is between batches.
    if (solo || whole) this.groupStart = this.pos;
    this.solo = solo;
  }

  /**
   * Sorts the tasks of a worker that has ended, and takes them all off the books. The worker's
   * own last word (`fault`) is exact; else a thread's claim words are; else a process's reports
   * are, except for a group of quick tasks it had announced, which may or may not have started.
   */
  orphans(): Orphans {
    this.#sync();
    const started: Array<TaskFuture<unknown>> = [];
    const unstarted: Array<TaskFuture<unknown>> = [];
    const unknown: Array<TaskFuture<unknown>> = [];
    const fault = this.fault;
    const said = fault === undefined ? undefined : new Set(fault.running);
    const control = this.control;
    let culprit: TaskFuture<unknown> | undefined;
    for (const task of this.running) started.push(task);
    while (this.unsure.size > 0) {
      const task = this.unsure.shift() as TaskFuture<unknown>;
      if (task.slot !== this) continue;
      if (said?.has(task.id) === true) {
        started.push(task);
      } else if (control !== null) {
        // No worker left to race with: a task still unclaimed is taken back for good.
        const tag = claimTag(task.seq);
        if (Atomics.compareExchange(control, CTL_CLAIMS + (task.seq & CLAIM_MASK), tag, REVOKED) === tag) unstarted.push(task);
        else started.push(task);
      } else if (said !== undefined || task.seq >= this.pos) {
        unstarted.push(task);
      } else if (task.seq < this.groupStart || this.solo) {
        started.push(task);
      } else {
        unknown.push(task);
      }
    }
    started.sort((a, b) => a.seq - b.seq);
    if (fault !== undefined) {
      culprit = started.find((t) => t.id === fault.culprit);
    } else if (control !== null) {
      // The last task claimed is the one that was running, if the worker was inside a batch.
      if (Atomics.load(control, CTL_BUSY) !== 0) culprit = started[started.length - 1];
    } else if (this.solo) {
      culprit = started.find((t) => t.seq === this.pos - 1);
    }
    for (const task of [...started, ...unstarted, ...unknown]) this.drop(task);
    return { started, unstarted, unknown, culprit };
  }

  /** Moves the tasks known to have started to `running`, and forgets entries that left the books. */
  #sync(): void {
    const queue = this.unsure;
    const control = this.control;
    for (let task = queue.peek(); task !== undefined; task = queue.peek()) {
      if (task.slot === this) {
        const started = control === null
          ? task.seq < this.groupStart
          : Atomics.load(control, CTL_CLAIMS + (task.seq & CLAIM_MASK)) !== claimTag(task.seq);
        if (!started) break;
        this.running.add(task);
        this.#waiting--;
      }
      queue.shift();
    }
  }

  /** Makes this worker keep the program alive while it holds work. */
  ref(): void {
    if (!this.referenced) {
      this.referenced = true;
      this.channel.ref();
    }
  }

  /** Stops this worker keeping the program alive (an unref, not a release of anything). */
  unref(): void {
    if (this.referenced) {
      this.referenced = false;
      this.channel.unref();
    }
  }
}
