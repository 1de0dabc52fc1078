/**
 * OpenTelemetry in a worker: runs a task under the trace context its span on the main side sent
 * (a W3C `traceparent`), so that the spans the task starts are children of that span. Needs the
 * worker to have `@opentelemetry/api` and, for spans to be recorded and parented across `await`,
 * an SDK registered in the worker (a tracer provider and a context manager: an `--import` of the
 * program's instrumentation, or the pool's `initializer`). Without the API, the task just runs.
 *
 * @module
 */
import { createRequire } from 'node:module';

interface OtelApi {
  ROOT_CONTEXT: unknown;
  trace: { setSpanContext(context: unknown, spanContext: { traceId: string; spanId: string; traceFlags: number; isRemote: boolean }): unknown };
  context: { with<R>(context: unknown, fn: () => R): R };
}

const PACKAGE = '@opentelemetry/api';
let loaded: object | null | undefined;

/**
 * The program's `@opentelemetry/api` (an optional peer dependency), or `null` when it has none;
 * loaded once, on first use, in whichever thread asks (the pool's spans use it too).
 */
export function loadOtelApi(): object | null {
  if (loaded !== undefined) return loaded;
  try {
    loaded = createRequire(import.meta.url)(PACKAGE) as object;
  } catch {
    loaded = null;
  }
  return loaded;
}

function loadApi(): OtelApi | null {
  return loadOtelApi() as OtelApi | null;
}

/** Calls `fn` under the context of `traceparent` (`00-<trace id>-<span id>-<flags>`). */
export function runTraced<R>(traceparent: string, fn: () => R): R {
  const api = loadApi();
  const parts = traceparent.split('-');
  if (api === null || parts.length !== 4) return fn();
  const context = api.trace.setSpanContext(api.ROOT_CONTEXT, {
    traceId: parts[1] as string,
    spanId: parts[2] as string,
    traceFlags: Number.parseInt(parts[3] as string, 16),
    isRemote: true,
  });
  return api.context.with(context, fn);
}
