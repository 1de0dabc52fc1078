/**
 * The inputs of `concurrent-ts map`: lines from a file or stdin, read as they arrive, turned into
 * the values passed to the task (a string, a JSON value, or an argument list).
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { CliError, EXIT } from './cli-error.js';

/** How a line becomes the task's argument(s). */
export type InputMode = 'text' | 'json' | 'spread';

/** Where an item came from: its 1-based line number and the line as read. */
export interface InputRecord {
  readonly line: number;
  readonly text: string;
}

/** Receives each item as it is read, and each line that could not be parsed. */
interface InputSink {
  /** Called with item `index` (0-based, in input order) just before it is handed to the map. */
  item(index: number, line: number, text: string): void;
  /**
   * Called for a line that does not parse. Returning normally skips the line (`--keep-going`);
   * throwing ends the input with that error.
   */
  bad(record: InputRecord, message: string): void;
  /** Called once, when the input has ended (not when the map stopped reading early). */
  end?(): void;
  /** `true` for a line an earlier run did (`--resume`): it is passed over, unparsed. */
  skipLine?: ((line: number) => boolean) | undefined;
}

/**
 * Parses one line: the line itself (`text`), a JSON value (`json`), or a JSON array of arguments
 * (`spread`).
 *
 * @throws {Error} with a message that says what is wrong with the line (no line number).
 */
export function parseLine(text: string, mode: InputMode): unknown {
  if (mode === 'text') return text;
  if (mode === 'json') {
    const n = plainInteger(text);
    if (n !== undefined) return n;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`malformed JSON: ${(error as Error).message}`);
  }
  if (mode === 'spread' && !Array.isArray(value)) {
    throw new Error(`--spread needs a JSON array of arguments, got ${describeJson(value)}`);
  }
  return value;
}

/**
 * The value of a line that is a plain JSON integer of up to 15 digits (`-?(0|[1-9][0-9]*)`), the
 * commonest input, read without JSON.parse (same value, a fraction of the time); else `undefined`.
 */
function plainInteger(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > 16) return undefined;
  const negative = text.charCodeAt(0) === 45;
  let i = negative ? 1 : 0;
  if (i === length || length - i > 15) return undefined;
  const first = text.charCodeAt(i);
  if (first < 48 || first > 57 || (first === 48 && length > i + 1)) return undefined;
  let value = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    value = value * 10 + (c - 48);
  }
  return negative ? -value : value;
}

/** A readable stream read with `read()` (paused mode). */
type PullStream = NodeJS.ReadableStream & { read(): Buffer | string | null; destroy(): void };

/** Read from the stream this much at a time, at most. */
const READ_BYTES = 64 * 1024;

/**
 * The values for the map, read from `stream` as they are asked for: each line is split off,
 * numbered, parsed and announced to `sink` just before it is returned. Lines that do not parse go
 * to `sink.bad` and are skipped. Blank lines are skipped but counted, so line numbers match the
 * file's; a trailing `\r` (Windows line ends) is dropped.
 *
 * Written as a plain iterator rather than an async generator: a line that is already read costs
 * one resolved promise, not a chain of them, which keeps a million-line input cheap. Nothing is
 * read ahead of what the map asks for, so a slow consumer holds the producer back.
 */
export class InputSource implements AsyncIterableIterator<unknown> {
  readonly #stream: PullStream;
  readonly #mode: InputMode;
  readonly #sink: InputSink;
  readonly #decoder = new StringDecoder('utf8');
  #text = '';
  #pos = 0;
  #line = 0;
  #index = 0;
  #ended = false;
  #finished = false;
  #error: unknown = undefined;
  #waiter: (() => void) | undefined;

