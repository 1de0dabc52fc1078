/**
 * The worker side of the protocol, shared by thread and process workers: decode a batch, load
 * new functions once, then for each task in order claim it, run it, and send its result soon.
 *
 * The synchronous part of a batch runs in one loop without yielding. Results leave in groups:
 * those of quick tasks wait for a millisecond's worth of company, a task that may be long is
 * bracketed (the results before it leave before it starts, its own right after it ends; see
 * `FnClock`), and everything leaves at the end of the loop. Tasks that return promises settle
 * later; their results leave once per microtask checkpoint.
 *
 * A thread worker claims each task in shared memory before starting it and skips the ones the
 * main side has taken back. A process worker reports how far it has got instead. Either way, the
 * main side always knows which tasks have started, and when this worker ends in a way it can see
 * (a task calls `process.exit`, an error escapes every task), it says which tasks were running
 * before it goes. Design: docs/decisions/pool-scheduling.md.
 *
 * @module
 */
import { constants as osConstants } from 'node:os';
import { packValues, type WireChunk } from '../chunk-values.js';
import { CLAIM_MASK, CLAIMED, CTL_BUSY, CTL_CLAIMS, CTL_LONG, CTL_STARTED, CTL_STOP, claimTag, startClaim } from '../control-block.js';
import { containsError, decodeValue, encodeThrown, encodeValue, type WireThrown } from '../error-codec.js';
import {
  RESULT_STRIDE, STATUS_ERROR, STATUS_OK, STATUS_OK_ENCODED, TASK_ERRORS, timingKey, TASK_CALL, TASK_KIND_MASK, TASK_SHARED,
  TASK_SPAN, TASK_TIMED, TASK_TRACE, TASK_STARCHUNK, TASK_STRIDE, asToWorker, type DoneMessage, type FaultMessage, type FromWorker,
  type RunMessage, type WireFn, type WorkerInit,
} from '../protocol.js';
import { callEach, isThenable } from './call-each.js';
import { FnClock } from './fn-clock.js';
import { TaskLoader, type TaskFn } from './task-loader.js';
import { runTraced } from './trace-context.js';
import { isTransfer } from '../transfer.js';

/** How the runtime talks to the main side. */
export interface RuntimeHost {
  /**
   * Sends a message; may throw (a result that cannot be cloned). `transfer`: what the message
   * moves rather than copies (results marked with `transfer()`; a process's channel copies them).
   */
  post(message: FromWorker, transfer?: readonly object[]): void;
  /** Called when the runtime has nothing left to do: no task running, none awaited. */
  idle?: () => void;
  /** Throws for a value `post` could not carry; structured clone when absent. */
  check?: (value: unknown) => void;
  /**
   * Loads what rebuilds the library's primitives inside arguments (the reviver registry, which
   * imports every primitive): called once, the first time arguments hold one.
   */
  loadReviver(): Promise<Reviver>;
  /**
   * Process workers: claim words shared with the revoker thread, which takes tasks back while
   * this thread runs (see `startClaim` in control-block.ts); absent when there is none.
   */
  readonly claims?: Int32Array;
}

/** Rebuilds the library's primitives and handles inside a task's arguments. */
export type Reviver = (value: unknown) => unknown;

const now = (): number => performance.now();
const epoch = (at: number): number => performance.timeOrigin + at;
/** Results of quick tasks wait at most this long (ms) for company before they leave. */
const FLUSH_MS = 1;
/** A process worker's group of quick tasks holds at most this many tasks, and about this much work (ms). */
const GROUP_MAX = 64;
const GROUP_MS = 0.2;
const kBeforeBlock = Symbol.for('concurrent-ts.before-block');

/** One worker's task loop. */
export class Runtime {
  readonly #host: RuntimeHost;
  readonly #init: WorkerInit;
  readonly #loader = new TaskLoader();
  readonly #clock = new FnClock();
  /** Thread workers: the control block shared with the pool (claims, counters). */
  readonly #control: Int32Array | null;
  /** Process workers: the claim words the revoker thread takes tasks back through, if any. */
  readonly #claims: Int32Array | null;
  /** While set, messages wait for it (initializer running, module importing) to keep their order. */
  #gate: Promise<void> | null = null;
  #gated = 0;
  #revive: Reviver | undefined;
  /** The initializer threw: this worker runs no task; the pool is broken and will stop it. */
  #initFailed = false;
  /** The worker is ending: it has said which tasks were running, and starts nothing more. */
  #faulted = false;

