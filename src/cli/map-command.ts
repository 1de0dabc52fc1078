/**
 * `concurrent-ts map MODULE#EXPORT`: apply an exported function to every input line, in
 * parallel, and print one result per line in input order — the classic `is_prime` exercise as a
 * tool.
 *
 * ```
 *  stdin/--input ─▶ InputSource ─▶ executor's map ─▶ pool (or Redis) workers
 *                        │ line, text               │ onTask events ─▶ TaskRecorder (tasks, --trace)
 *                        ▼                          ▼
 *                   HeldInputs ─▶ outcomes, in order (or as completed)
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
import type { FileHandle } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import type { TaskOptions } from '../core/backend.js';
import type { Executor } from '../core/executor.js';
import type { MapIterator, MapOutcome } from '../core/map-iterator.js';
import { epochNow } from '../core/task-events.js';
import type { PoolExecutor } from '../pool/pool-executor.js';
import { taskRef } from '../task-ref/task-module.js';
import { AppendFile } from './append-file.js';
import { CliError, EXIT } from './cli-error.js';
import { FileLineWriter } from './file-line-writer.js';
import { haltThreshold, type HaltPolicy } from './halt-policy.js';
import { countItems, fileStream, InputSource, openInput, parseLine, type InputMode } from './input.js';
import { HeldInputs } from './held-inputs.js';
import { loadHere, SwitchingOutcomes } from './inline-switch.js';
import { JobLog } from './joblog.js';
import { readJobLog, type ResumeState } from './joblog-reader.js';
import { MemoryReport } from './memory-report.js';
import { NumberLinesHint } from './number-hint.js';
import { checkDistinctFiles } from './same-file.js';
import { createTarget, probe } from './map-target.js';
import { compileFormat, LineWriter, type ResultWriter } from './output.js';
import { ProgressBar, wantsProgress } from './progress.js';
import { writeResults } from './result-pipeline.js';
import { buildTrace, busyFromSlices, formatSummary, type WorkerBusy } from './run-report.js';
import { Tally, type HaltRule } from './tally.js';
import { TaskRecorder, workerIndex } from './task-recorder.js';
import { TaskRuns } from './task-runs.js';

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
  output?: string | undefined;
  joblog?: string | undefined;
  resume?: boolean | undefined;
  resumeFailed?: boolean | undefined;
  retries?: number | undefined;
  halt?: HaltPolicy | undefined;
  eta?: boolean | undefined;
  inline?: boolean | undefined;
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
function defaultBuffersize(workers: number): number {
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
  checkCombinations(options);
  const format = compileFormat(options.format, mode !== 'text');
  const inputHandle = options.input === undefined ? undefined : await openInput(options.input);

  const resume = options.resume === true || options.resumeFailed === true
    ? readJobLog(options.joblog as string, options.resumeFailed === true) : undefined;
  if (resume?.header !== undefined) checkResumable(resume, spec, mode, options);
  const total = options.halt?.percent !== undefined ? await countItems(options.input as string) : undefined;

  const target = await createTarget(options);
  const { executor, pool } = target;
  const busy = pool === undefined ? undefined : new BusySampler(pool);
  // The results file first, then the joblog: a record never reaches the disk before its result.
  const file = options.output === undefined ? undefined
    : new FileLineWriter(new AppendFile(options.output, resume?.header !== undefined ? resume.outBytes : 0, '--output'));
  const log = openJobLog(options, resume, file, spec, mode, startMs);
  const out = new RunOutput(io, executor, file, log);
  let shutDown = false;
  try {
    // The items between the input and the output (at most buffersize), and what the tasks did with them.
    const ordered = options.unordered !== true;
    const held = new HeldInputs(ordered);
    const recorder = new TaskRecorder(executor, options.trace === undefined ? undefined : held);
    // Where each item ran: for the joblog, and so that a retry can go to another worker.
    const runs = log === undefined && (options.retries ?? 0) === 0 ? undefined : new TaskRuns(executor);
    // A function that can run on this thread starts here (inline-switch.ts), before any worker
    // starts; else the workers check it first (a missing export is a usage error before any input).
    const here = inlineAllowed(options, pool) ? await loadHere(spec.url, spec.name) : undefined;
    if (pool !== undefined && here === undefined) await probe(pool, spec);
    if (resume !== undefined && resume.doneCount > 0 && options.quiet !== true) {
      out.note(`resuming: ${resume.doneCount} ${resume.doneCount === 1 ? 'item' : 'items'} done by an earlier run are skipped`);
    }
    out.startProgress(options, inputHandle === undefined, resume?.doneCount ?? 0);
    const haltRule: HaltRule | undefined = options.halt === undefined ? undefined
      : { policy: options.halt, threshold: haltThreshold(options.halt, total), stopInput: () => void items.return() };
    const tally = new Tally(out, options.keepGoing === true, haltRule, resume?.doneCount ?? 0);
    const items = readItems(io, inputHandle, mode, held, tally, options.quiet !== true ? out : undefined, log, resume);
    const results = here !== undefined
      ? new SwitchingOutcomes({
        fn: here, input: items, startMap: (source) => mapItems(executor, spec, source, options, mode), spread: mode === 'spread', runs,
        // The workers check the function as they start; a problem shows in the items' results.
        warm: () => void probe(pool as PoolExecutor, spec).catch(() => {}),
      })
      : mapItems(executor, spec, items, options, mode);
    const fn = taskRef(spec.url, spec.name);
    const taskOptions: TaskOptions | undefined = options.timeout === undefined ? undefined : { timeout: options.timeout };
    const stop = await writeResults(results, {
      held, format, writer: out.writer, tally, runs, log, resume, ordered,
      outSize: file === undefined || log === undefined ? undefined : () => file.size,
      retries: options.retries ?? 0,
      retry: (text, worker) => {
        const value = parseLine(text, mode);
        const args = mode === 'spread' ? value as unknown[] : [value];
        // On the pool, another worker than the one it failed on (a name of the pool's, not `main`).
        if (pool !== undefined && worker !== undefined && worker !== 'main') return pool._scheduleAvoiding(fn, args, taskOptions, worker);
        return executor._schedule(fn, args, 'call', taskOptions);
      },
      limit: options.buffersize ?? defaultBuffersize(executor._parallelism()),
    });
    await out.writer.end();
    out.bar?.stop();
    runs?.stop();
    const wallMs = performance.now() - started;
    const endMs = epochNow();

    let workers = busy?.finish();
    let busyNote: string | undefined;
    if (options.trace !== undefined && pool !== undefined) {
      const slices = recorder.slices;
      await writeTrace(options.trace, buildTrace({
        slices, startMs, endMs, fnName: spec.name, title: `concurrent-ts map ${spec.shown}#${spec.name}`,
        kind: options.processes === true ? 'process' : 'thread', items: tally.done + tally.failed,
      }));
      workers = busyFromSlices(slices);
      busyNote = 'from the trace';
    }
    if (stop !== undefined) throw stop;
    await executor.shutdown({ wait: true });
    shutDown = true;
    if (options.quiet !== true) {
      let summary = formatSummary({ items: tally.done + tally.failed, failed: tally.failed, wallMs, tasks: recorder.tasks, where: target.where, workers, busyNote });
      if (tally.retries > 0) summary += `; ${tally.retries} ${tally.retries === 1 ? 'retry' : 'retries'}`;
      io.stderr.write(`concurrent-ts: ${summary}\n`);
    }
    return tally.halted ? EXIT.halted : tally.failed > 0 ? EXIT.failed : EXIT.ok;
  } finally {
    // A run that stopped early leaves tasks behind: drop the queued ones, do not wait for the rest.
    if (!shutDown) void executor.shutdown({ wait: false, cancelFutures: true }).catch(() => {});
    await out.close();
    busy?.stop();
    if (memory !== undefined) io.stderr.write(`concurrent-ts: ${memory.report()}\n`);
  }
}

/** `--joblog FILE`: appended to after what an earlier run wrote (`--resume`), else started afresh with its header. */
function openJobLog(options: MapCommandOptions, resume: ResumeState | undefined, file: FileLineWriter | undefined,
  spec: { shown: string; name: string }, mode: InputMode, startMs: number): JobLog | undefined {
  if (options.joblog === undefined) return undefined;
  const keep = resume?.header !== undefined ? resume.logBytes : 0;
  const log = new JobLog(new AppendFile(options.joblog, keep, '--joblog'), file);
  if (keep === 0) {
    log.header({ joblog: 1, fn: `${spec.shown}#${spec.name}`, mode, format: options.format ?? null, output: options.output !== undefined, started: startMs });
  }
  return log;
}

