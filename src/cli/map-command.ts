/**
 * `concurrent-ts map MODULE#EXPORT`: apply an exported function to every input line, in
 * parallel, and print one result per line in input order — the seed's `is_prime` exercise as a
 * tool.
 *
 * ```
 *  stdin/--input ─▶ readLines ─▶ readItems ─▶ MapIterator ─▶ pool workers
 *                                  │ (index → line, text)        │
 *                                  ▼                             ▼
 *                                held ◀──── outcomes, in order ◀─┘ ─▶ format ─▶ LineWriter ─▶ stdout
 * ```
 *
 * Memory stays flat on an endless input: the map pulls at most `--buffersize` items ahead of the
 * output, `held` keeps only those, and the writer waits when stdout is slow.
 *
 * @module
 */
import { writeFile } from 'node:fs/promises';
import type { Executor } from '../core/executor.js';
import { MapIterator, type MapHost, type MapOutcome, type TaskKind, type TaskOptions } from '../core/map-iterator.js';
import { ProcessPoolExecutor, ThreadPoolExecutor, type Future } from '../futures/index.js';
import type { PoolExecutor } from '../pool/pool-executor.js';
import { TaskFuture } from '../pool/task-future.js';
import { taskRef } from '../task-ref/task-module.js';
import { CliError, describeThrown, EXIT } from './cli-error.js';
import { clip, countItems, fileStream, InputSource, openInput, type InputMode, type InputRecord } from './input.js';
import { HeldInputs } from './held-inputs.js';
import { MemoryReport } from './memory-report.js';
import { compileFormat, LineWriter } from './output.js';
import type { describeExport } from './probe.js';
import { ProgressBar, wantsProgress } from './progress.js';
import { buildTrace, busyFromSpans, formatSummary, type TaskLines, type WorkerBusy } from './run-report.js';

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

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const PROBE_URL = new URL(`./probe${ext}`, import.meta.url);

/** What runs the tasks: a local pool, or a distributed executor. */
interface Target {
  readonly executor: Executor;
  readonly pool: PoolExecutor | undefined;
  readonly where: string;
}

/**
 * Runs `concurrent-ts map` and resolves with the exit code. Results go to `io.stdout`; the
 * progress bar, failed items and the summary go to `io.stderr`.
 *
 * @param spec - `MODULE#EXPORT`, already resolved by {@link parseTaskSpec}.
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

    // The line and text of the items between the input and the output (at most buffersize).
    const held = new HeldInputs(options.unordered !== true);
    const items = new InputSource(inputHandle === undefined ? io.stdin : fileStream(inputHandle), mode, {
      item: (index, line, text) => held.put(index, line, text),
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
    if (stop === undefined) await executor.shutdown({ wait: true });
    else void executor.shutdown({ wait: false, cancelFutures: true }).catch(() => {});

    if (stop !== undefined) throw stop;
    if (options.quiet !== true) {
      const summary = formatSummary({ items: done + failed, failed, wallMs, tasks: host.tasks, where: target.where, workers, busyNote });
      io.stderr.write(`concurrent-ts: ${summary}\n`);
    }
    return failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
    if (statsTimer !== undefined) clearInterval(statsTimer);
    bar?.stop();
    if (memory !== undefined) io.stderr.write(`concurrent-ts: ${memory.report()}\n`);
  }
}

/**
 * Passes tasks on to the executor, counting them; with `--trace`, also notes which input lines
 * each task covered, keyed by the pool's task id (known once the task has run).
 */
class RecordingHost implements MapHost {
  tasks = 0;
  readonly lines = new Map<number, TaskLines>();
  readonly #executor: Executor;
  readonly #held: HeldInputs | undefined;
  #scheduled = 0;

  constructor(executor: Executor, held: HeldInputs | undefined) {
    this.#executor = executor;
    this.#held = held;
  }

  _schedule(fn: unknown, args: unknown[], kind: TaskKind, options: TaskOptions | undefined, admitted?: boolean): Future<unknown> {
    const future = (this.#executor as MapHost)._schedule(fn, args, kind, options, admitted);
    const base = this.#scheduled;
    this.#scheduled += args.length;
    this.tasks++;
    const held = this.#held;
    if (held !== undefined && future instanceof TaskFuture) {
      const entry: TaskLines = {
        firstLine: held.lineOf(base),
        lastLine: held.lineOf(base + args.length - 1),
        items: args.length,
      };
      // The task id is given at dispatch; read it once the task is over.
      future._listen(() => this.lines.set(future.id, entry));
    }
    return future;
  }

  _admitMap(): (() => void) | undefined {
    return (this.#executor as MapHost)._admitMap?.();
  }

  _parallelism(): number {
    return this.#executor._parallelism();
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

async function createTarget(options: MapCommandOptions): Promise<Target> {
  if (options.redis !== undefined) return createDistributed(options.redis, options.queue ?? 'concurrent-ts');
  const common = { maxWorkers: options.workers, trace: options.trace !== undefined };
  if (options.processes === true) {
    const pool = new ProcessPoolExecutor(common);
    return { executor: pool, pool, where: `${pool.maxWorkers} ${pool.maxWorkers === 1 ? 'process' : 'processes'}` };
  }
  const pool = new ThreadPoolExecutor({ ...common, threadNamePrefix: 'worker' });
  return { executor: pool, pool, where: `${pool.maxWorkers} ${pool.maxWorkers === 1 ? 'thread' : 'threads'}` };
}

/** The distributed executor's module, loaded only for `--redis`. */
interface DistributedModule {
  DistributedExecutor: new (options: { connection: unknown; queue: string }) => Executor;
}

async function createDistributed(url: string, queue: string): Promise<Target> {
  const specifier = '../distributed/index.js';
  let mod: DistributedModule;
  try {
    mod = (await import(specifier)) as DistributedModule;
  } catch (error) {
    throw new CliError(`--redis needs the distributed executor and its peer dependencies (npm install bullmq ioredis): ${describeThrown(error)}`, EXIT.usage);
  }
  return { executor: new mod.DistributedExecutor({ connection: url, queue }), pool: undefined, where: `Redis queue "${queue}"` };
}

/**
 * Checks on one worker that the export is a function, before any input is read.
 *
 * @returns the probe's task id, so that the trace can label it.
 * @throws {CliError} (exit code 2) naming the module and what is wrong with it.
 */
async function probe(pool: PoolExecutor, spec: { url: string; name: string; shown: string }): Promise<number | undefined> {
  const future = pool.submit(taskRef<typeof describeExport>(PROBE_URL, 'describeExport'), spec.url, spec.name);
  let problem: string | null;
  try {
    problem = await future;
  } catch (error) {
    throw new CliError(`cannot start the workers: ${describeThrown(error)}`, EXIT.failed);
  }
  if (problem !== null) throw new CliError(`${spec.shown}#${spec.name}: ${problem}`, EXIT.usage);
  return future instanceof TaskFuture ? future.id : undefined;
}

async function writeTrace(path: string, trace: object): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(trace));
  } catch (error) {
    throw new CliError(`cannot write --trace ${path}: ${(error as Error).message}`, EXIT.failed);
  }
}

function workerIndex(name: string): number {
  const match = /_(\d+)$/.exec(name);
  return match === null ? 0 : Number(match[1]);
}

function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
