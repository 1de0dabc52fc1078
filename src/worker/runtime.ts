/**
 * The worker side of the protocol, shared by thread and process workers: decode a batch, load
 * new functions once, run the tasks in order, send the results back in one message.
 *
 * The synchronous part of a batch runs in one loop without yielding, so a burst of tiny tasks
 * costs one message each way per batch. Tasks that return promises settle later; their results
 * are gathered and sent once per microtask checkpoint.
 *
 * @module
 */
import {
  CTL_STARTED, encodeThrown, packValues, RESULT_STRIDE, STATUS_ERROR, STATUS_OK, TASK_CALL, TASK_KIND_MASK, TASK_SHARED, TASK_TIMED,
  TASK_STARCHUNK, TASK_STRIDE, asToWorker,
  type FromWorker, type RunMessage, type WireChunk, type WireFn, type WireThrown, type WorkerInit,
} from '../protocol.js';
import { callEach, isThenable } from './call-each.js';
import { TaskLoader, type TaskFn } from './task-loader.js';

/** How the runtime talks to the main side. */
export interface RuntimeHost {
  /** Sends a message; may throw (a result that cannot be cloned). */
  post(message: FromWorker): void;
  /** Called when the runtime has nothing left to do: no task running, none awaited. */
  idle?: () => void;
}

type Reviver = (value: unknown) => unknown;

const now = (): number => performance.now();
/** A batch running longer than this sends its results so far. */
const PARTIAL_MS = 2;
const kBeforeBlock = Symbol.for('concurrent-ts.before-block');
const epoch = (): number => performance.timeOrigin + performance.now();

/** One worker's task loop. */
export class Runtime {
  readonly #host: RuntimeHost;
  readonly #init: WorkerInit;
  readonly #loader = new TaskLoader();
  readonly #control: Int32Array | null;
  /** While set, messages wait for it (initializer running, module importing) to keep their order. */
  #gate: Promise<void> | null = null;
  #gated = 0;
  #revive: Reviver | undefined;
  /** The initializer threw: this worker runs no task; the pool is broken and will stop it. */
  #initFailed = false;
  #asyncOut: unknown[] = [];
  #asyncSpans: number[] = [];
  #asyncScheduled = false;
  #current = -1;
  /** Tasks that returned a promise that has not settled yet. */
  #pending = 0;
  /** Results of the running batch not sent yet, and when the unsent part started. */
  #batch: unknown[] = [];
  #batchSpans: number[] | undefined;
  #batchMark = 0;
  #exit: (code?: number) => never = process.exit.bind(process);

  constructor(host: RuntimeHost, init: WorkerInit) {
    this.#host = host;
    this.#init = init;
    this.#control = init.control === null ? null : new Int32Array(init.control);
    this.#interceptExit();
    // The library's blocking waits call this before they block (see flushPartial).
    (globalThis as Record<symbol, unknown>)[kBeforeBlock] = () => this.flushPartial();
  }