/**
 * `--resume` continues a run only with what shapes its output: the same function, input mode,
 * format, and results file or not.
 *
 * @throws {CliError} (exit code 2) naming what differs.
 */
function checkResumable(resume: ResumeState, spec: { shown: string; name: string }, mode: InputMode, options: MapCommandOptions): void {
  const header = resume.header;
  if (header === undefined) return;
  const differs = header.fn !== `${spec.shown}#${spec.name}` ? `the function (${header.fn})`
    : header.mode !== mode ? `the input mode (${header.mode})`
      : header.format !== (options.format ?? null) ? `the --format (${header.format ?? 'none'})`
        : header.output !== (options.output !== undefined) ? (header.output ? 'the --output (it had one)' : 'the --output (it had none)') : undefined;
  if (differs !== undefined) {
    throw new CliError(`cannot resume: the joblog ${options.joblog ?? ''} is of a run with another ${differs.replace(/^the /, '')}; ` +
      'resume with the same options, or start again without --resume', EXIT.usage);
  }
}

/**
 * Whether a cheap function may move to the main thread (inline-switch.ts): on a thread pool, when
 * nothing asks for the workers themselves (a per-item timeout, chunks of a given size, a trace
 * of the workers, `--no-inline`).
 */
function inlineAllowed(options: MapCommandOptions, pool: PoolExecutor | undefined): boolean {
  return pool !== undefined && options.inline !== false && options.processes !== true && options.timeout === undefined &&
    options.chunksize === undefined && options.trace === undefined;
}

