/**
 * Reads a joblog back for `--resume` and `--resume-failed`: which lines are done, how much of
 * `--output FILE` they account for, and where the log's last whole record ends (a run killed in
 * the middle of a write leaves a torn last line, which is ignored and cut off).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { CliError, EXIT } from './cli-error.js';
import type { JobLogHeader } from './joblog.js';

/** What an earlier run did, as its joblog tells. */
export class ResumeState {
  /** The log's first record; `undefined` for an empty (or missing) log. */
  header: JobLogHeader | undefined;
  /** Bytes of the log up to the end of its last whole record. */
  logBytes = 0;
  /** Size of `--output FILE` after the last result the log records. */
  outBytes = 0;
  /** Lines that need no new attempt. */
  doneCount = 0;
  #done = new Uint8Array(1024);
  /** Attempts made so far of the lines that are not done. */
  readonly #attempts = new Map<number, number>();

  /** Whether `line` is done (skipped by this run). */
  done(line: number): boolean {
    return line < this.#done.length && this.#done[line] === 1;
  }

  /** Attempts already made of `line` (numbering goes on from there). */
  attempts(line: number): number {
    return this.#attempts.get(line) ?? 0;
  }

  /** @internal */
  markDone(line: number): void {
    if (line >= this.#done.length) {
      let size = this.#done.length * 2;
      while (size <= line) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#done);
      this.#done = grown;
    }
    if (this.#done[line] !== 1) this.doneCount++;
    this.#done[line] = 1;
    this.#attempts.delete(line);
  }

  /** @internal */
  markAttempt(line: number, attempt: number): void {
    if (!this.done(line)) this.#attempts.set(line, Math.max(attempt, this.attempts(line)));
  }
}

interface LogRecord {
  line?: unknown;
  attempt?: unknown;
  ok?: unknown;
  retry?: unknown;
  out?: unknown;
  joblog?: unknown;
}

/**
 * Reads the joblog at `path`. With `failedToo` (`--resume-failed`), lines whose last attempt
 * failed are not done. A missing file is an empty log (the run starts from the beginning).
 *
 * @throws {CliError} (exit code 2) when the file is not a joblog, or a record other than the last is damaged.
 */
export function readJobLog(path: string, failedToo: boolean): ResumeState {
  const state = new ResumeState();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw new CliError(`cannot read --joblog ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  let pos = 0;
  let number = 0;
  for (;;) {
    const end = text.indexOf('\n', pos);
    // No newline: the last line was torn by a kill in the middle of a write; it is cut off.
    if (end < 0) break;
    number++;
    const raw = text.slice(pos, end);
    pos = end + 1;
    let record: LogRecord;
    try {
      record = JSON.parse(raw) as LogRecord;
    } catch {
      throw new CliError(`cannot resume: line ${number} of --joblog ${path} is not a record (${raw.slice(0, 40)}…); ` +
        'the log was changed by hand or written by something else', EXIT.usage);
    }
    if (number === 1) {
      if (record.joblog !== 1) throw new CliError(`cannot resume: --joblog ${path} is not a joblog of concurrent-ts map (its first line is no header)`, EXIT.usage);
      state.header = record as unknown as JobLogHeader;
      continue;
    }
    const line = record.line;
    if (typeof line !== 'number') continue;
    if (record.ok === true) {
      state.markDone(line);
      if (typeof record.out === 'number') state.outBytes = record.out;
    } else if (record.retry === true || failedToo) {
      state.markAttempt(line, typeof record.attempt === 'number' ? record.attempt : 0);
    } else {
      state.markDone(line);
    }
  }
  state.logBytes = Buffer.byteLength(text.slice(0, pos));
  return state;
}
