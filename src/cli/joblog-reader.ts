/**
 * Reads a joblog back for `--resume` and `--resume-failed`: which lines are done, how much of
 * `--output FILE` they account for, and where the log's last whole record ends (a run killed in
 * the middle of a write leaves a torn last line, which is ignored and cut off).
 *
 * The log is read in blocks, as bytes. A success in the layout the writer makes (nearly every
 * record) is read by {@link scanOk} without JSON.parse: a million records take a tenth of the
 * time. Any other line (a failure, the header, a line edited by hand) goes through JSON.parse.
 *
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
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
    return this.#attempts.size === 0 ? 0 : this.#attempts.get(line) ?? 0;
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
    if (this.#attempts.size > 0) this.#attempts.delete(line);
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

/** Bytes read at a time. */
const BLOCK = 1024 * 1024;

/**
 * Reads the joblog at `path`. With `failedToo` (`--resume-failed`), lines whose last attempt
 * failed are not done. A missing file is an empty log (the run starts from the beginning).
 *
 * @throws {CliError} (exit code 2) when the file is not a joblog, or a record other than the last is damaged.
 */
export function readJobLog(path: string, failedToo: boolean): ResumeState {
  const state = new ResumeState();
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return state;
    throw new CliError(`cannot read --joblog ${path}: ${(error as Error).message}`, EXIT.usage);
  }
  try {
    let buf = Buffer.allocUnsafe(BLOCK);
    /** Bytes of `buf` read and not yet taken as whole lines. */
    let have = 0;
    /** Offset in the file of `buf[0]`. */
    let base = 0;
    let number = 0;
    for (;;) {
      // A line longer than the buffer: a larger one.
      if (have === buf.length) {
        const larger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(larger, 0, 0, have);
        buf = larger;
      }
      let read: number;
      try {
        read = readSync(fd, buf, have, buf.length - have, null);
      } catch (error) {
        throw new CliError(`cannot read --joblog ${path}: ${(error as Error).message}`, EXIT.usage);
      }
      // What is left without a newline was torn by a kill in the middle of a write; it is cut off.
      if (read === 0) break;
      have += read;
      let pos = 0;
      for (;;) {
        if (number > 0) {
          const next = scanOk(buf, pos, have, state);
          if (next >= 0) {
            number++;
            pos = next;
            continue;
          }
        }
        const end = buf.indexOf(0x0a, pos);
        if (end < 0 || end >= have) break;
        number++;
        readRecord(buf.toString('utf8', pos, end), number, path, failedToo, state);
        pos = end + 1;
      }
      buf.copyWithin(0, pos, have);
      base += pos;
      have -= pos;
    }
    state.logBytes = base;
  } finally {
    closeSync(fd);
  }
  return state;
}

/** One line of the log, through JSON.parse: the header, a failure, or a record of another layout. */
function readRecord(raw: string, number: number, path: string, failedToo: boolean, state: ResumeState): void {
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
    return;
  }
  const line = record.line;
  if (typeof line !== 'number') return;
  if (record.ok === true) {
    state.markDone(line);
    if (typeof record.out === 'number') state.outBytes = record.out;
  } else if (record.retry === true || failedToo) {
    state.markAttempt(line, typeof record.attempt === 'number' ? record.attempt : 0);
  } else {
    state.markDone(line);
  }
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const LINE = ascii('{"line":');
const START = ascii(',"start":');
const MS = ascii(',"ms":');
const WORKER = ascii(',"worker":');
const ATTEMPT = ascii(',"attempt":');
const OK = ascii(',"ok":true');
const OUT = ascii(',"out":');
const NULL = ascii('null');

/**
 * A success in the writer's layout, `{"line":N,"start":T,"ms":T,"worker":W,"attempt":N,"ok":true}`
 * (with `,"out":N` before the `}` under `-o`), starting at `at` and ending with its newline before
 * `end`: marks it in `state` and returns the position after the newline. Returns -1 for anything
 * else (another record, a line that is not whole yet), which is then read by JSON.parse; so every
 * line this accepts is one JSON.parse would read the same way.
 */
