/**
 * `--joblog FILE`: one NDJSON record per attempt of an item, appended as its outcome is written
 * (in input order, with the results, unless `--unordered`), after the first line, which says what
 * run this is. docs/cli.md describes the fields; docs/decisions/cli-resume.md how `--resume`
 * reads them back.
 *
 * ```
 * {"joblog":1,"fn":"./primes.mjs#isPrime","mode":"json","format":null,"output":true,"started":1765110000000.123}
 * {"line":1,"start":1765110000012.5,"ms":0.021,"worker":"worker_1","attempt":1,"ok":true,"out":31}
 * {"line":2,"start":1765110000012.5,"ms":0.021,"worker":"worker_1","attempt":1,"ok":false,"error":"RangeError","message":"…","retry":true}
 * ```
 *
 * @module
 */
import type { AppendFile } from './append-file.js';
import type { FileLineWriter } from './file-line-writer.js';
import type { RunInfo } from './task-runs.js';

/** The first record: what ran, so that `--resume` refuses a log of another run. */
export interface JobLogHeader {
  readonly joblog: 1;
  /** `MODULE#EXPORT` as given. */
  readonly fn: string;
  readonly mode: string;
  readonly format: string | null;
  /** Whether results went to `--output FILE` (records then carry `out`). */
  readonly output: boolean;
  readonly started: number;
}

/** Writes joblog records; they reach the file at the end of each event-loop turn, after the results they describe. */
export class JobLog {
  readonly #file: AppendFile;
  /** With `--output`: its writes go first; a record never reaches the disk before its result. */
  readonly #output: FileLineWriter | undefined;
  #scheduled = false;

  constructor(file: AppendFile, output: FileLineWriter | undefined) {
    this.#file = file;
    this.#output = output;
    if (output !== undefined) output.afterFlush = (written) => void this.#file.flush(written);
  }

  header(header: JobLogHeader): void {
    this.#add(`${JSON.stringify(header)}\n`);
  }

  /** A successful attempt; `out` is the size of `--output FILE` once its line is in it. */
  ok(line: number, run: RunInfo | undefined, attempt: number, out: number | undefined): void {
    let tail: string;
    if (run === undefined) tail = `${runFields(undefined)},"attempt":${attempt},"ok":true`;
    else if (attempt === 1) tail = run.okTail ??= `${runFields(run)},"attempt":1,"ok":true`;
    else tail = `${runFields(run)},"attempt":${attempt},"ok":true`;
    this.#add(out === undefined ? `{"line":${line}${tail}}\n` : `{"line":${line}${tail},"out":${out}}\n`);
  }

  /**
   * A failed attempt: `error` is the error's class, `message` its first line; `retry` when
   * another attempt follows. Attempt 0 is a line that could not be parsed (it never ran).
   */
  failed(line: number, run: RunInfo | undefined, attempt: number, error: string, message: string, retry: boolean): void {
    const more = retry ? ',"retry":true' : '';
    this.#add(`{"line":${line}${runFields(run)},"attempt":${attempt},"ok":false,"error":${JSON.stringify(error)},"message":${JSON.stringify(message)}${more}}\n`);
  }

  /** Starts writing the results (if `--output`), then the records gathered, once the results are written. */
  flush(): void {
    if (this.#output !== undefined) this.#output.flush();
    else void this.#file.flush();
  }

  /** Writes the rest (after the results), and closes the log. */
  async close(): Promise<void> {
    this.flush();
    await this.#file.close();
  }

  /**
   * On the way out (Ctrl-C): what can be written now without overtaking a running write, of the
   * log or of the results (the output's `closeNow` ran first and wrote all it had, unless it was busy).
   */
  closeNow(): void {
    if (this.#output?.writing !== true) this.#file.closeNow();
  }

  #add(text: string): void {
    this.#file.append(text);
    if (this.#file.full) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };
}

/** `,"start":…,"ms":…,"worker":…`: the chunk's start, its time per item, its worker. */
function runFields(run: RunInfo | undefined): string {
  if (run === undefined) return ',"start":null,"ms":null,"worker":null';
  const ms = Math.round(((run.end - run.start) / run.items) * 1e4) / 1e4;
  const start = Math.round(run.start * 1e3) / 1e3;
  return `,"start":${start},"ms":${Math.max(0, ms)},"worker":${workerJson(run.worker)}`;
}

const workerNames = new Map<string | null, string>([[null, 'null'], ['main', '"main"']]);

/** A worker's name as JSON, made once per worker (an item run on the main thread has a record of its own). */
function workerJson(name: string | null): string {
  let json = workerNames.get(name);
  if (json === undefined) {
    json = JSON.stringify(name);
    workerNames.set(name, json);
  }
  return json;
}
