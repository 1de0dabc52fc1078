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

/** Bytes of records gathered in one buffer before it goes to the file. */
const BUFFER = 4 * 1024 * 1024;
/** Room for a successful record beyond its tail: `{"line":`, two numbers of up to 16 digits, `}\n`. */
const OK_ROOM = 64;
/** `{"line":` as two little-endian words. */
const LINE_KEY_0 = 0x696c227b;
const LINE_KEY_1 = 0x3a22656e;

/**
 * What the successful first attempts of one chunk's items share, between the line's digits and
 * the end: `,"start":…,"ms":…,"worker":…,"attempt":1,"ok":true`, and `,"out":` with `-o`. Encoded
 * once per chunk; a record copies it in one call.
 */
export type RecordTail = Uint8Array;

/** Two decimal digits of each number below 100, as ASCII. */
const PAIRS = new Uint8Array(200);
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 0x30 + Math.floor(i / 10);
  PAIRS[2 * i + 1] = 0x30 + (i % 10);
}

/**
 * Writes the digits of `n`, a whole number ≥ 0, at `pos`; returns the position after them. Two
 * digits per division, and integer arithmetic below 2^31 (line numbers and most output sizes).
 */
function putInteger(buf: Buffer, pos: number, n: number): number {
  if (n > 0x7fffffff) return putLarge(buf, pos, n);
  const digits = n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : n < 1e7 ? 7 : n < 1e8 ? 8 : n < 1e9 ? 9 : 10;
  let at = pos + digits;
  let k = n | 0;
  while (k >= 100) {
    const q = (k / 100) | 0;
    const r = (k - q * 100) << 1;
    buf[--at] = PAIRS[r + 1] as number;
    buf[--at] = PAIRS[r] as number;
    k = q;
  }
  if (k >= 10) {
    buf[--at] = PAIRS[(k << 1) + 1] as number;
    buf[--at] = PAIRS[k << 1] as number;
  } else {
    buf[--at] = 0x30 + k;
  }
  return pos + digits;
}

function putLarge(buf: Buffer, pos: number, n: number): number {
  let digits = 1;
  for (let k = n; k >= 10; k = Math.floor(k / 10)) digits++;
  let at = pos + digits;
  let k = n;
  do {
    const q = Math.floor(k / 10);
    buf[--at] = 0x30 + (k - q * 10);
    k = q;
  } while (k > 0);
  return pos + digits;
}