  /** Results not sent yet: `[id, status, value, …]`, and the spans of those flagged `TASK_SPAN`. */
  #out: unknown[] = [];
  /**
   * `[id, start, end, …]` of those results, growing by doubling; sent as a `Float64Array`, which
   * crosses as one block of memory instead of three numbers per task to deserialize one by one.
   */
  #spans = new Float64Array(192);
  #spanCount = 0;
  /** What those results move rather than copy (`transfer()`). */
  #outMoves: object[] | undefined;
  /** When the oldest unsent result was ready. */
  #oldest = 0;
  /** Milliseconds of synchronous work since the last message. */
  #busy = 0;
  #flushScheduled = false;

  /** The task whose synchronous part is running, or -1. */
  #current = -1;
  /** Tasks that returned a promise that has not settled yet. */
  readonly #pending = new Set<number>();
  /** Sequence numbers of the running batch: the next task's, and one past its last. */
  #next = 0;
  #batchEnd = -1;
  /** The running task said it is about to block: report again as soon as it returns. */
  #reportAfter = false;
  /** A giveback was sent and nothing since: the main side sends nothing more until it hears again. */
  #gaveBack = false;
  /** Process workers: tasks below this sequence number were given back and must not start. */
  #skipBelow = 0;
  /**
   * Process workers: the worker may have started any task below `#pos` and none above (it tells
   * the main side before it moves this mark); and what the main side was last told.
   */
  #pos = 0;
  #reportedPos = 0;
  /** Process workers: the main side was told that every task below this has started. */
  #wholeUpTo = 0;
  #reportedSolo = false;

  #exit: (code?: number) => never = process.exit.bind(process);

  constructor(host: RuntimeHost, init: WorkerInit) {
    this.#host = host;
    this.#init = init;
    this.#control = init.control === null ? null : new Int32Array(init.control);
    this.#claims = host.claims ?? null;
    // The library's blocking waits call this before they block.
    (globalThis as Record<symbol, unknown>)[kBeforeBlock] = () => this.#beforeBlock();
  }