function scanOk(buf: Buffer, at: number, end: number, state: ResumeState): number {
  let p = literal(buf, at, end, LINE);
  if (p < 0) return -1;
  const lineEnd = digits(buf, p, end);
  if (lineEnd < 0) return -1;
  const line = wholeNumber(buf, p, lineEnd);
  p = literal(buf, lineEnd, end, START);
  if (p >= 0) p = numberOrNull(buf, p, end);
  if (p >= 0) p = literal(buf, p, end, MS);
  if (p >= 0) p = numberOrNull(buf, p, end);
  if (p >= 0) p = literal(buf, p, end, WORKER);
  if (p >= 0) p = stringOrNull(buf, p, end);
  if (p >= 0) p = literal(buf, p, end, ATTEMPT);
  if (p >= 0) p = digits(buf, p, end);
  if (p >= 0) p = literal(buf, p, end, OK);
  if (p < 0) return -1;
  let out = -1;
  if (p < end && buf[p] === 0x2c) {
    const from = literal(buf, p, end, OUT);
    if (from < 0) return -1;
    p = digits(buf, from, end);
    if (p < 0) return -1;
    out = wholeNumber(buf, from, p);
  }
  if (p + 1 >= end || buf[p] !== 0x7d || buf[p + 1] !== 0x0a) return -1;
  state.markDone(line);
  if (out >= 0) state.outBytes = out;
  return p + 2;
}

/** The position after `text` if the bytes at `at` are `text`, else -1. */
function literal(buf: Buffer, at: number, end: number, text: Uint8Array): number {
  if (at + text.length > end) return -1;
  for (let i = 0; i < text.length; i++) if (buf[at + i] !== text[i]) return -1;
  return at + text.length;
}

/** The end of a JSON whole number ≥ 0 of up to 15 digits at `at` (`0` or no leading zero), else -1. */
function digits(buf: Buffer, at: number, end: number): number {
  let p = at;
  while (p < end && isDigit(buf[p] as number)) p++;
  const n = p - at;
  if (n === 0 || n > 15 || (n > 1 && buf[at] === 0x30)) return -1;
  return p;
}

function wholeNumber(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let p = from; p < to; p++) n = n * 10 + ((buf[p] as number) - 0x30);
  return n;
}

/** The end of a JSON number or `null` at `at`, else -1. */
function numberOrNull(buf: Buffer, at: number, end: number): number {
  if (at < end && buf[at] === 0x6e) return literal(buf, at, end, NULL);
  let p = at;
  if (p < end && buf[p] === 0x2d) p++;
  const whole = p;
  while (p < end && isDigit(buf[p] as number)) p++;
  if (p === whole || (p - whole > 1 && buf[whole] === 0x30)) return -1;
  if (p < end && buf[p] === 0x2e) {
    const from = ++p;
    while (p < end && isDigit(buf[p] as number)) p++;
    if (p === from) return -1;
  }
  if (p < end && (buf[p] === 0x65 || buf[p] === 0x45)) {
    p++;
    if (p < end && (buf[p] === 0x2b || buf[p] === 0x2d)) p++;
    const from = p;
    while (p < end && isDigit(buf[p] as number)) p++;
    if (p === from) return -1;
  }
  return p;
}

/** The end of a JSON string without escapes or control characters, or of `null`, at `at`; else -1. */
function stringOrNull(buf: Buffer, at: number, end: number): number {
  if (at < end && buf[at] === 0x6e) return literal(buf, at, end, NULL);
  if (at >= end || buf[at] !== 0x22) return -1;
  for (let p = at + 1; p < end; p++) {
    const c = buf[p] as number;
    if (c === 0x22) return p + 1;
    if (c === 0x5c || c < 0x20) return -1;
  }
  return -1;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
