/**
 * `concurrent-ts map MODULE#EXPORT`: apply an exported function to every input line, in
 * parallel, and print one result per line in input order — the classic `is_prime` exercise as a
 * tool.
 *
 * ```
 *  stdin/--input ─▶ InputSource ─▶ MapIterator ─▶ RecordingHost ─▶ pool (or Redis) workers
 *                        │ line, text                                     │
 *                        ▼                                                ▼
 *                   HeldInputs ─▶ outcomes, in order (or as completed) ◀──┘
 *                                       │
 *                                       ▼
 *                     format ─▶ LineWriter ─▶ stdout;  failures, bar, summary ─▶ stderr
 * ```
 *
 * Memory stays flat on an endless input: the map pulls at most `--buffersize` items ahead of the
 * output, `held` keeps only those, and the writer waits when stdout is slow.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { MapIterator, type MapOutcome, type TaskOptions } from '../core/map-iterator.js';
import { taskRef } from '../task-ref/task-module.js';
import { CliError, describeThrown, EXIT } from './cli-error.js';
import { clip, countItems, fileStream, InputSource, openInput, type InputMode, type InputRecord } from './input.js';
import { HeldInputs } from './held-inputs.js';
import { MemoryReport } from './memory-report.js';
import { NumberLinesHint } from './number-hint.js';
import { createTarget, probe, RecordingHost, workerIndex } from './map-target.js';
import { compileFormat, LineWriter } from './output.js';
import { ProgressBar, wantsProgress } from './progress.js';
import { buildTrace, busyFromSpans, formatSummary, type WorkerBusy } from './run-report.js';

/** The options of `concurrent-ts map`, as parsed from the command line. */
export interface MapCommandOptions {
  input?: string | undefined;
  json?: boolean | undefined;
  spread?: boolean | undefined;
  processes?: boolean | undefined;
  workers?: number | undefined;
  chunksize?: number | undefined;
  buffersize?: number | undefined;
  timeout?: number | undefined;
  format?: string | undefined;
  unordered?: boolean | undefined;
  keepGoing?: boolean | undefined;
  trace?: string | undefined;
  quiet?: boolean | undefined;
  progress?: boolean | undefined;
  redis?: string | undefined;
  queue?: string | undefined;
  reportRss?: boolean | undefined;
}

/** The process the command talks to; tests and `main.ts` pass the real one. */
export interface CommandIO {
  readonly stdin: NodeJS.ReadStream;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Ends the process now (Ctrl-C, a closed stdout), after the caller's last words. */
  readonly exit: (code: number) => never;
}

/**
 * Inputs read ahead of the output, at most, unless `--buffersize` says otherwise: enough to keep
 * every worker fed with large chunks of tiny items, small enough that the items in flight take a
 * few megabytes.
 */
export function defaultBuffersize(workers: number): number {
  return Math.max(16384, 2048 * workers);
}

/**
 * Runs `concurrent-ts map` and resolves with the exit code. Results go to `io.stdout`; the
 * progress bar, failed items and the summary go to `io.stderr`.
 *
 * @param spec - `MODULE#EXPORT`, already resolved by `parseTaskSpec` (task-spec.ts).
 * @throws {CliError} for a usage error (exit code 2), or when the first failed item stops the run
 * (exit code 1, with its line number).
 */
