/**
 * Property tests with fast-check: the wire protocol's decoders on both sides and the Future state
 * machine, fed arbitrary input. Nothing may throw but the documented error classes; a future's
 * state only moves forward; each done-callback runs exactly once.
 *
 * A failure prints fast-check's seed and shrunk counterexample.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { CancelledError, InvalidStateError, RuntimeError, TimeoutError, ValueError } from '../../src/errors.js';
import { Future } from '../../src/core/future.js';
import { decodeThrown, encodeThrown, type WireThrown } from '../../src/error-codec.js';
import {
  PROTOCOL_VERSION, RESULT_STRIDE, STATUS_ERROR, STATUS_OK, TASK_CALL, TASK_CHUNK, TASK_STARCHUNK, TASK_STRIDE,
  asFromWorker, asToWorker, type FromWorker, type WorkerInit,
} from '../../src/protocol.js';
import { Runtime, type Reviver } from '../../src/worker/runtime.js';
import { captureReports } from '../helpers/reporter.js';

/** What a worker entry hands its runtime: the reviver registry, loaded on first use. */
const loadReviver = async (): Promise<Reviver> => (await import('../../src/entries/revivers.js')).reviveShareables;

const RUNS = Number(process.env.CT_FUZZ_RUNS ?? 300);

/** Keys that a hostile sender would use, mixed with ordinary ones. */
const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'name', 'message', 'stack', 'cause', 'props', 'error', 'value', 'base', 'op', 'then'),
  fc.string({ maxLength: 6 }),
);

/** Arbitrary values, including objects with own `__proto__` keys (as JSON.parse makes them). */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof({ depthSize: 'small' }, fc.anything({ maxDepth: 2 }), tie('obj'), tie('list')),
  obj: fc.array(fc.tuple(key, tie('any')), { maxLength: 5 }).map((entries) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }),
  list: fc.array(tie('any'), { maxLength: 5 }),
})).any;

/** Error records, well-formed or nearly so. */
const record: fc.Arbitrary<unknown> = fc.oneof(
  value,
  fc.record({ value }),
  fc.record({
    error: fc.record({
      name: fc.oneof(fc.constantFrom('Error', 'RangeError', 'TypeError', 'ValueError', 'BrokenProcessPool', 'CancelledError', 'MyError', '__proto__', 'constructor'), value),
      base: fc.oneof(fc.constantFrom('RangeError', 'Nope', '__proto__'), value),
      message: fc.oneof(fc.string(), value),
      stack: fc.oneof(fc.string(), value),
      props: fc.oneof(value, fc.constant(null)),
      cause: fc.oneof(value, fc.constant(null), fc.record({ value }), fc.record({ error: fc.record({ name: fc.string(), message: fc.string() }) })),
    }, { requiredKeys: [] }),
  }),
);

/** Messages a worker might send: every op, with right or wrong fields. */
const fromWorker: fc.Arbitrary<unknown> = fc.oneof(
  value,
  fc.record({
    op: fc.oneof(fc.constantFrom('ready', 'init-failed', 'done', 'fault', 'giveback', 'started'), value),
    pid: value, error: fc.oneof(record, fc.constant(null)), code: fc.oneof(fc.integer(), value), taskId: fc.oneof(fc.integer(), value),
    results: fc.oneof(fc.array(value, { maxLength: 9 }), value), busy: fc.oneof(fc.double(), value), timing: fc.oneof(fc.array(fc.double(), { maxLength: 4 }), value),
    spans: fc.oneof(fc.array(fc.double()), value), pos: fc.oneof(fc.nat(), value), solo: fc.oneof(fc.boolean(), value),
    from: fc.oneof(fc.nat(), value), to: fc.oneof(fc.nat(), value), cause: fc.oneof(fc.constantFrom('exit', 'error', 'halt'), value),
    signal: fc.oneof(fc.constant(null), fc.string(), value), culprit: fc.oneof(fc.integer(), value), running: fc.oneof(fc.array(fc.integer()), value),
  }, { requiredKeys: ['op'] }),
);