/** The run's map: the executor's own, so that its chunks are sized as that executor wants them. */
function mapItems(executor: Executor, spec: { url: string; name: string }, items: AsyncIterator<unknown> & AsyncIterable<unknown>, options: MapCommandOptions,
  mode: InputMode): MapIterator<MapOutcome<unknown>> {
  const taskOptions: TaskOptions | undefined = options.timeout === undefined ? undefined : { timeout: options.timeout };
  const chunksize = options.chunksize ?? (options.timeout === undefined ? undefined : 1);
  return executor._mapWith<MapOutcome<unknown>>(taskRef(spec.url, spec.name), items,
    { chunksize, buffersize: options.buffersize ?? defaultBuffersize(executor._parallelism()) },
    { unordered: options.unordered === true, outcomes: true, star: mode === 'spread' }, taskOptions);
}

/** The input as items, each held (line and text) until its result is written. */
function readItems(io: CommandIO, handle: FileHandle | undefined, mode: InputMode, held: HeldInputs, tally: Tally,
  notes: RunOutput | undefined, log: JobLog | undefined, resume: ResumeState | undefined): InputSource {
  // Numbers passed as strings give wrong answers silently (isPrime("2") is false): say so once.
  const hint = mode === 'text' && notes !== undefined ? new NumberLinesHint((note) => notes.note(note)) : undefined;
  return new InputSource(handle === undefined ? io.stdin : fileStream(handle), mode, {
    item: (index, line, text) => {
      hint?.line(text);
      held.put(index, line, text);
    },
    end: () => hint?.end(),
    bad: (record, message) => {
      log?.failed(record.line, undefined, 0, 'InputError', message, false);
      tally.fail(record, message);
    },
    skipLine: resume === undefined || resume.doneCount === 0 ? undefined : (line) => resume.done(line),
  });
}

/**
 * Where a run writes (results to stdout; the bar and notes to stderr), and how it ends at once:
 * Ctrl-C and a reader that went away end the run there; everything else ends it in order.
 */