  constructor(stream: NodeJS.ReadableStream, mode: InputMode, sink: InputSink) {
    this.#stream = stream as PullStream;
    this.#mode = mode;
    this.#sink = sink;
    stream.on('readable', this.#wake);
    stream.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    stream.on('error', (error: unknown) => {
      this.#error ??= error;
      this.#wake();
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<unknown>> {
    try {
      const step = this.#step();
      return step === undefined ? this.#wait() : Promise.resolve(step);
    } catch (error) {
      this.#finished = true;
      return Promise.reject(error);
    }
  }

  /**
   * The next item if it can be had without waiting (a line already read), else `undefined`: the
   * main-thread loop of a cheap function reads this way, without a promise per line.
   *
   * @throws what {@link next} would reject with.
   */
  nextSync(): IteratorResult<unknown> | undefined {
    try {
      return this.#step();
    } catch (error) {
      this.#finished = true;
      throw error;
    }
  }

  /** Stops reading; the stream is destroyed (the map was closed early). */
  return(): Promise<IteratorResult<unknown>> {
    this.#finished = true;
    this.#stream.destroy();
    // A next() waiting for the stream ends now (`--halt soon` stops the input this way).
    this.#wake();
    return Promise.resolve({ done: true, value: undefined });
  }

  readonly #wake = (): void => {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  };

  #wait(): Promise<IteratorResult<unknown>> {
    return new Promise<void>((resolve) => {
      this.#waiter = resolve;
    }).then(() => this.next());
  }

  /** The next item if one can be had without waiting; `undefined` means "wait for the stream". */
  #step(): IteratorResult<unknown> | undefined {
    for (;;) {
      if (this.#finished) return { done: true, value: undefined };
      const end = this.#text.indexOf('\n', this.#pos);
      if (end >= 0) {
        const start = this.#pos;
        this.#pos = end + 1;
        const value = this.#parse(this.#text, start, end);
        if (value !== skip) return { done: false, value };
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      const chunk = this.#ended ? null : this.#stream.read();
      if (chunk !== null) {
        const rest = this.#pos < this.#text.length ? this.#text.slice(this.#pos) : '';
        this.#text = rest + (typeof chunk === 'string' ? chunk : this.#decoder.write(chunk));
        this.#pos = 0;
        continue;
      }
      if (!this.#ended) return undefined;
      // The last line may have no newline.
      const rest = this.#text.slice(this.#pos) + this.#decoder.end();
      this.#text = '';
      this.#pos = 0;
      this.#finished = true;
      const value = rest === '' ? skip : this.#parse(rest, 0, rest.length);
      this.#sink.end?.();
      if (value !== skip) return { done: false, value };
      return { done: true, value: undefined };
    }
  }

  #parse(text: string, start: number, end: number): unknown {
    const line = ++this.#line;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const raw = text.slice(start, end);
    if (raw.trim() === '') return skip;
    if (this.#sink.skipLine?.(line) === true) return skip;
    let value: unknown;
    try {
      value = parseLine(raw, this.#mode);
    } catch (error) {
      this.#sink.bad({ line, text: raw }, (error as Error).message);
      return skip;
    }
    this.#sink.item(this.#index++, line, raw);
    return value;
  }
}

const skip = Symbol('skip');

/** The stream of `--input FILE`, read in large blocks. */
export function fileStream(handle: FileHandle): NodeJS.ReadableStream {
  return handle.createReadStream({ highWaterMark: READ_BYTES });
}

/**
 * Opens `--input FILE` now, so that a missing file is a usage error before any worker starts.
 *
 * @throws {CliError} (exit code 2) if the file cannot be opened.
 */
export async function openInput(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CliError(`cannot read --input ${path}: ${why}`, EXIT.usage);
  }
}

/**
 * Counts the non-blank lines of a file: the total for the progress bar's percentage and ETA.
 * Reads the file once more, in large blocks, without decoding it.
 */
export async function countItems(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const block = Buffer.allocUnsafe(1 << 20);
    let count = 0;
    let blank = true;
    for (;;) {
      const { bytesRead } = await handle.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) {
        const byte = block[i] as number;
        if (byte === 10) {
          if (!blank) count++;
          blank = true;
        } else if (blank && byte !== 32 && byte !== 9 && byte !== 13) {
          blank = false;
        }
      }
    }
    return blank ? count : count + 1;
  } finally {
    await handle.close();
  }
}

function describeJson(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** `text`, cut to fit in an error line. */
export function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