  /** Runs the initializer, then reports `ready` (or `init-failed`). Messages received meanwhile wait. */
  start(): Promise<void> {
    return this.#hold(async () => {
      const init = this.#init;
      if (init.initializer !== null) {
        try {
          const fn = await this.#loader.load(init.initializer);
          const initargs = (init.initflags & TASK_ERRORS) !== 0 ? decodeValue(init.initargs) as unknown[] : init.initargs;
          const args = (init.initflags & TASK_SHARED) !== 0 ? await this.#reviveArgs(initargs) : initargs;
          await fn(...(args as unknown[]));
        } catch (error) {
          this.#initFailed = true;
          this.#host.post({ op: 'init-failed', error: encodeThrown(error) });
          return;
        }
      }
      this.#host.post({ op: 'ready', pid: process.pid });
    });
  }

  /** Handles one incoming message. A malformed one is answered, never allowed to crash the worker. */
  receive(raw: unknown): void {
    this.#gaveBack = false;
    const message = asToWorker(raw);
    if (message === undefined) {
      this.#rejectMalformed(raw);
      return;
    }
    if (message.op === 'halt') {
      // Not behind the gate: whatever waits there has not started, and the pool wants an answer now.
      this.#fault('halt', 0, null, undefined);
      this.#exit(0);
    }
    if (message.op === 'stop') {
      this.#hold(() => {
        this.#flush(false);
        this.#exit(0);
      }).catch(() => {});
      return;
    }
    const loads = this.#prepare(message);
    if (this.#gate !== null || loads !== undefined) {
      this.#hold(async () => {
        await loads;
        this.#run(message);
      }).catch(() => {});
    } else {
      this.#run(message);
    }
  }

  /** Queues `step` behind everything already waiting, so batches run in the order they came. */
  #hold(step: () => void | Promise<void>): Promise<void> {
    this.#gated++;
    const previous = this.#gate ?? Promise.resolve();
    const gate = previous.then(step).finally(() => {
      if (--this.#gated === 0) {
        this.#gate = null;
        this.#maybeIdle();
      }
    });
    this.#gate = gate;
    return gate;
  }

  /** Defines new functions; returns a promise if something must load first. */
  #prepare(message: RunMessage): Promise<unknown> | undefined {
    let pending: Array<Promise<unknown>> | undefined;
    if (message.defs !== null) {
      for (const [id, wire] of message.defs) {
        const loading = this.#loader.define(id, wire);
        if (loading !== undefined) (pending ??= []).push(loading);
      }
    }
    if (this.#revive === undefined) {
      const tasks = message.tasks;
      for (let i = 2; i < tasks.length; i += TASK_STRIDE) {
        if (((tasks[i] as number) & TASK_SHARED) !== 0) {
          (pending ??= []).push(this.#loadReviver());
          break;
        }
      }
    }
    return pending === undefined ? undefined : Promise.all(pending);
  }

  async #loadReviver(): Promise<void> {
    this.#revive ??= await this.#host.loadReviver();
  }

  async #reviveArgs(args: readonly unknown[]): Promise<unknown> {
    await this.#loadReviver();
    return (this.#revive as Reviver)(args);
  }

  #run(message: RunMessage): void {
    // Batches that arrived while the initializer ran wait behind it; when it failed they must
    // not run (Python's worker never runs a task after its initializer raised).
    if (this.#initFailed || this.#faulted) return;
    const tasks = message.tasks;
    const control = this.#control;
    let seq = message.seq;
    this.#batchEnd = seq + tasks.length / TASK_STRIDE;
    if (control !== null) Atomics.store(control, CTL_BUSY, 1);
    let clock = now();
    let awaiting = false;
    let skipped = false;
    const traces = message.traces;
    let traceAt = 0;
    for (let i = 0; i < tasks.length; i += TASK_STRIDE, seq++) {
      this.#next = seq + 1;
      this.#gaveBack = false;
      if (this.#faulted) break;
      if (seq < this.#skipBelow) continue;
      if (this.#claims !== null && !startClaim(this.#claims, seq)) {
        // Taken back by the pool while this thread ran (another worker runs it).
        skipped = true;
        continue;
      }
      if (control !== null) {
        // Being stopped: start nothing more (the termination may already be spent, see CTL_STOP).
        if (Atomics.load(control, CTL_STOP) !== 0) break;
        // Taken back by the main side (another worker runs it): not ours to start.
        const tag = claimTag(seq);
        if (Atomics.compareExchange(control, CTL_CLAIMS + (seq & CLAIM_MASK), tag, CLAIMED) !== tag) {
          skipped = true;
          continue;
        }
        Atomics.add(control, CTL_STARTED, 1);
      }
      const id = tasks[i] as number;
      const fnId = tasks[i + 1] as number;
      const flags = tasks[i + 2] as number;
      let args = tasks[i + 3];
      const timing = timingKey(fnId, flags);
      const bracket = this.#clock.mayBeLong(timing);
      if (control === null) {
        // A process worker says how far it may get before it gets there: alone for a task that
        // may be long, else a short group of quick ones (docs/decisions/pool-scheduling.md).
        if (bracket) {
          if (seq >= this.#pos) this.#pos = seq + 1;
          this.#flush(this.#pos === seq + 1);
          clock = now();
        } else if (seq >= this.#pos) {
          this.#pos = seq + this.#groupLength(tasks, i);
          this.#flush(false);
          clock = now();
        }
      } else if (bracket) {
        Atomics.store(control, CTL_LONG, 1);
        this.#flush(true);
        clock = now();
      }
      if (!bracket && i + TASK_STRIDE >= tasks.length && this.#out.length > 0) {
        // The last task of a batch goes without company anyway: what came before it leaves first,
        // in case this call of a quick function is the one that runs long.
        this.#flush(false);
        clock = now();
      }
      this.#current = id;
      let result: unknown;
      let failed = false;
      const kind = flags & TASK_KIND_MASK;
      const parent = (flags & TASK_TRACE) !== 0 ? traces?.[traceAt++] : undefined;
      try {
        const fn = this.#loader.get(fnId);
        if (fn === undefined || typeof id !== 'number' || !(Array.isArray(args) || args instanceof Float64Array)) throw new TypeError(`malformed task ${String(id)}: unknown function, id or arguments`);
        if ((flags & TASK_ERRORS) !== 0) args = decodeValue(args);
        if ((flags & TASK_SHARED) !== 0 && this.#revive !== undefined) args = this.#revive(args);
        if ((flags & TASK_TIMED) !== 0) this.#host.post({ op: 'started', taskId: id });
        if (parent !== undefined) {
          const traced = args;
          result = runTraced(parent, () => (kind === TASK_CALL ? fn(...(traced as unknown[]))
            : runChunk(fn, traced as ArrayLike<unknown>, kind === TASK_STARCHUNK, (e) => this.#encode(e, fnId))));
        } else {
          result = kind === TASK_CALL ? fn(...(args as unknown[])) : runChunk(fn, args as ArrayLike<unknown>, kind === TASK_STARCHUNK, (e) => this.#encode(e, fnId));
        }
      } catch (error) {
        result = this.#encode(error, fnId);
        failed = true;
      }
      this.#current = -1;
      if (bracket && control !== null) Atomics.store(control, CTL_LONG, 0);
      const end = now();
      const ms = end - clock;
      this.#clock.record(timing, ms);
      this.#busy += ms;
      const span = (flags & TASK_SPAN) !== 0;
      if (!failed && isThenable(result)) {
        this.#settleLater(id, fnId, kind, result, span ? clock : undefined);
        awaiting = true;
      } else {
        if (!failed) result = this.#unwrapMoves(result, kind);
        if (this.#out.length === 0) this.#oldest = end;
        if (!failed && containsError(result)) this.#out.push(id, STATUS_OK_ENCODED, encodeValue(result));
        else this.#out.push(id, failed ? STATUS_ERROR : STATUS_OK, result);
        if (span) this.#span(id, clock, end);
      }
      clock = end;
      // The last task: idle again before its result leaves, so the next task finds this worker free.
      if (control !== null && i + TASK_STRIDE >= tasks.length) Atomics.store(control, CTL_BUSY, 0);
      if (bracket || this.#reportAfter || (this.#out.length > 0 && end - this.#oldest >= FLUSH_MS)) {
        this.#reportAfter = false;
        this.#flush(false);
      }
    }
    this.#batchEnd = -1;
    if (control !== null) Atomics.store(control, CTL_BUSY, 0);
    // Tasks that only returned promises have no result yet, but the pool must hear that this
    // worker is free again (it sends nothing more meanwhile to a worker it thinks busy with a task
    // that may be long), and how quick a new function is. A worker that found tasks taken back
    // says it is awake: the pool sends nothing to one it saw holding tasks and starting none.
    this.#flush(false, awaiting || skipped || this.#clock.fresh || (control === null && this.#pos > this.#wholeUpTo), true);
    this.#wholeUpTo = this.#pos;
    this.#maybeIdle();
  }

  /** How many tasks from index `i` of `tasks` form a group: quick ones, together worth a fraction of a millisecond. */
  #groupLength(tasks: readonly unknown[], i: number): number {
    let count = 0;
    let ms = 0;
    for (let j = i; j < tasks.length && count < GROUP_MAX && ms < GROUP_MS; j += TASK_STRIDE) {
      const timing = timingKey(tasks[j + 1] as number, tasks[j + 2] as number);
      if (count > 0 && this.#clock.mayBeLong(timing)) break;
      ms += this.#clock.meanMs(timing) || 0;
      count++;
    }
    return count;
  }

  /**
   * Sends the results not sent yet. A process worker also says how far it has got (`pos`) when
   * that changed, and with `solo` that the task `pos - 1` starts now and nothing else will before
   * its next message.
   */
  #flush(solo: boolean, always = false, whole = false): void {
    const reportsPos = this.#control === null;
    const out = this.#out;
    if (!always && out.length === 0 && (!reportsPos || (this.#pos === this.#reportedPos && solo === this.#reportedSolo))) return;
    const spans = this.#spanCount === 0 ? undefined : this.#spans.slice(0, this.#spanCount);
    this.#spanCount = 0;
    const moves = this.#outMoves;
    this.#outMoves = undefined;
    const timing = this.#clock.take();
    const message: DoneMessage = {
      op: 'done',
      results: out,
      busy: this.#busy,
      ...(timing === undefined ? {} : { timing }),
      ...(spans === undefined ? {} : { spans }),
      ...(reportsPos ? { pos: this.#pos, solo, ...(whole ? { whole } : {}) } : {}),
    };
    this.#out = [];
    this.#busy = 0;
    this.#reportedPos = this.#pos;
    this.#reportedSolo = solo;
    this.#send(message, moves === undefined ? undefined : [...new Set(moves)]);
  }

  /**
   * Called by the library's blocking waits just before they block: a task that waits for the
   * program to react to an earlier task's result must not hold that result back, nor hold the
   * tasks behind it hostage while it waits.
   */
  #beforeBlock(): void {
    if (this.#faulted) return;
    if (this.#current < 0) {
      // Blocking after a task's await: no task of this batch can be told apart as the blocker.
      this.#flush(false);
      if (this.#control !== null) this.#giveback(this.#next, this.#next);
      return;
    }
    const from = this.#next;
    const to = this.#batchEnd;
    // Bracket the blocking task: the main side learns it is the one running, and hears again as
    // soon as it returns.
    if (this.#control === null) {
      // Nothing after the blocking task will start before it returns: give the rest of the batch
      // back, and report that this task runs alone.
      if (to > from) this.#giveback(from, to);
      if (this.#pos > from) this.#pos = from;
      this.#flush(true);
    } else {
      this.#flush(true);
      this.#giveback(from, Math.max(from, to));
    }
    this.#reportAfter = true;
  }

  /**
   * A process worker gives back tasks `from` to `to - 1` and will not start them. A thread worker
   * asks the main side to take back every task of it that it can claim first (the rest of this
   * batch, and messages not read yet). The main side sends nothing more to a worker that gave
   * back until it hears from it again.
   */
  #giveback(from: number, to: number): void {
    // Once per task, and once per message received outside tasks.
    if (this.#gaveBack) return;
    this.#gaveBack = true;
    if (this.#control === null) this.#skipBelow = to;
    this.#host.post({ op: 'giveback', from, to });
  }

  /** `true` when nothing runs or waits: no promise of a task pending, no batch held back. */
  isIdle(): boolean {
    return this.#pending.size === 0 && this.#gate === null && !this.#flushScheduled;
  }

  #maybeIdle(): void {
    if (this.#host.idle !== undefined && this.isIdle()) this.#host.idle();
  }

  /** `startedAt`: when the task started, if its span is to be recorded. */
  #settleLater(id: number, fnId: number, kind: number, result: PromiseLike<unknown>, startedAt: number | undefined): void {
    this.#pending.add(id);
    result.then(
      (value) => this.#asyncDone(id, STATUS_OK, this.#unwrapMoves(value, kind), startedAt),
      (error) => this.#asyncDone(id, STATUS_ERROR, this.#encode(error, fnId), startedAt),
    );
  }

  /** Records that task `id` ran from `start` to `end` (`performance.now()`), in epoch ms. */
  #span(id: number, start: number, end: number): void {
    let at = this.#spanCount;
    if (at + 3 > this.#spans.length) {
      const grown = new Float64Array(this.#spans.length * 2);
      grown.set(this.#spans);
      this.#spans = grown;
    }
    const spans = this.#spans;
    spans[at++] = id;
    spans[at++] = epoch(start);
    spans[at++] = epoch(end);
    this.#spanCount = at;
  }

  /**
   * A result marked with `transfer()` (a call's, or a map item's) leaves as its plain value, and
   * what it moves goes in the message's transfer list.
   */
  #unwrapMoves(result: unknown, kind: number): unknown {
    if (typeof result !== 'object' || result === null) return result;
    if (kind === TASK_CALL) {
      if (!isTransfer(result)) return result;
      (this.#outMoves ??= []).push(...(result.transferList as object[]));
      return result.value;
    }
    const values = (result as { values?: unknown }).values;
    if (!Array.isArray(values)) return result;
    for (let i = 0; i < values.length; i++) {
      const item: unknown = values[i];
      if (typeof item === 'object' && item !== null && isTransfer(item)) {
        (this.#outMoves ??= []).push(...(item.transferList as object[]));
        values[i] = item.value;
      }
    }
    return result;
  }

  #asyncDone(id: number, status: number, value: unknown, startedAt: number | undefined): void {
    // After a fault the task was reported as running and failed on the main side.
    if (!this.#pending.delete(id) || this.#faulted) return;
    const end = now();
    if (this.#out.length === 0) this.#oldest = end;
    if (status === STATUS_OK && containsError(value)) this.#out.push(id, STATUS_OK_ENCODED, encodeValue(value));
    else this.#out.push(id, status, value);
    if (startedAt !== undefined) this.#span(id, startedAt, end);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(this.#flushAsync);
    }
  }

  readonly #flushAsync = (): void => {
    this.#flushScheduled = false;
    // A batch running now sends these with its own.
    if (this.#batchEnd >= 0) return;
    this.#flush(false);
    this.#maybeIdle();
  };

  #send(message: DoneMessage, moves?: readonly object[]): void {
    try {
      this.#host.post(message, moves);
      return;
    } catch {
      // Some result cannot be cloned. Find which, replace it with an error, and send the rest.
    }
    const results = message.results as unknown[];
    sanitize(results, this.#host.check ?? structuredClone);
    try {
      // The first attempt may have failed on the transfer list itself (a buffer marked twice, an
      // object that cannot move): this one copies whatever it can.
      this.#host.post(message);
    } catch (error) {
      // Still refused: no result of this message can be trusted to travel; each task fails alone.
      const reason = encodeThrown(new Error(`the task's result cannot be sent back to the caller: ${error instanceof Error ? error.message : String(error)}`));
      for (let i = 0; i < results.length; i += RESULT_STRIDE) {
        results[i + 1] = STATUS_ERROR;
        results[i + 2] = reason;
      }
      const { spans: _spans, ...rest } = message;
      this.#host.post({ ...rest, results });
    }
  }

  #encode(error: unknown, fnId: number): WireThrown {
    try {
      annotateReferenceError(error, this.#loader.wire(fnId));
      trimStack(error);
    } catch {
      // A thrown value that fights being read (a throwing getter, a frozen error) goes as it is.
    }
    return encodeThrown(error);
  }

  #rejectMalformed(raw: unknown): void {
    // Answer what can be answered: a message that names task ids gets an error for each of them.
    const tasks = typeof raw === 'object' && raw !== null ? (raw as { tasks?: unknown }).tasks : undefined;
    if (!Array.isArray(tasks)) return;
    const out: unknown[] = [];
    for (let i = 0; i < tasks.length; i += TASK_STRIDE) {
      if (typeof tasks[i] === 'number') {
        out.push(tasks[i], STATUS_ERROR, encodeThrown(new TypeError('malformed message from the main side: the task was not run')));
      }
    }
    if (out.length > 0) this.#send({ op: 'done', results: out, busy: 0 });
  }

  /**
   * The worker is about to end: send the results it has, then say which tasks were running
   * (every other task it was sent never started), and start nothing more.
   */
  #fault(cause: FaultMessage['cause'], code: number, signal: string | null, error: unknown): void {
    if (this.#faulted) return;
    try {
      this.#flush(false);
    } catch {
      // The results could not be sent: their tasks count as running, and fail on the main side.
    }
    this.#faulted = true;
    const running = [...this.#pending];
    if (this.#current >= 0) running.push(this.#current);
    let thrown: WireThrown | null = null;
    if (cause === 'error') {
      try {
        trimStack(error);
      } catch {
        // As in #encode: an error that fights being read goes as it is.
      }
      thrown = encodeThrown(error);
    }
    try {
      this.#host.post({ op: 'fault', cause, code, signal, error: thrown, culprit: this.#current, running });
    } catch {
      // The channel may already be closed; ending is all that is left.
    }
  }

  /**
   * Watches the ways this worker ends that it can see coming: a task calls `process.exit()` (or,
   * in a process, kills its own process), or an error escapes every task (thrown from a timer, a
   * rejection nobody handles). Each is reported with the tasks it cuts short before the worker
   * goes. Called once by the worker entries (not by a runtime built in a test).
   */
  watchEndings(): void {
    const exit = this.#exit;
    process.exit = ((code?: number | string | null) => {
      this.#fault('exit', Number(code ?? process.exitCode ?? 0), null, undefined);
      return exit(code as number);
    });
    process.on('uncaughtException', (error) => {
      this.#fault('error', 1, null, error);
      exit(1);
    });
    if (this.#init.kind !== 'process') return;
    const kill = process.kill.bind(process);
    process.kill = ((pid: number, signal?: string | number) => {
      const name = signalName(signal);
      if (pid === process.pid && name !== undefined && process.listenerCount(name) === 0) this.#fault('exit', 128 + (osConstants.signals[name] ?? 0), name, undefined);
      return kill(pid, signal);
    });
  }
}

/** The name of a signal that ends a process by default, or `undefined` (signal 0, a signal that does not). */
function signalName(signal: string | number | undefined): NodeJS.Signals | undefined {
  const name = signal === undefined ? 'SIGTERM'
    : typeof signal === 'number' ? (Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0]) : signal;
  return name !== undefined && ENDING_SIGNALS.has(name) ? name as NodeJS.Signals : undefined;
}

const ENDING_SIGNALS = new Set(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGABRT', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGUSR2', 'SIGALRM', 'SIGPIPE']);

/** A map chunk on the wire: numbers and booleans packed when no item failed and none was async. */
function runChunk(fn: TaskFn, items: ArrayLike<unknown>, star: boolean, encode: (e: unknown) => WireThrown): WireChunk | Promise<WireChunk> {
  const out = callEach(fn, items, star, encode);
  if (isThenable(out) || out.failed !== null) return out;
  return { ...packValues(out.values), failed: null, ms: out.ms };
}

/**
 * Replaces every result that the channel cannot carry with an error saying so. `check` throws for
 * a value the channel rejects: structured clone for a thread, V8's serializer for a process (which,
 * unlike structured clone within one process, refuses a `SharedArrayBuffer`).
 */
function sanitize(results: unknown[], check: (value: unknown) => void): void {
  const problem = (value: unknown): string | undefined => {
    try {
      check(value);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const failure = (reason: string): WireThrown => encodeThrown(Object.assign(
    new TypeError(`the task's result cannot be sent back to the caller: ${reason.replace(/\.+$/, '')}. Return plain data (no functions, symbols or class instances).`),
    { name: 'SerializationError' },
  ));
  for (let i = 0; i < results.length; i += RESULT_STRIDE) {
    const value = results[i + 2];
    const chunk = value as WireChunk | null;
    const ok = results[i + 1] === STATUS_OK || results[i + 1] === STATUS_OK_ENCODED;
    if (ok && chunk !== null && typeof chunk === 'object' && Array.isArray(chunk.values) && 'failed' in chunk) {
      chunk.values.forEach((item, at) => {
        const reason = problem(item);
        if (reason === undefined) return;
        chunk.values[at] = failure(reason);
        const failed = ((chunk as { failed: number[] | null }).failed ??= []);
        failed.push(at);
        failed.sort((a, b) => a - b);
      });
      continue;
    }
    const reason = problem(value);
    if (reason === undefined) continue;
    const status = results[i + 1];
    results[i + 1] = STATUS_ERROR;
    results[i + 2] = status === STATUS_ERROR
      ? encodeThrown(new Error(`the task failed, and its error cannot be sent back: ${reason}`))
      : failure(reason);
  }
}

/** Drops the runtime's own frames from a task's stack: the user's frames are what matter. */
function trimStack(error: unknown): void {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return;
  const lines = error.stack.split('\n');
  const cut = lines.findIndex((line, i) => i > 0 && /Runtime\.#run|callEach \(|runChunk \(|[/\\]entries[/\\](thread|process)-entry\./.test(line));
  if (cut > 0) error.stack = lines.slice(0, cut).join('\n');
}

/** A source-shipped function that touches a variable of its home module fails with a hint. */
function annotateReferenceError(error: unknown, wire: WireFn | undefined): void {
  if (!(error instanceof ReferenceError) || wire?.kind !== 'source' || error.message.includes('sent to the worker as source')) return;
  const hint = ` (in "${wire.name}", which was sent to the worker as source text: it can use only its arguments and ` +
    'globals, not variables or imports of the module where it was written. Export it from a module and submit ' +
    `taskModule(new URL("./module.js", import.meta.url)).${wire.name} instead)`;
  const firstLine = `${error.name}: ${error.message}`;
  error.message += hint;
  if (typeof error.stack === 'string' && error.stack.startsWith(firstLine)) {
    error.stack = `${error.name}: ${error.message}${error.stack.slice(firstLine.length)}`;
  }
}
