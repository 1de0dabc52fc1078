/**
 * OpenTelemetry on the main side: a span per task, from `submit` to its settling, child of the
 * context active at `submit`; its `traceparent` travels with the task, and the worker runs the
 * task under it (`worker/trace-context.ts`), so the spans the task starts are children of it.
 *
 * `@opentelemetry/api` is an optional peer dependency, loaded on the first `submit` (never on
 * import) and only if the program has it. As the API intends, nothing is recorded until the
 * program registers an SDK; until then a task costs one check per tick, not a span.
 *
 * The few members of the API used here are typed locally: the package's types must not be
 * needed to compile a program that does not use it.
 *
 * @module
 */
import { loadOtelApi } from '../worker/trace-context.js';
import type { TaskKind } from '../core/backend.js';
import type { TaskFuture, TaskTrace } from './task-future.js';

interface SpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
}

interface Span {
  spanContext(): SpanContext;
  setAttribute(key: string, value: string | number | boolean): unknown;
  recordException(exception: unknown): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

interface Tracer {
  startSpan(name: string, options: { kind: number; attributes: Record<string, string | number> }, context: unknown): Span;
}

interface TracerProvider {
  getDelegate?(): unknown;
}

interface OtelApi {
  trace: { getTracer(name: string, version?: string): Tracer; getTracerProvider(): TracerProvider };
  context: { active(): unknown };
  ProxyTracerProvider: new () => TracerProvider;
}

/** The API's `SpanStatusCode.ERROR` and `SpanKind.INTERNAL`. */
const STATUS_ERROR = 2;
const KIND_INTERNAL = 0;
/** The program's `@opentelemetry/api`, or `null` when it has none. */
function loadApi(): OtelApi | null {
  return loadOtelApi() as OtelApi | null;
}

/** One pool's tracing. */
export class Tracing {
  readonly #pool: string;
  #api: OtelApi | null | undefined;
  #tracer: Tracer | undefined;
  /** The provider the API falls back on when none is registered: its absence of an SDK. */
  #noop: unknown;
  #enabled = false;
  /** `#enabled` holds for the rest of this tick. */
  #fresh = false;

  constructor(pool: string) {
    this.#pool = pool;
  }

  /** Whether tasks submitted now get a span: the API is there and an SDK registered. Checked once per tick. */
  enabled(): boolean {
    if (this.#fresh) return this.#enabled;
    if (this.#api === null) return false;
    if (this.#api === undefined) {
      this.#api = loadApi();
      if (this.#api === null) return false;
      this.#noop = new this.#api.ProxyTracerProvider().getDelegate?.();
    }
    const provider = this.#api.trace.getTracerProvider();
    this.#enabled = typeof provider.getDelegate !== 'function' || provider.getDelegate() !== this.#noop;
    this.#fresh = true;
    queueMicrotask(() => {
      this.#fresh = false;
    });
    return this.#enabled;
  }

  /** Opens the span of `task` (ended when the task settles); call only when {@link Tracing.enabled}. */
  start(task: TaskFuture<unknown>, fn: string, kind: TaskKind, items: number): TaskTrace {
    const api = this.#api as OtelApi;
    this.#tracer ??= api.trace.getTracer('concurrent-ts');
    const span = this.#tracer.startSpan(`task ${fn}`, {
      kind: KIND_INTERNAL,
      attributes: { 'concurrent_ts.pool': this.#pool, 'concurrent_ts.task.function': fn, 'concurrent_ts.task.kind': kind, 'concurrent_ts.task.items': items },
    }, api.context.active());
    const { traceId, spanId, traceFlags } = span.spanContext();
    task.addDoneCallback(() => end(task, span));
    return { parent: `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}` };
  }
}

function end(task: TaskFuture<unknown>, span: Span): void {
  const extra = task.extra;
  if (extra !== undefined) {
    if (extra.worker !== undefined) span.setAttribute('concurrent_ts.worker', extra.worker);
    if (extra.startedAt > 0) {
      span.setAttribute('concurrent_ts.task.wait_ms', Math.max(0, extra.startedAt - performance.timeOrigin - task.queuedAt));
      span.setAttribute('concurrent_ts.task.run_ms', extra.endedAt - extra.startedAt);
    }
  }
  if (task.cancelled()) {
    span.setAttribute('concurrent_ts.task.cancelled', true);
  } else {
    const outcome = task._outcome();
    if (!outcome.ok) {
      const error = outcome.error;
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: STATUS_ERROR, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  span.end();
}