class RunOutput {
  readonly writer: ResultWriter;
  bar: ProgressBar | undefined;
  readonly #io: CommandIO;
  readonly #executor: Executor;
  readonly #file: FileLineWriter | undefined;
  readonly #log: JobLog | undefined;
  readonly #onSigint = (): void => {
    this.writer.flush();
    this.#hardStop(EXIT.interrupted);
  };

  constructor(io: CommandIO, executor: Executor, file: FileLineWriter | undefined, log: JobLog | undefined) {
    this.#io = io;
    this.#executor = executor;
    this.#file = file;
    this.#log = log;
    this.writer = file ?? new LineWriter(io.stdout, () => this.#hardStop(EXIT.brokenPipe), (error) => {
      this.bar?.stop();
      io.stderr.write(`concurrent-ts: cannot write the results: ${error.message}\n`);
      return this.#hardStop(EXIT.failed);
    });
    process.once('SIGINT', this.#onSigint);
  }

  /** A line on stderr, below the bar. */
  note(text: string): void {
    this.bar?.clear();
    this.#io.stderr.write(`concurrent-ts: ${text}\n`);
  }

  /** The progress bar, when stderr is a terminal (or asked for); a hint when the input is an idle terminal. */
  startProgress(options: MapCommandOptions, fromStdin: boolean, before: number): void {
    const io = this.#io;
    if (wantsProgress(io.stderr, io.env, options.progress !== false)) {
      const bar = new ProgressBar(io.stderr);
      this.bar = bar;
      // Whatever ends the process (Ctrl-C, a closed stdout) leaves no half-drawn bar behind.
      process.once('exit', () => bar.stop());
      bar.done = before;
      if (io.stdout.isTTY === true && this.#file === undefined) this.writer.beforeWrite = () => bar.clear();
      if (options.input !== undefined) {
        countItems(options.input).then((n) => {
          bar.total = n;
        }, () => {});
      }
      bar.start();
    } else if (options.eta === true) {
      // No terminal to draw on: the same figures as the bar, as a line every few seconds.
      const bar = new ProgressBar(io.stderr, { plainEveryMs: 10_000 });
      this.bar = bar;
      bar.done = before;
      if (options.input !== undefined) {
        countItems(options.input).then((n) => {
          bar.total = n;
        }, () => {});
      }
      bar.start();
    } else if (fromStdin && io.stdin.isTTY === true) {
      io.stderr.write('concurrent-ts: reading inputs from the terminal, one per line; end with Ctrl-D (or pass --input FILE)\n');
    }
  }

  /** Writes what is gathered and closes `--output` and `--joblog`, results first. */
  async close(): Promise<void> {
    process.off('SIGINT', this.#onSigint);
    this.bar?.stop();
    try {
      await this.#file?.close();
    } finally {
      await this.#log?.close();
    }
  }

  #hardStop(code: number): never {
    this.bar?.stop();
    try {
      this.#file?.closeNow();
      this.#log?.closeNow();
    } catch {
      // Ending anyway: what could not be written is redone by --resume.
    }
    void this.#executor.shutdown({ wait: false, cancelFutures: true }).catch(() => {});
    return this.#io.exit(code);
  }
}

/** Samples each pool worker's busy time while the run lasts (a worker that ends keeps its last figure). */
class BusySampler {
  readonly #pool: PoolExecutor;
  #stats = new Map<string, WorkerBusy>();
  readonly #timer: NodeJS.Timeout;

  constructor(pool: PoolExecutor) {
    this.#pool = pool;
    this.#timer = setInterval(() => this.#sample(), 250).unref();
  }

  /** Takes a last sample and stops; returns each worker's busy time, by worker number. */
  finish(): WorkerBusy[] {
    this.stop();
    this.#sample();
    return [...this.#stats.values()].sort((a, b) => a.worker - b.worker);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #sample(): void {
    const next = new Map(this.#stats);
    for (const w of this.#pool.stats().workers) next.set(w.name, { worker: workerIndex(w.name), busyMs: w.busyMs });
    this.#stats = next;
  }
}

function checkCombinations(options: MapCommandOptions): void {
  const resume = options.resume === true ? '--resume' : options.resumeFailed === true ? '--resume-failed' : undefined;
  if (resume !== undefined && options.joblog === undefined) throw new CliError(`${resume} needs --joblog FILE (the log of the run to resume)`);
  if (options.halt?.percent !== undefined && options.input === undefined) {
    throw new CliError(`--halt ${options.halt.text}: a percentage is of all the items, which needs --input FILE (stdin cannot be counted ahead)`);
  }
  if (options.timeout !== undefined && options.chunksize !== undefined && options.chunksize > 1) {
    throw new CliError('--timeout is per item and needs --chunksize 1 (the default with --timeout)');
  }
  checkDistinctFiles([['--input', options.input], ['--output', options.output], ['--joblog', options.joblog], ['--trace', options.trace]]);
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
