/**
 * OpenTelemetry (docs/metrics.md#tracing): with an SDK registered, each task gets a span from
 * submit to settle, child of the span active at submit, with wait and run times and the error;
 * the worker runs the task under that span's context, so spans the task starts are its children.
 * Without an SDK, nothing is recorded.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { context, trace, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../../src/futures/index.js';
import { taskModule } from '../../src/index.js';
import { settle } from '../helpers/futures.js';

const tasks = taskModule<typeof import('../fixtures/pool/traced-tasks.js')>(new URL('../fixtures/pool/traced-tasks.ts', import.meta.url));
const exporter = new InMemorySpanExporter();

describe('tracing', () => {
  const threads = new ThreadPoolExecutor({ maxWorkers: 1 });
  const processes = new ProcessPoolExecutor({ maxWorkers: 1, initializer: tasks.register });
  after(() => Promise.all([threads.shutdown(), processes.shutdown()]));

  test('without an SDK, tasks run and no span is recorded', async () => {
    assert.equal(await threads.submit(tasks.activeContext), null);
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  test('with an SDK: a span per task, child of the submitting span; the worker\'s spans are its children', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const tracer = trace.getTracer('tracing-test');
    const instrumented = new ThreadPoolExecutor({ maxWorkers: 1, initializer: tasks.register });
    after(() => instrumented.shutdown());
    for (const pool of [instrumented, processes]) {
      exporter.reset();
      const { parentId, children } = await tracer.startActiveSpan('request', async (parent) => {
        const found = await pool.submit(tasks.childSpans);
        parent.end();
        return { parentId: parent.spanContext().spanId, children: found };
      });
      const spans = exporter.getFinishedSpans();
      const task = spans.find((s) => s.name === 'task childSpans');
      assert.ok(task !== undefined, `spans: ${spans.map((s) => s.name).join(', ')}`);
      const request = spans.find((s) => s.name === 'request');
      assert.equal(task.parentSpanContext?.spanId, parentId);
      assert.equal(task.spanContext().traceId, request?.spanContext().traceId);
      assert.equal(task.attributes['concurrent_ts.task.function'], 'childSpans');
      assert.equal(typeof task.attributes['concurrent_ts.task.wait_ms'], 'number');
      assert.ok((task.attributes['concurrent_ts.task.run_ms'] as number) >= 0);
      assert.match(String(task.attributes['concurrent_ts.worker']), /_0$/);
      assert.equal(task.status.code, SpanStatusCode.UNSET);
      assert.deepEqual(children.map((c) => c.name), ['inside', 'after-await']);
      for (const child of children) {
        assert.equal(child.traceId, task.spanContext().traceId);
        assert.equal(child.parentSpanId, task.spanContext().spanId, `${child.name} is a child of the task's span`);
      }
    }
  });

  test('a failed task\'s span records the error', async () => {
    exporter.reset();
    const outcome = await settle(threads.submit(tasks.broken));
    assert.ok(!outcome.ok);
    const span = exporter.getFinishedSpans().find((s) => s.name === 'task broken');
    assert.ok(span !== undefined);
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.match(span.status.message ?? '', /TypeError: broken on purpose/);
    assert.ok(span.events.some((e) => e.name === 'exception'));
  });

  test('a task cancelled before it starts ends its span, marked cancelled', async () => {
    exporter.reset();
    const blocked = threads.submit(tasks.activeContext);
    const cancelled = threads.submit(tasks.activeContext);
    assert.ok(cancelled.cancel());
    await blocked;
    const span = exporter.getFinishedSpans().filter((s) => s.attributes['concurrent_ts.task.cancelled'] === true);
    assert.equal(span.length, 1);
  });
});