/** Well-formed worker → main messages, one generator per op: the decoder must accept every one. */
const validFromWorker: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ op: fc.constant('ready'), pid: fc.nat() }),
  fc.record({ op: fc.constant('init-failed'), error: fc.oneof(value, fc.string().map((m) => new RangeError(m))).map((thrown) => encodeThrown(thrown)) }),
  fc.record({
    op: fc.constant('done'),
    results: fc.array(fc.tuple(fc.nat(), fc.constantFrom(STATUS_OK, STATUS_ERROR), value), { maxLength: 5 }).map((rs) => rs.flat()),
    busy: fc.double({ min: 0, max: 1e9, noNaN: true }),
    timing: fc.array(fc.tuple(fc.nat(), fc.double({ min: 0, max: 1e9, noNaN: true })), { maxLength: 3 }).map((ts) => ts.flat()),
    spans: fc.option(fc.array(fc.double({ noNaN: true }), { maxLength: 4 }), { nil: undefined }),
    pos: fc.nat(), solo: fc.boolean(), whole: fc.boolean(),
  }, { requiredKeys: ['op', 'results', 'busy'] }),
  fc.record({ op: fc.constant('giveback'), from: fc.nat({ max: 1000 }), to: fc.nat({ max: 1000 }) }).map((m) => ({ ...m, to: m.from + m.to })),
  fc.record({
    op: fc.constant('fault'), cause: fc.constantFrom('exit', 'error', 'halt'), code: fc.integer(), signal: fc.constantFrom(null, 'SIGKILL'),
    error: fc.oneof(fc.constant(null), fc.string().map((m) => encodeThrown(new RangeError(m)))), culprit: fc.integer(), running: fc.array(fc.nat(), { maxLength: 4 }),
  }),
  fc.record({ op: fc.constant('started'), taskId: fc.nat() }),
);

/** A well-formed function definition of each kind. */
const validWireFn = fc.oneof(
  fc.record({ kind: fc.constant('builtin'), name: fc.string({ maxLength: 4 }), path: fc.constantFrom('Math.abs', 'Math.max', 'String') }),
  fc.record({ kind: fc.constant('source'), name: fc.string({ maxLength: 4 }), source: fc.constantFrom('(a, b) => a + b', '(x) => x') }),
  fc.record({ kind: fc.constant('module'), name: fc.constantFrom('square'), url: fc.constant(new URL('../fixtures/reliability/tasks.ts', import.meta.url).href) }),
);

/** Well-formed main → worker messages: a stop, or a run with definitions and whole tasks. */
const validToWorker: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.constant({ op: 'stop' }),
  fc.constant({ op: 'halt' }),
  fc.record({
    op: fc.constant('run'),
    seq: fc.nat(),
    defs: fc.oneof(fc.constant(null), fc.array(fc.tuple(fc.nat({ max: 3 }), validWireFn), { maxLength: 3 })),
    tasks: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(TASK_CALL, TASK_CHUNK, TASK_STARCHUNK), fc.array(value, { maxLength: 3 })), { maxLength: 4 })
      .map((ts) => ts.flat()),
  }),
);

function assertPrototypesClean(): void {
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  for (const [k, v] of [['name', 'Error'], ['message', '']] as const) assert.equal((Error.prototype as unknown as Record<string, unknown>)[k], v);
}