  /** Runs the initializer, then reports `ready` (or `init-failed`). Messages received meanwhile wait. */
  start(): Promise<void> {
    return this.#hold(async () => {
      const init = this.#init;
      if (init.initializer !== null) {
        try {
          const fn = await this.#loader.load(init.initializer);
          const args = (init.initflags & TASK_SHARED) !== 0 ? await this.#reviveArgs(init.initargs) : init.initargs;
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
    const message = asToWorker(raw);
    if (message === undefined) {
      this.#rejectMalformed(raw);
      return;
    }
    if (message.op === 'stop') {
      this.#hold(() => {
        this.#flushAsync();
        this.#exit(0);
      }).catch(() => {});
      return;
    }
    const loads = this.#prepare(message);
    if (this.#gate !== null || loads !== undefined) {
      this.#hold(async () => {
        await loads;
        this.#run(message.tasks);
      }).catch(() => {});
    } else {
      this.#run(message.tasks);
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
    if (this.#revive !== undefined) return;
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
    const mod = await import(new URL(`../sync/revive${ext}`, import.meta.url).href) as { reviveShareables: Reviver };
    this.#revive = mod.reviveShareables;
  }

  async #reviveArgs(args: readonly unknown[]): Promise<unknown> {
    await this.#loadReviver();
    return (this.#revive as Reviver)(args);
  }

  #run(tasks: readonly unknown[]): void {
    // Batches that arrived while the initializer ran wait behind it; when it failed they must
    // not run (Python's worker never runs a task after its initializer raised).
    if (this.#initFailed) return;
    // Results go to this.#batch, not a local: a blocking wait inside a task may send and replace it.
    this.#batch = [];
    this.#batchSpans = this.#init.trace ? [] : undefined;
    const tracing = this.#init.trace;
    const control = this.#control;
    this.#batchMark = now();
    for (let i = 0; i < tasks.length; i += TASK_STRIDE) {
      // A long batch sends what it has every few milliseconds, so a quick task's result never
      // waits behind a slow task that follows it in the same message.
      if ((i & 1023) === 0 && i > 0 && now() - this.#batchMark > PARTIAL_MS) this.flushPartial();
      const id = tasks[i] as number;
      const fnId = tasks[i + 1] as number;
      const flags = tasks[i + 2] as number;
      let args = tasks[i + 3];
      if (control !== null) Atomics.add(control, CTL_STARTED, 1);
      this.#current = id;
      const t0 = tracing ? epoch() : 0;
      let result: unknown;
      try {
        const fn = this.#loader.get(fnId);
        if (fn === undefined || typeof id !== 'number' || !(Array.isArray(args) || args instanceof Float64Array)) throw new TypeError(`malformed task ${String(id)}: unknown function, id or arguments`);
        if ((flags & TASK_SHARED) !== 0 && this.#revive !== undefined) args = this.#revive(args);
        if ((flags & TASK_TIMED) !== 0) this.#host.post({ op: 'started', taskId: id });
        const kind = flags & TASK_KIND_MASK;
        result = kind === TASK_CALL ? fn(...(args as unknown[])) : runChunk(fn, args as ArrayLike<unknown>, kind === TASK_STARCHUNK, (e) => this.#encode(e, fnId));
      } catch (error) {
        this.#batch.push(id, STATUS_ERROR, this.#encode(error, fnId));
        this.#batchSpans?.push(id, t0, epoch());
        continue;
      }
      if (isThenable(result)) {
        this.#settleLater(id, fnId, result, t0);
      } else {
        this.#batch.push(id, STATUS_OK, result);
        this.#batchSpans?.push(id, t0, epoch());
      }
    }
    this.#current = -1;
    if (this.#batch.length > 0) this.#send(this.#batch, now() - this.#batchMark, this.#batchSpans);
    this.#batch = [];
    this.#batchSpans = undefined;
    this.#maybeIdle();
  }

  /**
   * Sends the results the running batch has so far. Called between tasks of a long batch, and by
   * the library's blocking waits just before they block: a task that waits for the program to
   * react to an earlier task's result must not hold that result back.
   */
  flushPartial(): void {
    const out = this.#batch;
    if (out.length === 0) return;
    const mark = now();
    this.#send(out, mark - this.#batchMark, this.#batchSpans);
    this.#batch = [];
    this.#batchSpans = this.#init.trace ? [] : undefined;
    this.#batchMark = mark;
  }

  /** `true` when nothing runs or waits: no promise of a task pending, no batch held back. */
  isIdle(): boolean {
    return this.#pending === 0 && this.#gate === null && !this.#asyncScheduled;
  }

  #maybeIdle(): void {
    if (this.#host.idle !== undefined && this.isIdle()) this.#host.idle();
  }

  #settleLater(id: number, fnId: number, result: PromiseLike<unknown>, t0: number): void {
    this.#pending++;
    result.then(
      (value) => this.#asyncDone(id, STATUS_OK, value, t0),
      (error) => this.#asyncDone(id, STATUS_ERROR, this.#encode(error, fnId), t0),
    );
  }

  #asyncDone(id: number, status: number, value: unknown, t0: number): void {
    this.#pending--;
    this.#asyncOut.push(id, status, value);
    if (this.#init.trace) this.#asyncSpans.push(id, t0, epoch());
    if (!this.#asyncScheduled) {
      this.#asyncScheduled = true;
      queueMicrotask(() => this.#flushAsync());
    }
  }

  #flushAsync(): void {
    this.#asyncScheduled = false;
    if (this.#asyncOut.length === 0) return;
    const out = this.#asyncOut;
    const spans = this.#init.trace ? this.#asyncSpans : undefined;
    this.#asyncOut = [];
    this.#asyncSpans = [];
    this.#send(out, 0, spans);
    this.#maybeIdle();
  }

  #send(results: unknown[], busy: number, spans: number[] | undefined): void {
    const message: FromWorker = spans === undefined ? { op: 'done', results, busy } : { op: 'done', results, busy, spans };
    try {
      this.#host.post(message);
    } catch {
      // Some result cannot be cloned. Find which, replace it with an error, and send the rest.
      sanitize(results);
      this.#host.post(message);
    }
  }

  #encode(error: unknown, fnId: number): WireThrown {
    annotateReferenceError(error, this.#loader.wire(fnId));
    trimStack(error);
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
    if (out.length > 0) this.#send(out, 0, undefined);
  }

  /**
   * `process.exit()` inside a task ends this worker. Tell the main side which task did it, after
   * sending the results already computed, so that only that task fails.
   */
  #interceptExit(): void {
    const exit = this.#exit;
    process.exit = ((code?: number | string | null) => {
      try {
        this.#flushAsync();
        this.#host.post({ op: 'exiting', code: Number(code ?? process.exitCode ?? 0), taskId: this.#current });
      } catch {
        // The channel may already be closed; exiting is all that is left.
      }
      return exit(code as number);
    });
  }
}

/** A map chunk on the wire: numbers and booleans packed when no item failed and none was async. */
function runChunk(fn: TaskFn, items: ArrayLike<unknown>, star: boolean, encode: (e: unknown) => WireThrown): WireChunk | Promise<WireChunk> {
  const out = callEach(fn, items, star, encode);
  if (isThenable(out) || out.failed !== null) return out;
  return { ...packValues(out.values), failed: null, ms: out.ms };
}

/** Replaces every result that structured clone rejects with an error saying so. */
function sanitize(results: unknown[]): void {
  const problem = (value: unknown): string | undefined => {
    try {
      structuredClone(value);
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  const failure = (reason: string): WireThrown => encodeThrown(Object.assign(
    new TypeError(`the task's result cannot be sent back to the caller: ${reason}. Return plain data (no functions, symbols or class instances).`),
    { name: 'SerializationError' },
  ));
  for (let i = 0; i < results.length; i += RESULT_STRIDE) {
    const value = results[i + 2];
    const chunk = value as WireChunk | null;
    if (results[i + 1] === STATUS_OK && chunk !== null && typeof chunk === 'object' && Array.isArray(chunk.values) && 'failed' in chunk) {
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
  const cut = lines.findIndex((line, i) => i > 0 && /Runtime\.#run|callEach \(|runChunk \(|[/\\]worker[/\\](thread|process)-entry\./.test(line));
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