/** Whether `n` is a whole number that {@link putInteger} writes as JSON does. */
function countable(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Writes joblog records; they reach the file at the end of each event-loop turn, after the results
 * they describe. A successful record (nearly all of them) is put together in bytes: the part its
 * chunk's items share is encoded once per chunk ({@link RecordTail}), so a record costs two
 * numbers' digits and one copy.
 */
export class JobLog {
  readonly #file: AppendFile;
  /** With `--output`: its writes go first; a record never reaches the disk before its result. */
  readonly #output: FileLineWriter | undefined;
  #scheduled = false;
  /** Where records are put together; the bytes before `#start` were handed to the file, and stay as they are. */
  #buf: Buffer = Buffer.allocUnsafe(BUFFER);
  #view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
  #start = 0;
  #pos = 0;
  /** Buffers whose bytes are written: reused, since fresh memory costs a page fault per page. */
  readonly #free: Buffer[] = [];
  /** Ends once every write of the log started so far has ended. */
  #written: Promise<void> = Promise.resolve();

  constructor(file: AppendFile, output: FileLineWriter | undefined) {
    this.#file = file;
    this.#output = output;
    if (output !== undefined) {
      output.afterFlush = (written) => {
        this.#writeOut(written);
      };
    }
  }

  header(header: JobLogHeader): void {
    this.#text(`${JSON.stringify(header)}\n`);
  }

  /** A successful attempt; `out` is the size of `--output FILE` once its line is in it. */
  ok(line: number, run: RunInfo | undefined, attempt: number, out: number | undefined): void {
    if (run === undefined || attempt !== 1 || !countable(line) || (out !== undefined && !countable(out))) {
      const tail = `${runFields(run)},"attempt":${attempt},"ok":true`;
      this.#text(out === undefined ? `{"line":${line}${tail}}\n` : `{"line":${line}${tail},"out":${out}}\n`);
      return;
    }
    let tail = out === undefined ? run.okTail : run.okOutTail;
    if (tail === undefined) {
      const text = `${runFields(run)},"attempt":1,"ok":true`;
      if (out === undefined) tail = run.okTail = Buffer.from(text, 'utf8');
      else tail = run.okOutTail = Buffer.from(`${text},"out":`, 'utf8');
    }
    if (this.#pos + tail.length + OK_ROOM > this.#buf.length) this.#next(tail.length + OK_ROOM);
    const buf = this.#buf;
    const view = this.#view;
    let pos = this.#pos;
    view.setInt32(pos, LINE_KEY_0, true);
    view.setInt32(pos + 4, LINE_KEY_1, true);
    pos = putInteger(buf, pos + 8, line);
    buf.set(tail, pos);
    pos += tail.length;
    if (out !== undefined) pos = putInteger(buf, pos, out);
    buf[pos] = 0x7d; // }
    buf[pos + 1] = 0x0a; // \n
    this.#pos = pos + 2;
    this.#added();
  }

  /**
   * A failed attempt: `error` is the error's class, `message` its first line; `retry` when
   * another attempt follows. Attempt 0 is a line that could not be parsed (it never ran).
   */
  failed(line: number, run: RunInfo | undefined, attempt: number, error: string, message: string, retry: boolean): void {
    const more = retry ? ',"retry":true' : '';
    this.#text(`{"line":${line}${runFields(run)},"attempt":${attempt},"ok":false,"error":${JSON.stringify(error)},"message":${JSON.stringify(message)}${more}}\n`);
  }

  /** Starts writing the results (if `--output`), then the records gathered, once the results are written. */
  flush(): void {
    if (this.#output !== undefined) this.#output.flush();
    else {
      this.#writeOut(undefined);
    }
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
    if (this.#output?.writing === true) return;
    this.#spill();
    this.#file.closeNow();
  }

  /** A record given as text (the header, a failure, a retry's success: a few of them). */
  #text(text: string): void {
    const most = text.length * 3;
    if (this.#pos + most > this.#buf.length) this.#next(most);
    this.#pos += this.#buf.write(text, this.#pos, 'utf8');
    this.#added();
  }

  /** Writes the records gathered, and starts a buffer with room for `room` bytes. */
  #next(room: number): void {
    // Written now, so that no write holds the end of one buffer and the start of the next (a copy).
    this.flush();
    const old = this.#buf;
    if (old.length === BUFFER) {
      const free = this.#free;
      void this.#written.then(() => free.push(old));
    }
    this.#buf = room <= BUFFER ? this.#free.pop() ?? Buffer.allocUnsafe(BUFFER) : Buffer.allocUnsafe(room);
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.length);
    this.#start = 0;
    this.#pos = 0;
  }

  /** Hands the records gathered to the file and starts its write, once `after` has ended. */
  #writeOut(after: Promise<void> | undefined): void {
    this.#spill();
    this.#written = this.#file.flush(after);
  }

  /** Hands the records gathered to the file (they are written at its next flush). */
  #spill(): void {
    if (this.#pos === this.#start) return;
    this.#file.appendBytes(this.#buf.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
  }

  #added(): void {
    if (this.#pos - this.#start + this.#file.pending >= FLUSH_BYTES) this.flush();
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

/**
 * Records gathered before they are written without waiting for the end of the turn (or for the
 * results' next write, which takes them along): large, so that the log does not cut the results
 * into small writes.
 */
const FLUSH_BYTES = 2 * 1024 * 1024;

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