describe('fuzz: the wire protocol', () => {
  test('asFromWorker never throws, and what it accepts has the fields the pool reads, of the right types', () => {
    fc.assert(fc.property(fromWorker, (raw) => {
      const m = asFromWorker(raw) as (FromWorker & Record<string, unknown>) | undefined;
      if (m === undefined) return;
      assert.equal(m, raw, 'accepted messages are passed through, not rebuilt');
      switch (m.op) {
        case 'ready': assert.equal(typeof m.pid, 'number'); break;
        case 'fault':
          assert.ok(['exit', 'error', 'halt'].includes(m.cause));
          assert.equal(typeof m.code, 'number');
          assert.ok(m.error === null || typeof m.error === 'object');
          assert.ok(Array.isArray(m.running) && m.running.every((id) => typeof id === 'number'));
          break;
        case 'giveback': assert.ok(Number.isSafeInteger(m.from) && Number.isSafeInteger(m.to) && m.from <= m.to); break;
        case 'started': assert.equal(typeof m.taskId, 'number'); break;
        case 'init-failed': assert.equal(typeof m.error, 'object'); break;
        case 'done':
          assert.ok(Array.isArray(m.results) && m.results.length % RESULT_STRIDE === 0);
          assert.ok(Number.isFinite(m.busy) && m.busy >= 0);
          assert.ok(m.timing === undefined || (m.timing.length % 2 === 0 && m.timing.every((n) => Number.isFinite(n) && n >= 0)));
          assert.ok(m.spans === undefined || Array.isArray(m.spans));
          assert.ok(m.pos === undefined || (Number.isSafeInteger(m.pos) && m.pos >= 0));
          break;
        default: assert.fail(`accepted an unknown op ${inspect(raw)}`);
      }
    }), { includeErrorInReport: true, numRuns: RUNS * 3 });
  });

  test('asFromWorker accepts every well-formed message, as it is (a decoder that refuses everything fails here)', () => {
    fc.assert(fc.property(validFromWorker, (message) => {
      assert.equal(asFromWorker(message), message, `refused a well-formed ${String(message.op)} message`);
      assert.equal(asFromWorker(structuredClone(message)) !== undefined, true, 'refused it after a structured clone');
    }), { includeErrorInReport: true, numRuns: RUNS });
  });

  test('asToWorker accepts every well-formed stop and run message, as it is', () => {
    fc.assert(fc.property(validToWorker, (message) => {
      assert.equal(asToWorker(message), message, `refused a well-formed ${String(message.op)} message`);
    }), { includeErrorInReport: true, numRuns: RUNS });
  });

  test('decodeThrown never throws; it returns a carried value as is, or an Error whose hostile keys stay own data', () => {
    fc.assert(fc.property(record, (raw) => {
      const decoded = decodeThrown(raw as WireThrown);
      if (typeof raw === 'object' && raw !== null && 'value' in raw) {
        assert.equal(decoded, (raw).value);
      } else {
        assert.ok(decoded instanceof Error, `an Error, got ${typeof decoded}`);
        assert.equal(typeof decoded.message, 'string');
        assert.equal(typeof decoded.stack, 'string');
        // The prototype is a real error class's: no record can make it something else.
        const proto = Object.getPrototypeOf(decoded) as object;
        assert.ok(proto === Error.prototype || Object.prototype.isPrototypeOf.call(Error.prototype, proto));
      }
      assertPrototypesClean();
    }), { includeErrorInReport: true, numRuns: RUNS * 3 });
  });

  test('decodeThrown gives a well-formed record of a known class back as that class, with its message', () => {
    const classes = [Error, RangeError, TypeError, SyntaxError, ValueError, RuntimeError, TimeoutError, CancelledError, InvalidStateError];
    fc.assert(fc.property(fc.constantFrom(...classes), fc.string(), (Class, message) => {
      const decoded = decodeThrown(structuredClone(encodeThrown(new Class(message))));
      assert.ok(decoded instanceof Class, `${Class.name} came back as ${inspect(decoded)}`);
      assert.equal((decoded).name, Class.name);
      assert.equal((decoded).message, message);
    }), { includeErrorInReport: true, numRuns: RUNS });
  });

  test('encodeThrown then decodeThrown round-trips anything thrown into a value or an Error, and never throws', () => {
    fc.assert(fc.property(fc.oneof(value, fc.string().map((m) => new RangeError(m)), fc.string().map((m) => new Error(m, { cause: m }))), (thrown) => {
      const wire = structuredClone(encodeThrown(thrown));
      const back = decodeThrown(wire);
      if (thrown instanceof Error) {
        assert.ok(back instanceof (thrown.constructor as ErrorConstructor));
        assert.equal((back).message, thrown.message);
      }
      assertPrototypesClean();
    }), { includeErrorInReport: true, numRuns: RUNS });
  });

  test('asToWorker never throws, and what it accepts is a stop or a run with well-formed definitions and a whole number of tasks', () => {
    const toWorker = fc.oneof(value, fc.record({
      op: fc.oneof(fc.constantFrom('run', 'stop', 'halt'), value),
      seq: fc.oneof(fc.nat(), value),
      defs: fc.oneof(fc.constant(null), value, fc.array(fc.tuple(fc.oneof(fc.integer(), value), value), { maxLength: 3 })),
      tasks: fc.oneof(value, fc.array(value, { maxLength: 12 })),
    }, { requiredKeys: ['op'] }));
    fc.assert(fc.property(toWorker, (raw) => {
      const m = asToWorker(raw);
      if (m === undefined || m.op !== 'run') return;
      assert.ok(Number.isSafeInteger(m.seq) && m.seq >= 0);
      assert.ok(Array.isArray(m.tasks) && m.tasks.length % TASK_STRIDE === 0);
      assert.ok(m.defs === null || Array.isArray(m.defs));
    }), { includeErrorInReport: true, numRuns: RUNS * 3 });
  });

  test('the worker runtime answers any incoming message without throwing: one result per task id it can read, every reply well-formed', async () => {
    const init: WorkerInit = {
      version: PROTOCOL_VERSION, kind: 'thread', workerId: 0, name: 'fuzz', control: null, registry: null, replies: null,
      initializer: null, initargs: [], initflags: 0,
    };
    const wireFn = fc.oneof(
      value,
      fc.record({ kind: fc.constant('builtin'), name: fc.string({ maxLength: 4 }), path: fc.constantFrom('Math.max', 'Math.abs', 'JSON.stringify', 'String', 'Nope.nothing', '__proto__', 'constructor.constructor') }),
      fc.record({ kind: fc.constant('source'), name: fc.string({ maxLength: 4 }), source: fc.constantFrom('(a, b) => a + b', 'async (x) => { throw x; }', 'not ( valid', '') }),
      fc.record({ kind: fc.constant('module'), name: fc.constantFrom('square', 'missing'), url: fc.constantFrom(new URL('../fixtures/reliability/tasks.ts', import.meta.url).href, 'file:///no/such/module.js', 'data:text/javascript,export const x = 1') }),
    );
    const task = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 1000 }), value), fc.oneof(fc.integer({ min: 0, max: 3 }), value), fc.oneof(fc.constantFrom(0, 1, 2), value), fc.oneof(fc.array(value, { maxLength: 3 }), value));
    const message = fc.oneof(
      { weight: 1, arbitrary: value },
      { weight: 4, arbitrary: fc.record({
        op: fc.oneof({ weight: 5, arbitrary: fc.constant('run') }, { weight: 1, arbitrary: value }),
        seq: fc.oneof({ weight: 5, arbitrary: fc.nat({ max: 1000 }) }, { weight: 1, arbitrary: value }),
        defs: fc.oneof(fc.constant(null), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), wireFn), { maxLength: 3 }), value),
        tasks: fc.oneof(fc.array(task, { maxLength: 4 }).map((ts) => ts.flat()), fc.array(value, { maxLength: 6 })),
      }, { requiredKeys: ['op', 'tasks'] }) },
    );
    const exit = process.exit.bind(process);
    using reports = captureReports();
    try {
      await fc.assert(fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 4 }), async (messages) => {
        const posts: unknown[] = [];
        // structuredClone, as the real channel does: a reply that cannot be cloned must be replaced, not crash.
        const runtime = new Runtime({ post: (m) => void posts.push(structuredClone(m)), loadReviver }, init);
        try {
          const expected: unknown[] = [];
          for (const raw of messages) {
            const tasks = typeof raw === 'object' && raw !== null ? (raw as { tasks?: unknown }).tasks : undefined;
            const accepted = asToWorker(raw);
            if (accepted !== undefined && accepted.op === 'run') {
              for (let i = 0; i < accepted.tasks.length; i += TASK_STRIDE) expected.push(accepted.tasks[i]);
            } else if (accepted === undefined && Array.isArray(tasks)) {
              for (let i = 0; i < tasks.length; i += TASK_STRIDE) if (typeof tasks[i] === 'number') expected.push(tasks[i]);
            }
            if (accepted?.op === 'stop' || accepted?.op === 'halt') continue; // it would exit
            runtime.receive(raw);
          }
          // Loading a task module takes a while (the first import compiles it): wait up to 20 s.
          const until = performance.now() + 20_000;
          while (!runtime.isIdle() && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
          assert.ok(runtime.isIdle(), 'the runtime went idle');
          const answered: unknown[] = [];
          for (const post of posts) {
            const m = asFromWorker(post);
            assert.ok(m !== undefined, `a well-formed reply: ${JSON.stringify(post, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)}`);
            if (m.op === 'done') for (let i = 0; i < m.results.length; i += RESULT_STRIDE) answered.push(m.results[i]);
          }
          assert.deepEqual(answered.map(String).sort(), expected.map(String).sort(), 'one result per task id');
        } finally {
          process.exit = exit;
        }
      }), { includeErrorInReport: true, numRuns: Math.ceil(RUNS / 2), ...(process.env.CT_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.CT_FUZZ_SEED), ...(process.env.CT_FUZZ_PATH === undefined ? {} : { path: process.env.CT_FUZZ_PATH }) }) });
    } finally {
      process.exit = exit;
      void reports;
    }
  });

  test('the worker runtime runs every task of a well-formed run message: ok results with the right values', async () => {
    const init: WorkerInit = {
      version: PROTOCOL_VERSION, kind: 'thread', workerId: 0, name: 'fuzz-valid', control: null, registry: null, replies: null,
      initializer: null, initargs: [], initflags: 0,
    };
    const calls = fc.array(fc.tuple(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 })), { minLength: 1, maxLength: 6 });
    await fc.assert(fc.asyncProperty(calls, async (pairs) => {
      const posts: unknown[] = [];
      const runtime = new Runtime({ post: (m) => void posts.push(structuredClone(m)), loadReviver }, init);
      const tasks = pairs.flatMap(([a, b], i) => [i + 1, 0, TASK_CALL, [a, b]]);
      runtime.receive({ op: 'run', seq: 0, defs: [[0, { kind: 'builtin', name: 'max', path: 'Math.max' }]], tasks });
      const until = performance.now() + 20_000;
      while (!runtime.isIdle() && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
      const results = new Map<unknown, [unknown, unknown]>();
      for (const post of posts) {
        const m = asFromWorker(post);
        if (m?.op === 'done') for (let i = 0; i < m.results.length; i += RESULT_STRIDE) results.set(m.results[i], [m.results[i + 1], m.results[i + 2]]);
      }
      assert.deepEqual([...results.entries()].sort(([x], [y]) => Number(x) - Number(y)),
        pairs.map(([a, b], i) => [i + 1, [STATUS_OK, Math.max(a, b)]]), 'every task ran and returned its value');
    }), { includeErrorInReport: true, numRuns: Math.ceil(RUNS / 3) });
  });
});

