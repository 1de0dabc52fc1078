/**
 * The executor conformance suite, written once and run on every executor (CPython's
 * `create_executor_tests`): EXE, MAP and INIT rows, the executor-backed FUT/WAIT/ASC rows, and
 * what DESIGN.md adds (function shipping, force cancel, per-task timeouts, signals, worker death).
 *
 * ```ts
 * executorSuite('ThreadPoolExecutor', (options) => new ThreadPoolExecutor(options));
 * ```
 *
 * The suite learns by itself whether tasks run in threads or processes (it asks a worker), and
 * orders its steps with counters the workers can see: shared memory for threads, files for
 * processes. `name` must be the executor's class name as exported by `src/index.ts`: the
 * program-exit tests start a fresh node that builds the executor by that name.
 *
 * @module
 */
import { before, describe } from 'node:test';
import { controlTests } from './executor/control.js';
import { probeWorkers, type ExecutorFactory, type SuiteContext, type WorkerKind } from './executor/context.js';
import { mapTests } from './executor/map.js';
import { programExitTests } from './executor/program-exit.js';
import { shippingTests } from './executor/shipping.js';
import { submitAndShutdownTests } from './executor/submit-shutdown.js';
import { workerDeathTests } from './executor/worker-death.js';

export type { ExecutorFactory, SuiteExecutor, WorkerKind } from './executor/context.js';

/** Registers the whole suite for the executor that `factory` makes. */
export function executorSuite(name: string, factory: ExecutorFactory): void {
  describe(`${name} conformance`, () => {
    let kind: WorkerKind | undefined;
    before(async () => {
      kind = await probeWorkers(factory);
    });
    const context: SuiteContext = {
      name,
      factory,
      kind: () => {
        if (kind === undefined) throw new Error('the executor suite has not probed its workers yet');
        return kind;
      },
    };
    submitAndShutdownTests(context);
    mapTests(context);
    shippingTests(context);
    controlTests(context);
    workerDeathTests(context);
    programExitTests(context);
  });
}