export async function runMap(spec: { url: string; name: string; shown: string }, options: MapCommandOptions, io: CommandIO): Promise<number> {
  const memory = options.reportRss === true ? new MemoryReport() : undefined;
  const startMs = epochNow();
  const started = performance.now();
  const mode: InputMode = options.spread === true ? 'spread' : options.json === true ? 'json' : 'text';
  const keepGoing = options.keepGoing === true;
  checkCombinations(options);
  const format = compileFormat(options.format, mode !== 'text');
  const inputHandle = options.input === undefined ? undefined : await openInput(options.input);

  const target = await createTarget(options);
  const { executor, pool } = target;
  let stats = new Map<string, WorkerBusy>();
  const snapshot = (): void => {
    if (pool === undefined) return;
    const next = new Map(stats);
    for (const w of pool.stats().workers) next.set(w.name, { worker: workerIndex(w.name), busyMs: w.busyMs });
    stats = next;
  };
  const statsTimer = pool === undefined ? undefined : setInterval(snapshot, 250).unref();

  // Ctrl-C and a reader that went away end the run at once; everything else ends it in order.
  let bar: ProgressBar | undefined;
  const hardStop = (code: number): never => {
    bar?.stop();
    void executor.shutdown({ wait: false, cancelFutures: true }).catch(() => {});
    return io.exit(code);
  };
  const writer = new LineWriter(io.stdout, () => hardStop(EXIT.brokenPipe), (error) => {
    bar?.stop();
    io.stderr.write(`concurrent-ts: cannot write the results: ${error.message}\n`);
    return hardStop(EXIT.failed);
  });
  const onSigint = (): void => {
    writer.flush();
    hardStop(EXIT.interrupted);
  };
  process.once('SIGINT', onSigint);
  let shutDown = false;

  try {
    const probeTaskId = pool === undefined ? undefined : await probe(pool, spec);

    if (wantsProgress(io.stderr, io.env, options.progress !== false)) {
      bar = new ProgressBar(io.stderr);
      // Whatever ends the process (Ctrl-C, a closed stdout) leaves no half-drawn bar behind.
      process.once('exit', () => bar?.stop());
      if (io.stdout.isTTY === true) writer.beforeWrite = () => bar?.clear();
      if (options.input !== undefined) {
        countItems(options.input).then((n) => {
          if (bar !== undefined) bar.total = n;
        }, () => {});
      }
      bar.start();
    } else if (inputHandle === undefined && io.stdin.isTTY === true) {
      io.stderr.write('concurrent-ts: reading inputs from the terminal, one per line; end with Ctrl-D (or pass --input FILE)\n');
    }

    let done = 0;
    let failed = 0;
    const report = (record: InputRecord, what: string): void => {
      bar?.clear();
      io.stderr.write(`concurrent-ts: line ${record.line} (${clip(record.text)}): ${what}\n`);
    };

    // Numbers passed as strings give wrong answers silently (isPrime("2") is false): say so once.
    const hint = mode === 'text' && options.quiet !== true
      ? new NumberLinesHint((note) => {
        bar?.clear();
        io.stderr.write(`concurrent-ts: ${note}\n`);
      })
      : undefined;

    // The line and text of the items between the input and the output (at most buffersize).
    const held = new HeldInputs(options.unordered !== true);
    const items = new InputSource(inputHandle === undefined ? io.stdin : fileStream(inputHandle), mode, {
      item: (index, line, text) => {
        hint?.line(text);
        held.put(index, line, text);
      },
      end: () => hint?.end(),
      bad: (record, message) => {
        if (!keepGoing) throw new CliError(`line ${record.line} (${clip(record.text)}): ${message}`, EXIT.failed);
        failed++;
        if (bar !== undefined) bar.failed = failed;
        report(record, message);
      },
    });

    const host = new RecordingHost(executor, options.trace === undefined ? undefined : held);
    const taskOptions: TaskOptions | undefined = options.timeout === undefined ? undefined : { timeout: options.timeout };
    const chunksize = options.chunksize ?? (options.timeout === undefined ? undefined : 1);
    const results = new MapIterator<MapOutcome<unknown>>(host, taskRef(spec.url, spec.name), items,
      { chunksize, buffersize: options.buffersize ?? defaultBuffersize(executor._parallelism()) },
      { unordered: options.unordered === true, outcomes: true, star: mode === 'spread' }, taskOptions);

    let stop: unknown;
    for (;;) {
      let step: IteratorResult<MapOutcome<unknown>>;
      try {
        step = await results.next();
      } catch (error) {
        stop = error;
        break;
      }
      if (step.done === true) break;
      const outcome = step.value;
      held.take(outcome.index);
      if (outcome.ok) {
        done++;
        if (bar !== undefined) bar.done = done + failed;
        const full = writer.writeLine(format(held.text, held.line, outcome.value));
        if (full !== undefined) await full;
        continue;
      }
      failed++;
      if (bar !== undefined) {
        bar.done = done + failed;
        bar.failed = failed;
      }
      if (!keepGoing) {
        stop = new CliError(`line ${held.line} (${clip(held.text)}): ${describeThrown(outcome.error)}`, EXIT.failed);
        break;
      }
      report({ line: held.line, text: held.text }, describeThrown(outcome.error));
    }
    if (stop !== undefined) await results.return();
    await writer.end();
    bar?.stop();
    const wallMs = performance.now() - started;
    const endMs = epochNow();

    snapshot();
    if (statsTimer !== undefined) clearInterval(statsTimer);
    let workers: WorkerBusy[] | undefined = [...stats.values()].sort((a, b) => a.worker - b.worker);
    let busyNote: string | undefined;
    if (pool === undefined) workers = undefined;
    if (options.trace !== undefined && pool !== undefined) {
      const spans = pool._spans();
      const trace = buildTrace({
        spans, tasks: host.lines, startMs, endMs, fnName: spec.name, probeTaskId, title: `concurrent-ts map ${spec.shown}#${spec.name}`,
        kind: options.processes === true ? 'process' : 'thread', items: done + failed,
      });
      await writeTrace(options.trace, trace);
      workers = busyFromSpans(spans);
      busyNote = 'from the trace';
    }
    if (stop !== undefined) throw stop;
    await executor.shutdown({ wait: true });
    shutDown = true;
    if (options.quiet !== true) {
      const summary = formatSummary({ items: done + failed, failed, wallMs, tasks: host.tasks, where: target.where, workers, busyNote });
      io.stderr.write(`concurrent-ts: ${summary}\n`);
    }
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    // A run that stopped early leaves tasks behind: drop the queued ones, do not wait for the rest.
    if (!shutDown) void executor.shutdown({ wait: false, cancelFutures: true }).catch(() => {});
    process.off('SIGINT', onSigint);
    if (statsTimer !== undefined) clearInterval(statsTimer);
    bar?.stop();
    if (memory !== undefined) io.stderr.write(`concurrent-ts: ${memory.report()}\n`);
  }
}

function checkCombinations(options: MapCommandOptions): void {
  if (options.timeout !== undefined && options.chunksize !== undefined && options.chunksize > 1) {
    throw new CliError('--timeout is per item and needs --chunksize 1 (the default with --timeout)');
  }
  if (options.redis !== undefined) {
    const local = options.processes === true ? '--processes' : options.workers !== undefined ? '--workers' : options.trace !== undefined ? '--trace' : undefined;
    if (local !== undefined) throw new CliError(`${local} is for a local pool; with --redis the workers are the ones started by \`concurrent-ts worker\``);
  }
}

async function writeTrace(path: string, trace: object): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(trace));
  } catch (error) {
    throw new CliError(`cannot write --trace ${path}: ${(error as Error).message}`, EXIT.failed);
  }
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