type Op = 'running' | 'cancel' | 'forceCancel' | 'result' | 'exception' | 'callback';
const RANK = { PENDING: 0, RUNNING: 1, CANCELLED: 2, FINISHED: 2 } as const;

describe('fuzz: the Future state machine', () => {
  test('any interleaving of transitions: only documented errors, states only move forward, every callback runs exactly once', () => {
    const ops = fc.array(fc.constantFrom<Op>('running', 'cancel', 'forceCancel', 'result', 'exception', 'callback'), { maxLength: 24 });
    using reports = captureReports();
    fc.assert(fc.property(ops, fc.boolean(), (sequence, reentrant) => {
      const future = new Future<number>();
      const calls: number[] = [];
      let model: 'PENDING' | 'RUNNING' | 'CANCELLED' | 'FINISHED' = 'PENDING';
      for (const op of sequence) {
        const before = future.state;
        assert.equal(before, model);
        let outcome: unknown;
        let threw: unknown;
        try {
          switch (op) {
            case 'running': outcome = future.setRunningOrNotifyCancel(); break;
            case 'cancel': outcome = future.cancel(); break;
            case 'forceCancel': outcome = future.cancel({ force: true }); break;
            case 'result': future.setResult(1); break;
            case 'exception': future.setException(undefined); break;
            case 'callback': {
              const n = calls.length;
              calls.push(0);
              future.addDoneCallback((f) => {
                calls[n] = (calls[n] ?? 0) + 1;
                // A callback that tries to settle the future again: refused, reported, not propagated.
                if (reentrant) f.setResult(2);
              });
              break;
            }
          }
        } catch (error) {
          threw = error;
        }
        // The model: Python's rules, with force-cancel failing on a bare future (nothing to stop).
        const open = model === 'PENDING' || model === 'RUNNING';
        switch (op) {
          case 'running':
            if (model === 'PENDING') { assert.equal(outcome, true); model = 'RUNNING'; }
            else if (model === 'CANCELLED') assert.equal(outcome, false);
            else assert.ok(threw instanceof RuntimeError, `setRunningOrNotifyCancel in ${model}: ${String(threw)}`);
            break;
          case 'cancel': case 'forceCancel':
            if (model === 'PENDING' || model === 'CANCELLED') { assert.equal(outcome, true); model = 'CANCELLED'; }
            else assert.equal(outcome, false);
            break;
          case 'result': case 'exception':
            if (open) { assert.equal(threw, undefined); model = 'FINISHED'; }
            else assert.ok(threw instanceof InvalidStateError, `${op} in ${model}: ${String(threw)}`);
            break;
          case 'callback':
            assert.equal(threw, undefined);
            break;
        }
        if (op !== 'running' || model !== 'FINISHED') {
          if (threw !== undefined && !(threw instanceof RuntimeError) && !(threw instanceof InvalidStateError)) assert.fail(`undocumented error ${inspect(threw)}`);
        }
        assert.ok(RANK[future.state] >= RANK[before], `${before} → ${future.state}`);
        assert.equal(future.state, model);
        // Callbacks have run exactly once if the future is done, not at all otherwise.
        const done = model === 'CANCELLED' || model === 'FINISHED';
        for (const [i, n] of calls.entries()) assert.equal(n, done ? 1 : 0, `callback ${i} after ${op} in ${model}`);
      }
    }), { includeErrorInReport: true, numRuns: RUNS * 5 });
    void reports;
  });
});
